import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ApiError } from './api-error.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';

const REQUEST_TIMEOUT_MS = 30_000;

const MERGE_PATCH = 'application/merge-patch+json';

/**
 * One JSON request/response to the API server. `options` carries TLS and auth (from whichever
 * transport); the answer is parsed, and anything but 2xx becomes an ApiError with the status and
 * the server's Status message, which says what was wrong.
 */
export function requestJson(url: URL, options: RequestOptions, method: string, body: Json | null): Promise<JsonObject> {
  const payload = body === null ? null : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined), accept: 'application/json' };
  if (payload !== null) {
    headers['content-type'] = method === 'PATCH' ? MERGE_PATCH : 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, method, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(new ApiError(0, `${method} ${url.pathname}: ${err.message}`, { cause: err })));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = null;
        }
        if (status >= 200 && status < 300 && isJsonObject(parsed)) {
          resolve(parsed);
          return;
        }
        const message = isJsonObject(parsed) && typeof parsed['message'] === 'string' ? parsed['message'] : text.slice(0, 200);
        reject(new ApiError(status, `${method} ${url.pathname}: ${status} ${message}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(new ApiError(0, `${method} ${url.pathname}: ${err.message}`, { cause: err })));
    req.end(payload ?? undefined);
  });
}

/** The `items` and resourceVersion of a list answer. */
export function listResultOf(body: JsonObject): { items: JsonObject[]; resourceVersion: string } {
  const meta = body['metadata'];
  const items = Array.isArray(body['items']) ? body['items'].filter(isJsonObject) : [];
  const rv = isJsonObject(meta) && typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
  return { items, resourceVersion: rv };
}
