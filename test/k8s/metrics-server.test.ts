import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { startMetricsServer } from '../../src/metrics/server.js';

describe('the metrics and health server', () => {
  it('serves Prometheus text, answers the probes with 200 or 503 and the reason, and 404 elsewhere', async () => {
    const registry = new Registry();
    new Gauge({ name: 'airlb_test_gauge', help: 'a gauge', registers: [registry] }).set(3);
    let ready = { ok: false, detail: 'waiting for the first list of every resource' };
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, healthy: () => ({ ok: true, detail: 'ok' }), ready: () => ready });
    const get = async (path: string): Promise<[number, string, string | null]> => {
      const r = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return [r.status, await r.text(), r.headers.get('content-type')];
    };
    try {
      const [status, text, type] = await get('/metrics');
      assert.equal(status, 200);
      assert.match(text, /^# HELP airlb_test_gauge a gauge\n# TYPE airlb_test_gauge gauge\nairlb_test_gauge 3$/m);
      assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
      assert.deepEqual((await get('/healthz')).slice(0, 2), [200, 'ok\n']);
      assert.deepEqual((await get('/readyz')).slice(0, 2), [503, 'waiting for the first list of every resource\n']);
      ready = { ok: true, detail: 'ok' };
      assert.deepEqual((await get('/readyz')).slice(0, 2), [200, 'ok\n']);
      assert.equal((await get('/nope'))[0], 404);
    } finally {
      await server.close();
    }
  });
});
