import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/io/logger.js';
import { systemClock } from '../../src/io/system-clock.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import { isJsonObject, type JsonObject } from '../../src/k8s/json.js';
import { OfficialTransport } from '../../src/k8s/official-transport.js';
import type { ApiTransport } from '../../src/k8s/transport.js';
import type { FakeApiServer } from './fake-apiserver.js';
import { cliCommand } from '../support/cli.js';

/** Polls `check` every 10 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A logger that keeps its lines, for asserting on what a component said. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }), lines };
}

/** A LoadBalancer Service as kubectl would send it; `spec` entries override the defaults. */
export function service(
  namespace: string,
  name: string,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: JsonObject } = {},
): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: extra.labels ?? {}, annotations: extra.annotations ?? {} },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: name }, ...(extra.spec ?? {}) },
  };
}

/** Events stored for the object called `name`, as "Type Reason: message". */
export function describeEvents(events: readonly JsonObject[], name: string): string[] {
  return events
    .filter((e) => isJsonObject(e['involvedObject']) && e['involvedObject']['name'] === name)
    .map((e) => `${String(e['type'])} ${String(e['reason'])}: ${String(e['message'])}`);
}

/** Writes a kubeconfig file for the test API server at `url` into `dir`; returns its path. */
export function writeKubeconfig(dir: string, url: string): string {
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]
users: [{name: test, user: {token: test-token}}]
contexts: [{name: fake, context: {cluster: fake, user: test}}]
current-context: fake
`,
  );
  return path;
}

/** A long-running `airlb ARGS` child: its stderr so far, a GET on its metrics port, and its exit. */
export interface Daemon {
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Waits for the JSON "starting" log line and returns the metrics port it names. */
  port(): Promise<number>;
  get(path: string): Promise<{ status: number; text: string }>;
  /** GETs `path` every 50 ms until it answers `status`; fails after `timeoutMs`. */
  until(path: string, status: number, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
}

export function startDaemon(args: readonly string[]): Daemon {
  const [bin, ...pre] = cliCommand();
  const child = spawn(bin!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let port = 0;
  return {
    stderr: () => stderr,
    exited,
    async port() {
      await waitFor('the starting line', () => /"msg":"starting"/.test(stderr), 15_000);
      port = Number(/"metricsPort":(\d+)/.exec(stderr)![1]);
      return port;
    },
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, text: await res.text() };
    },
    async until(path, status, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await this.get(path);
        if (r.status === status) return r.text;
        if (Date.now() > deadline) throw new Error(`${path} still answers ${r.status} after ${timeoutMs} ms: ${r.text}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill: (signal) => void child.kill(signal),
  };
}

/** Both transports airlb has (the controller's and the speaker's), for a test API server. */
export const TRANSPORTS: readonly { name: string; make: (server: FakeApiServer) => ApiTransport }[] = [
  { name: 'OfficialTransport', make: (server) => new OfficialTransport(server.kubeConfig()) },
  { name: 'HttpTransport', make: (server) => new HttpTransport(server.connection(), systemClock) },
];
