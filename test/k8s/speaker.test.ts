import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { classifyInterface, type InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { systemClock } from '../../src/io/system-clock.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import type { JsonObject } from '../../src/k8s/json.js';
import { l2StatusName } from '../../src/k8s/l2-status.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { KubeSpeaker } from '../../src/k8s/speaker.js';
import { registerSpeakerMetrics } from '../../src/metrics/speaker-metrics.js';
import { decodeArpFrame } from '../../src/proto/arp/frame.js';
import type { LinkLayer, LinkPort } from '../../src/standalone/engine.js';
import { FakeApiServer } from './fake-apiserver.js';
import { describeEvents, memoryLogger, service, waitFor } from './helpers.js';

const NS = 'metallb-system';
const VIP = '192.168.1.240';

class FakeLink implements LinkLayer {
  readonly sent = new Map<string, Buffer[]>();
  readonly open_ = new Set<string>();
  open(ifname: string): LinkPort {
    this.open_.add(ifname);
    const frames: Buffer[] = this.sent.get(ifname) ?? [];
    this.sent.set(ifname, frames);
    return {
      send: (f) => void frames.push(f),
      setPromiscuous: () => undefined,
      setMulticast: () => undefined,
      close: () => void this.open_.delete(ifname),
    };
  }
  /** ARP frames sent on `ifname` announcing `ip` as ours (gratuitous ARP: sender = target = ip). */
  gratuitous(ifname: string, ip: string): number {
    return (this.sent.get(ifname) ?? []).filter((f) => {
      const { arp } = decodeArpFrame(f);
      return arp.senderIp === ip && arp.targetIp === ip;
    }).length;
  }
}

function iface(name: string, address: string, wireless: boolean, ifindex: number): InterfaceFacts {
  return {
    name,
    ifindex,
    type: 1,
    mac: `02:00:00:00:00:0${ifindex}`,
    operstate: 'up',
    flags: 0x1003,
    devtype: wireless ? 'wlan' : null,
    hasWirelessDir: wireless,
    hasPhy80211: wireless,
    master: null,
    softwareDevice: false,
    addresses: [{ address, prefixLength: 24 }],
  };
}

describe('KubeSpeaker against the test API server', () => {
  let server: FakeApiServer;
  let speaker: KubeSpeaker | null = null;

  beforeEach(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 200 });
    server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    server.put(RESOURCES.node, {
      metadata: { name: 'pi1', labels: { 'kubernetes.io/hostname': 'pi1' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.168.1.11' }] },
    });
    server.put(RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: NS }, spec: { addresses: ['192.168.1.240/29'] } });
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
    speaker?.stop();
    speaker = null;
    await server.close();
  });

  function start(link: FakeLink, interfaces: InterfaceFacts[]): KubeSpeaker {
    // The speaker runs on airlb's own HTTP transport in production.
    const transport = new HttpTransport(server.connection(), systemClock);
    const { logger } = memoryLogger();
    speaker = new KubeSpeaker({
      transport,
      node: 'pi1',
      namespace: NS,
      loadBalancerClass: null,
      clock: systemClock,
      random: Math.random,
      logger,
      link,
      classifier: (f) => classifyInterface(f),
      wifiPromiscuous: true,
      labelUplink: true,
      events: new EventRecorder(transport, 'airlb-speaker', 'pi1', logger),
      readInterfaces: async () => interfaces,
      interfaceIntervalMs: 100,
      backoff: { initialMs: 20, maxMs: 100 },
      debounceMs: 5,
    });
    speaker.start();
    return speaker;
  }

  const l2Status = (): JsonObject | null => server.get(RESOURCES.serviceL2Status, NS, l2StatusName('pi1', 'default', 'web'));

  it('announces the published address, writes a ServiceL2Status and a nodeAssigned Event, and labels its Node wireless', async () => {
    const link = new FakeLink();
    const s = start(link, [iface('wlan0', '192.168.1.11', true, 3)]);
    await waitFor('gratuitous ARP for the VIP on wlan0', () => link.gratuitous('wlan0', VIP) > 0);
    assert.deepEqual(s.ready, { ok: true, detail: 'ok' });
    await waitFor('the ServiceL2Status', () => JSON.stringify(l2Status()?.['status'] ?? null).includes('wlan0'));
    assert.deepEqual(l2Status()!['status'], { node: 'pi1', serviceName: 'web', serviceNamespace: 'default', interfaces: [{ name: 'wlan0' }] });
    assert.equal((l2Status()!['metadata'] as JsonObject)['labels'] !== undefined, true);
    await waitFor('the nodeAssigned Event', () => describeEvents(server.list(RESOURCES.event), 'web').length > 0);
    assert.deepEqual(describeEvents(server.list(RESOURCES.event), 'web'), ['Normal nodeAssigned: announcing from node "pi1" with protocol "layer2"']);
    await waitFor('the uplink label', () => ((server.get(RESOURCES.node, '', 'pi1')!['metadata'] as JsonObject)['labels'] as JsonObject)['airlb.io/uplink'] === 'wireless');
  });

  it('keeps announcing the last known state while the API server is down', async () => {
    const link = new FakeLink();
    const s = start(link, [iface('eth0', '192.168.1.11', false, 2)]);
    await waitFor('the VIP to be claimed', () => s.engineStatus().vips.some((v) => v.ip === VIP && v.state === 'claimed'));
    server.setAvailable(false);
    await waitFor('the speaker to notice the outage', () => !s.apiConnected);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(s.announced().map((v) => v.ip), [VIP]);
    assert.ok(s.engineStatus().vips.some((v) => v.ip === VIP && v.state === 'claimed'));
    assert.ok(link.open_.has('eth0'));
    server.setAvailable(true);
    server.remove(RESOURCES.service, 'default', 'web');
    await waitFor('the VIP to be withdrawn once the API says the Service is gone', () => s.announced().length === 0);
    await waitFor('its ServiceL2Status to be deleted', () => l2Status() === null);
  });

  it('announces nothing for a Service without a serving endpoint, as MetalLB', async () => {
    server.remove(RESOURCES.endpointSlice, 'default', 'web-1');
    const link = new FakeLink();
    const s = start(link, [iface('eth0', '192.168.1.11', false, 2)]);
    await waitFor('the first plan', () => s.ready.ok);
    assert.deepEqual(s.announced(), []);
  });

  it('exports MetalLB-named speaker metrics read from the engine', async () => {
    const link = new FakeLink();
    const s = start(link, [iface('eth0', '192.168.1.11', false, 2)]);
    await waitFor('gratuitous ARP', () => link.gratuitous('eth0', VIP) > 0);
    const registry = new Registry();
    registerSpeakerMetrics(registry, {
      node: 'pi1',
      counters: () => s.engineStatus().counters,
      announced: () => s.announced().flatMap((v) => v.services.map((service) => ({ service, ip: v.ip }))),
      uplink: () => s.uplinkKind,
      apiConnected: () => s.apiConnected,
    });
    const text = await registry.metrics();
    assert.match(text, /metallb_speaker_announced\{ip="192\.168\.1\.240",node="pi1",protocol="layer2",service="default\/web"\} 1/);
    assert.match(text, /metallb_layer2_gratuitous_sent [1-9]/);
    assert.match(text, /airlb_uplink_info\{node="pi1",kind="wired"\} 1/);
  });
});
