import type { RequestOptions } from 'node:https';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { ApiError } from './api-error.js';
import { listResultOf, requestJson } from './http-json.js';
import type { Json, JsonObject } from './json.js';
import type { ApiTransport, ListResult, WatchHandle, WriteMethod } from './transport.js';

/**
 * The transport of the controller: @kubernetes/client-node's KubeConfig (every kubeconfig auth
 * method: tokens, client certificates, exec and OIDC plugins, in-cluster service accounts) for TLS
 * and credentials, and its Watch for streams. Lists and writes go through requestJson with the
 * options the KubeConfig produces, so objects stay raw JSON (the typed calls would turn them into
 * model classes the watch stream does not give).
 */
export class OfficialTransport implements ApiTransport {
  private readonly watcher: Watch;

  constructor(private readonly kc: KubeConfig) {
    this.watcher = new Watch(kc);
  }

  private url(path: string): URL {
    const cluster = this.kc.getCurrentCluster();
    if (cluster === null) throw new ApiError(0, 'the kubeconfig has no current cluster; pass --kubeconfig or run in a pod');
    return new URL(cluster.server.replace(/\/$/, '') + path);
  }

  private async options(): Promise<RequestOptions> {
    const options: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    return options;
  }

  async list(path: string, labelSelector: string | null): Promise<ListResult> {
    const url = this.url(path);
    if (labelSelector !== null) url.searchParams.set('labelSelector', labelSelector);
    return listResultOf(await requestJson(url, await this.options(), 'GET', null));
  }

  watch(path: string, query: Readonly<Record<string, string>>, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    return this.watcher.watch(path, query, onEvent, onDone);
  }

  async send(method: WriteMethod, path: string, body: Json | null): Promise<JsonObject> {
    return requestJson(this.url(path), await this.options(), method, body);
  }
}
