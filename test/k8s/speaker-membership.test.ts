import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { classifyInterface } from '../../src/domain/l2/interfaces.js';
import { systemClock } from '../../src/io/system-clock.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { KubeSpeaker } from '../../src/k8s/speaker.js';
import type { LinkLayer, LinkPort } from '../../src/standalone/engine.js';
import { FakeApiServer } from './fake-apiserver.js';
import { memoryLogger, service, waitFor } from './helpers.js';
import { wiredEth0 } from '../support/interfaces.js';

// The Kubernetes speaker with multi-node membership asked for, on a host where it cannot run (the
// Nodes' InternalIPs are TEST-NET addresses no interface here holds): it must say why, and elect
// from the Nodes' Ready condition rather than announce nothing. Membership itself, with BFD and
// verification between real speakers, is proven in test/k8s/lab-e2e.test.ts.

const NS = 'metallb-system';
const VIP = '192.0.2.240';

class FakeLink implements LinkLayer {
  readonly opened = new Set<string>();
  open(ifname: string): LinkPort {
    this.opened.add(ifname);
    return { send: () => undefined, setPromiscuous: () => undefined, setMulticast: () => undefined, close: () => void this.opened.delete(ifname) };
  }
}

const eth0 = wiredEth0('02:00:00:00:00:02', '192.0.2.11');

describe('KubeSpeaker membership fallback', () => {
  let server: FakeApiServer;
  let speaker: KubeSpeaker | null = null;

  beforeEach(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 200 });
    server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    for (const [name, ready] of [['pi1', 'True'], ['pi2', 'False']] as const) {
      server.put(RESOURCES.node, {
        metadata: { name },
        status: { conditions: [{ type: 'Ready', status: ready }], addresses: [{ type: 'InternalIP', address: name === 'pi1' ? '192.0.2.11' : '192.0.2.12' }] },
      });
    }
    server.put(RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: NS }, spec: { addresses: ['192.0.2.240/29'] } });
    server.put(RESOURCES.l2Advertisement, { metadata: { name: 'l2', namespace: NS }, spec: { ipAddressPools: ['home'] } });
    const svc = service('default', 'web', { annotations: { 'metallb.io/ip-allocated-from-pool': 'home' } });
    server.put(RESOURCES.service, { ...svc, status: { loadBalancer: { ingress: [{ ip: VIP }] } } });
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

  it('logs why membership cannot start and announces from the Ready condition instead', async () => {
    const transport = new HttpTransport(server.connection(), systemClock);
    const { logger, lines } = memoryLogger();
    speaker = new KubeSpeaker({
      transport,
      node: 'pi1',
      namespace: NS,
      loadBalancerClass: null,
      clock: systemClock,
      random: Math.random,
      logger,
      link: new FakeLink(),
      classifier: (f) => classifyInterface(f),
      wifiPromiscuous: true,
      labelUplink: false,
      events: new EventRecorder(transport, 'airlb-speaker', 'pi1', logger),
      readInterfaces: async () => [eth0],
      interfaceIntervalMs: 100,
      backoff: { initialMs: 20, maxMs: 100 },
      debounceMs: 5,
      membership: { verify: true },
    });
    speaker.start();
    await waitFor('the membership start to fail', () => lines.some((l) => l.includes('cannot start multi-node membership')), 5000);
    assert.ok(lines.some((l) => l.includes('no interface holds 192.0.2.11')), 'the log names the missing InternalIP');
    await waitFor('pi1 (Ready; pi2 is NotReady) to announce the VIP', () => speaker!.announced().some((v) => v.ip === VIP), 5000);
    assert.equal(speaker.membershipStatus(), null);
  });
});
