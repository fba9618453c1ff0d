import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { classifyInterface } from '../../src/domain/l2/interfaces.js';
import { systemClock } from '../../src/io/system-clock.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { KubeSpeaker } from '../../src/k8s/speaker.js';
import type { LinkLayer } from '../../src/standalone/engine.js';
import { FakeApiServer } from './fake-apiserver.js';
import { describeEvents, memoryLogger, service, waitFor } from './helpers.js';

// The BGP side of KubeSpeaker without a network: no listener, no MD5 addon, a peer on a closed
// loopback port (its session never comes up, nothing leaves the host). What is checked is what
// the speaker plans and reports; test/k8s/speaker-bgp-bird.test.ts checks the routes at a router.

const NS = 'metallb-system';
const VIP = '198.51.100.10';
const link: LinkLayer = { open: () => ({ send: () => undefined, setPromiscuous: () => undefined, setMulticast: () => undefined, close: () => undefined }) };

describe('KubeSpeaker BGP against the test API server', () => {
  let server: FakeApiServer;
  let speaker: KubeSpeaker | null = null;

  beforeEach(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 200 });
    server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    server.put(RESOURCES.node, {
      metadata: { name: 'pi1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.0.2.2' }] },
    });
    server.put(RESOURCES.ipAddressPool, { metadata: { name: 'bgp-pool', namespace: NS }, spec: { addresses: ['198.51.100.0/24'] } });
    server.put(RESOURCES.bgpAdvertisement, { metadata: { name: 'bgp', namespace: NS }, spec: {} });
    server.put(RESOURCES.bgpPeer, {
      metadata: { name: 'router', namespace: NS },
      spec: { myASN: 64512, peerASN: 64512, peerAddress: '127.0.0.1', peerPort: 1, passwordSecret: { name: 'bgp-auth', namespace: NS } },
    });
    server.put(RESOURCES.service, { ...service('default', 'web', { annotations: { 'metallb.io/ip-allocated-from-pool': 'bgp-pool' } }), status: { loadBalancer: { ingress: [{ ip: VIP }] } } });
    server.put(RESOURCES.endpointSlice, {
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true }, nodeName: 'pi1' }],
    });
  });
  afterEach(async () => {
    await speaker?.stop();
    speaker = null;
    await server.close();
  });

  function start(): KubeSpeaker {
    const transport = new HttpTransport(server.connection(), systemClock);
    const { logger } = memoryLogger();
    speaker = new KubeSpeaker({
      transport, node: 'pi1', namespace: NS, loadBalancerClass: null, clock: systemClock, random: Math.random, logger, link,
      classifier: (f) => classifyInterface(f), wifiPromiscuous: false, labelUplink: false,
      events: new EventRecorder(transport, 'airlb-speaker', 'pi1', logger),
      readInterfaces: async () => [], interfaceIntervalMs: 100, backoff: { initialMs: 20, maxMs: 100 }, debounceMs: 5,
      bgp: { listen: null, native: null },
    });
    speaker.start();
    return speaker;
  }

  it('leaves out a peer whose Secret is missing, with a Warning Event on the BGPPeer, and starts it once the Secret exists', async () => {
    const s = start();
    await waitFor('the PeerNotStarted Event', () => describeEvents(server.list(RESOURCES.event), 'router').length > 0);
    assert.match(describeEvents(server.list(RESOURCES.event), 'router')[0]!, /^Warning PeerNotStarted: node "pi1" has no session with this peer: Secret metallb-system\/bgp-auth .*not found/);
    assert.deepEqual(s.bgpStatus().sessions, []);
    assert.deepEqual(s.bgpAnnounced(), [], 'a route towards a peer left out is not counted as announced');

    server.put(RESOURCES.secret, { metadata: { name: 'bgp-auth', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: Buffer.from('k').toString('base64') } });
    await waitFor('the session with the peer', () => s.bgpStatus().sessions.some((x) => x.peer === 'router'));
    assert.deepEqual(s.bgpAnnounced(), [{ service: 'default/web', ip: VIP }]);
  });

  it('keeps its BGP sessions and routes while the API server is down, and withdraws once it says the Service is gone', async () => {
    server.put(RESOURCES.secret, { metadata: { name: 'bgp-auth', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: Buffer.from('k').toString('base64') } });
    const s = start();
    await waitFor('the route', () => s.bgpAnnounced().length === 1);
    server.setAvailable(false);
    await waitFor('the speaker to notice the outage', () => !s.apiConnected);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(s.bgpStatus().routes.map((r) => r.prefix), [`${VIP}/32`]);
    assert.deepEqual(s.bgpStatus().sessions.map((x) => x.peer), ['router']);
    server.setAvailable(true);
    server.remove(RESOURCES.service, 'default', 'web');
    await waitFor('the route to be withdrawn', () => s.bgpStatus().routes.length === 0 && s.bgpAnnounced().length === 0);
    assert.deepEqual(s.bgpStatus().sessions.map((x) => x.peer), ['router'], 'the session stays without routes');
  });
});
