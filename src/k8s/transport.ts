import type { Json, JsonObject } from './json.js';

/**
 * How airlb talks to the API server. Two implementations: OfficialTransport (the controller:
 * @kubernetes/client-node's KubeConfig and Watch, every kubeconfig auth method) and HttpTransport
 * (the speaker: node:http(s) only, because importing the official client alone costs ≈80 MB of
 * RSS on every node; see docs/kubernetes.md). Informers and writers see only this interface.
 */

export interface ListResult {
  readonly items: JsonObject[];
  /** The collection's resourceVersion: where a watch continues from. */
  readonly resourceVersion: string;
}

export interface WatchHandle {
  abort(): void;
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiTransport {
  /** GET a collection as raw JSON. Throws ApiError (with the HTTP status, 0 when unreachable). */
  list(path: string, labelSelector: string | null): Promise<ListResult>;
  /**
   * Opens a watch stream (`watch=true` plus `query`). Resolves once the server answered 200;
   * `onEvent` gets each event's type and object; `onDone` is called once when the stream ends
   * (null) or fails (the error; status 410 for Gone, and err.name 'TimeoutError' when it idled out).
   */
  watch(
    path: string,
    query: Readonly<Record<string, string>>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
  /** A write; PATCH bodies are JSON merge patches (RFC 7386). Returns the server's answer. */
  send(method: WriteMethod, path: string, body: Json | null): Promise<JsonObject>;
}
