import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import type { Clock } from '../domain/clock.js';
import { ApiError } from './api-error.js';
import type { Connection } from './connection.js';
import { listResultOf, requestJson } from './http-json.js';
import type { Json, JsonObject } from './json.js';
import type { ApiTransport, ListResult, WatchHandle, WriteMethod } from './transport.js';

/** A watch with no byte for this long is dead (bookmarks and server timeouts come well before). */
const WATCH_IDLE_MS = 5 * 60_000;
/** The token file is re-read this often: the kubelet rotates bound tokens long before they expire. */
const TOKEN_REREAD_MS = 60_000;

/**
 * The speaker's transport: node:http(s) with keep-alive, nothing else, so a speaker on a 1 GB
 * Raspberry Pi stays small (see docs/kubernetes.md for the measurement).
 */
export class HttpTransport implements ApiTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly base: URL;
  private token: { value: string; readAt: number } | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly clock: Clock,
  ) {
    this.base = new URL(conn.server);
    this.agent =
      this.base.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            ...(conn.ca === null ? {} : { ca: conn.ca }),
            ...(conn.cert === null ? {} : { cert: conn.cert }),
            ...(conn.key === null ? {} : { key: conn.key }),
            rejectUnauthorized: !conn.insecureSkipTlsVerify,
          })
        : new HttpAgent({ keepAlive: true });
  }

  private url(path: string): URL {
    return new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
  }

  private headers(): Record<string, string> {
    const t = this.conn.token;
    if (t === null) return {};
    if ('value' in t) return { authorization: `Bearer ${t.value}` };
    const now = this.clock.now();
    if (this.token === null || now - this.token.readAt > TOKEN_REREAD_MS) {
      this.token = { value: readFileSync(t.file, 'utf8').trim(), readAt: now };
    }
    return { authorization: `Bearer ${this.token.value}` };
  }

  async list(path: string, labelSelector: string | null): Promise<ListResult> {
    const url = this.url(path);
    if (labelSelector !== null) url.searchParams.set('labelSelector', labelSelector);
    return listResultOf(await requestJson(url, { agent: this.agent, headers: this.headers() }, 'GET', null));
  }

  send(method: WriteMethod, path: string, body: Json | null): Promise<JsonObject> {
    return requestJson(this.url(path), { agent: this.agent, headers: this.headers() }, method, body);
  }

  watch(path: string, query: Readonly<Record<string, string>>, onEvent: (type: string, object: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const url = this.url(path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let finished = false;
    const done = (err: unknown): void => {
      if (finished) return;
      finished = true;
      onDone(err);
    };
    return new Promise<WatchHandle>((resolve, reject) => {
      let req: ClientRequest;
      try {
        req = request(url, { agent: this.agent, headers: { ...this.headers(), accept: 'application/json' }, method: 'GET' });
      } catch (err) {
        reject(err);
        return;
      }
      const handle: WatchHandle = {
        abort: () => {
          finished = true;
          req.destroy();
        },
      };
      req.setTimeout(WATCH_IDLE_MS, () => {
        const err = new Error(`watch idle for ${WATCH_IDLE_MS} ms`);
        err.name = 'TimeoutError';
        req.destroy(err);
      });
      req.on('error', (err) => {
        done(err.name === 'TimeoutError' ? err : new ApiError(0, `watch ${url.pathname}: ${err.message}`, { cause: err }));
        resolve(handle);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          done(new ApiError(status, `watch ${url.pathname}: ${status}`));
          resolve(handle);
          return;
        }
        resolve(handle);
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        // readline re-emits its input's errors (an aborted stream) on itself.
        lines.on('error', (err) => done(err));
        lines.on('line', (line) => {
          if (finished || line === '') return;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            return; // a torn line; the stream goes on
          }
          const e = event as { type?: unknown; object?: unknown };
          if (typeof e.type === 'string') onEvent(e.type, e.object);
        });
        res.on('error', (err) => done(err));
        res.on('close', () => done(res.errored ?? null));
      });
      req.end();
    });
  }
}
