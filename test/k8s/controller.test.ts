import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { systemClock } from '../../src/io/system-clock.js';
import { statusOf } from '../../src/k8s/api-error.js';
import { CONFIG_STATUS_NAME } from '../../src/k8s/config-status.js';
import { Controller } from '../../src/k8s/controller.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { OfficialTransport } from '../../src/k8s/official-transport.js';
import type { JsonObject } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { ingressIps, POOL_ANNOTATION, poolAnnotation, ServiceWriter } from '../../src/k8s/service-status.js';
import { ControllerMetrics } from '../../src/metrics/controller-metrics.js';
import { FakeApiServer } from './fake-apiserver.js';
import { describeEvents, memoryLogger, service, waitFor } from './helpers.js';

const NS = 'metallb-system';

function pool(name: string, addresses: string[]): JsonObject {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses } };
}

describe('Controller against the test API server', () => {
  let server: FakeApiServer;
  const running: Controller[] = [];

  beforeEach(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 200 });
    server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    server.put(RESOURCES.namespace, { metadata: { name: NS } });
  });
  afterEach(async () => {
    for (const c of running.splice(0)) c.stop();
    await server.close();
  });

  async function startController(metrics: ControllerMetrics | null = null): Promise<Controller> {
    // The controller runs on the official client in production.
    const transport = new OfficialTransport(server.kubeConfig());
    const { logger } = memoryLogger();
    const c = new Controller({
      transport,
      clock: systemClock,
      logger,
      events: new EventRecorder(transport, 'airlb-controller', 'test', logger),
      metrics,
      configNamespace: NS,
      backoff: { initialMs: 20, maxMs: 100 },
      debounceMs: 5,
    });
    running.push(c);
    await c.start();
    return c;
  }

  const svc = (name: string): JsonObject => server.get(RESOURCES.service, 'default', name)!;
  const events = (name: string): string[] => describeEvents(server.list(RESOURCES.event), name);

  it('gives a new LoadBalancer Service an address through the status subresource, the pool annotation and an IPAllocated Event', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240-192.168.1.250']));
    const metrics = new ControllerMetrics(new Registry());
    const c = await startController(metrics);
    assert.deepEqual(c.ready, { ok: true, detail: 'ok' });
    server.put(RESOURCES.service, service('default', 'web'));
    await waitFor('the status write', () => ingressIps(svc('web')).length === 1);
    assert.deepEqual(ingressIps(svc('web')), ['192.168.1.240']);
    await waitFor('the annotation', () => poolAnnotation(svc('web')) === 'home');
    await waitFor('the Event', () => events('web').length === 1);
    assert.deepEqual(events('web'), ['Normal IPAllocated: Assigned IP ["192.168.1.240"]']);
    const text = await metrics.registry.metrics();
    assert.match(text, /metallb_allocator_addresses_in_use_total\{pool="home"\} 1/);
    assert.match(text, /metallb_allocator_addresses_total\{pool="home"\} 11/);
  });

  it('keeps every address across a controller restart, even where a fresh allocation would order them differently', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240-192.168.1.250']));
    const first = await startController();
    server.put(RESOURCES.service, service('default', 'zeta'));
    await waitFor('zeta to get an address', () => ingressIps(svc('zeta')).length === 1);
    server.put(RESOURCES.service, service('default', 'alpha'));
    await waitFor('alpha to get an address', () => ingressIps(svc('alpha')).length === 1);
    assert.deepEqual([ingressIps(svc('zeta')), ingressIps(svc('alpha'))], [['192.168.1.240'], ['192.168.1.241']]);
    first.stop();
    await new Promise((r) => setTimeout(r, 50));
    const writes = server.count('patch-status', 'services');
    server.put(RESOURCES.service, service('default', 'beta'));
    const second = await startController();
    assert.ok(second.ready.ok);
    await waitFor('the new Service to get an address', () => ingressIps(svc('beta')).length === 1);
    // Sorted by name, a fresh allocation would give alpha .240 and zeta .241.
    assert.deepEqual([ingressIps(svc('zeta')), ingressIps(svc('alpha')), ingressIps(svc('beta'))], [['192.168.1.240'], ['192.168.1.241'], ['192.168.1.242']]);
    assert.equal(server.count('patch-status', 'services'), writes + 1);
  });

  it('reports an exhausted pool as a Warning AllocationFailed Event, once, and frees the address of a deleted Service for it', async () => {
    server.put(RESOURCES.ipAddressPool, pool('tiny', ['192.168.1.240/32']));
    await startController();
    server.put(RESOURCES.service, service('default', 'one'));
    await waitFor('one to get the address', () => ingressIps(svc('one')).length === 1);
    server.put(RESOURCES.service, service('default', 'two'));
    await waitFor('the failure Event', () => events('two').length === 1);
    assert.match(events('two')[0]!, /^Warning AllocationFailed: /);
    server.put(RESOURCES.service, service('default', 'two', { labels: { touched: 'yes' } }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(events('two').length, 1);
    server.remove(RESOURCES.service, 'default', 'one');
    await waitFor('two to get the freed address', () => ingressIps(svc('two'))[0] === '192.168.1.240');
  });

  it('clears the status and annotation it wrote when a Service stops being of type LoadBalancer', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240/29']));
    await startController();
    server.put(RESOURCES.service, service('default', 'web'));
    await waitFor('the annotation', () => poolAnnotation(svc('web')) === 'home');
    server.put(RESOURCES.service, { ...svc('web'), spec: { type: 'ClusterIP', ports: [{ port: 80 }] } });
    await waitFor('status and annotation to be cleared', () => ingressIps(svc('web')).length === 0 && poolAnnotation(svc('web')) === null);
  });

  it('reports overlapping pools as InvalidConfiguration Events and keeps allocating from the pools already in force', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240/29']));
    const metrics = new ControllerMetrics(new Registry());
    await startController(metrics);
    server.put(RESOURCES.ipAddressPool, pool('clash', ['192.168.1.244-192.168.1.250']));
    await waitFor('the InvalidConfiguration Event', () => events('clash').length + events('home').length > 0);
    assert.match([...events('clash'), ...events('home')][0]!, /^Warning InvalidConfiguration: spec\.addresses/);
    assert.match(await metrics.registry.metrics(), /airlb_config_issues [1-9]/);
    const status = (): JsonObject | undefined => server.get(RESOURCES.configMap, NS, CONFIG_STATUS_NAME)?.['data'] as JsonObject | undefined;
    // The first pass, with the valid pool only, said valid; the next one must say otherwise.
    await waitFor('the configuration status to say invalid', () => status()?.['valid'] === 'false');
    const data = status()!;
    assert.equal(data['applied'], 'false');
    assert.match(String(data['problems']), /^IPAddressPool\/(clash|home): spec\.addresses/);
    server.put(RESOURCES.service, service('default', 'web'));
    await waitFor('web to get an address from the old pool', () => poolAnnotation(svc('web')) === 'home');
  });

  it('reports a MetalLB field airlb does not honour as a ConfigurationWarning Event and in the status ConfigMap, and still applies the pools', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240/29']));
    server.put(RESOURCES.bgpPeer, { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'r', namespace: NS }, spec: { myASN: 64500, peerASN: 64501, interface: 'eth1' } });
    const metrics = new ControllerMetrics(new Registry());
    const c = await startController(metrics);
    assert.deepEqual(c.ready, { ok: true, detail: 'ok' });
    await waitFor('the ConfigurationWarning Event', () => events('r').length === 1);
    assert.deepEqual(events('r'), [
      'Warning ConfigurationWarning: spec.interface: unnumbered peering (interface "eth1") is not supported yet: airlb cannot open a session with this peer, so nothing is announced to it; set peerAddress to the router\'s address on that link instead',
    ]);
    const data = (): JsonObject | undefined => server.get(RESOURCES.configMap, NS, CONFIG_STATUS_NAME)?.['data'] as JsonObject | undefined;
    await waitFor('the configuration status', () => data() !== undefined);
    assert.equal(data()!['valid'], 'true');
    assert.equal(data()!['applied'], 'true');
    assert.equal(data()!['problems'], '');
    assert.match(String(data()!['warnings']), /^BGPPeer\/r: spec\.interface: unnumbered peering \(interface "eth1"\)/);
    // A warning is not an issue: the metric of invalid configuration stays at zero.
    assert.match(await metrics.registry.metrics(), /airlb_config_issues 0/);
    server.put(RESOURCES.service, service('default', 'web'));
    await waitFor('web to get an address', () => poolAnnotation(svc('web')) === 'home');
  });

  it('writes nothing while the pools are invalid at start, so a restart with a broken configuration clears no status', async () => {
    server.put(RESOURCES.ipAddressPool, pool('bad', ['192.168.1.300/29']));
    server.put(RESOURCES.service, service('default', 'web'));
    server.put(RESOURCES.service, { ...svc('web'), status: { loadBalancer: { ingress: [{ ip: '192.168.1.241' }] } }, metadata: { ...(svc('web')['metadata'] as JsonObject), annotations: { [POOL_ANNOTATION]: 'home' } } });
    const c = await startController();
    assert.equal(c.ready.ok, false);
    assert.deepEqual(ingressIps(svc('web')), ['192.168.1.241']);
    assert.equal(server.count('patch-status', 'services'), 0);
    server.put(RESOURCES.ipAddressPool, pool('bad', ['192.168.1.240/29']));
    await waitFor('the controller to become ready', () => c.ready.ok);
    await waitFor('the configuration status to say valid', () => (server.get(RESOURCES.configMap, NS, CONFIG_STATUS_NAME)?.['data'] as JsonObject | undefined)?.['valid'] === 'true');
    assert.deepEqual(ingressIps(svc('web')), ['192.168.1.241']);
  });

  it('keeps working through an API server outage and allocates what was created meanwhile once it is back', async () => {
    server.put(RESOURCES.ipAddressPool, pool('home', ['192.168.1.240/29']));
    await startController();
    server.setAvailable(false);
    server.put(RESOURCES.service, service('default', 'during'));
    await new Promise((r) => setTimeout(r, 100));
    server.setAvailable(true);
    await waitFor('the Service created during the outage to get an address', () => ingressIps(svc('during')).length === 1, 5000);
  });

  it('gets 409 Conflict when writing status decided on a stale copy of the Service', async () => {
    server.put(RESOURCES.service, service('default', 'web'));
    const stale = svc('web');
    server.put(RESOURCES.service, service('default', 'web', { labels: { changed: 'yes' } }));
    const writer = new ServiceWriter(new OfficialTransport(server.kubeConfig()));
    await assert.rejects(writer.apply(stale, { ingress: ['192.168.1.240'], pool: undefined }), (e: unknown) => statusOf(e) === 409);
    assert.deepEqual(ingressIps(svc('web')), []);
  });
});
