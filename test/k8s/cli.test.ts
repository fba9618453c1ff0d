import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RESOURCES } from '../../src/k8s/resources.js';
import { ingressIps } from '../../src/k8s/service-status.js';
import { runCli } from '../support/cli.js';
import { FakeApiServer } from './fake-apiserver.js';
import { service, startDaemon, waitFor, writeKubeconfig } from './helpers.js';

describe('airlb controller and airlb speaker (the commands)', () => {
  let server: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  before(async () => {
    server = await FakeApiServer.start();
    dir = mkdtempSync(join(tmpdir(), 'airlb-k8s-'));
    kubeconfig = writeKubeconfig(dir, server.url);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('controller: allocates, serves /metrics, /healthz and /readyz, and exits 0 on SIGTERM', async () => {
    server.put(RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: 'metallb-system' }, spec: { addresses: ['192.168.1.240/29'] } });
    server.put(RESOURCES.service, service('default', 'web'));
    const d = startDaemon(['controller', '--kubeconfig', kubeconfig, '--metrics-bind', '127.0.0.1:0', '--log-format', 'json']);
    try {
      await d.port();
      await waitFor('the Service to get an address', () => ingressIps(server.get(RESOURCES.service, 'default', 'web')!).length === 1, 10_000);
      assert.deepEqual(await d.get('/healthz'), { status: 200, text: 'ok\n' });
      assert.deepEqual(await d.get('/readyz'), { status: 200, text: 'ok\n' });
      const metrics = await d.get('/metrics');
      assert.match(metrics.text, /metallb_allocator_addresses_in_use_total\{pool="home"\} 1/);
      assert.match(metrics.text, /process_resident_memory_bytes/);
      d.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    } catch (err) {
      d.kill('SIGKILL');
      throw new Error(`${String(err)}\n--- log ---\n${d.stderr()}`);
    }
  });

  it('speaker: becomes ready with nothing to announce, serves the speaker metrics, and exits 0 on SIGTERM', async () => {
    // No L2Advertisement: the speaker opens no socket, so nothing is sent on this host's interfaces.
    const d = startDaemon(['speaker', '--kubeconfig', kubeconfig, '--node', 'nowhere', '--no-uplink-label', '--metrics-bind', '127.0.0.1:0', '--log-format', 'json']);
    try {
      await d.port();
      assert.equal(await d.until('/readyz', 200), 'ok\n');
      const metrics = await d.get('/metrics');
      assert.match(metrics.text, /# TYPE metallb_speaker_announced gauge/);
      assert.match(metrics.text, /airlb_k8s_api_connected 1/);
      d.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    } catch (err) {
      d.kill('SIGKILL');
      throw new Error(`${String(err)}\n--- log ---\n${d.stderr()}`);
    }
  });

  it('fails with exit 1 and says what to pass when there is neither a pod nor --kubeconfig', async () => {
    const r = await runCli(['controller']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pass --kubeconfig FILE/);
  });

  it('rejects a malformed --metrics-bind with exit 2', async () => {
    for (const command of ['controller', 'speaker']) {
      const r = await runCli([command, '--metrics-bind', 'nonsense']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--metrics-bind must be HOST:PORT/);
    }
  });
});
