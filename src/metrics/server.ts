import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listenOn, type ListeningServer } from './listen.js';

/** What /healthz and /readyz answer: ok, or the reason it is not. */
export interface Probe {
  readonly ok: boolean;
  readonly detail: string;
}

export interface MetricsServerOptions {
  /** "" listens on every address. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly registry: Registry;
  /** Liveness: false only when the process should be restarted. */
  readonly healthy: () => Probe;
  /** Readiness: the component is doing its job (synced, configured). */
  readonly ready: () => Probe;
}

export type MetricsServer = ListeningServer;

/**
 * One HTTP listener for Prometheus (/metrics, text exposition format 0.0.4) and the kubelet's
 * probes (/healthz, /readyz: 200 "ok" or 503 with the reason).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    const probe = path === '/healthz' ? options.healthy : path === '/readyz' ? options.ready : null;
    if (probe === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      return;
    }
    const p = probe();
    res.writeHead(p.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(p.ok ? 'ok\n' : `${p.detail}\n`);
  });
  return listenOn(server, options.host, options.port);
}
