import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyInterface, type InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { toConfigSet, toResource } from '../../src/k8s/convert.js';
import type { JsonObject } from '../../src/k8s/json.js';
import { RESOURCES, type ResourceType } from '../../src/k8s/resources.js';
import { writeFor } from '../../src/k8s/service-status.js';
import { assignmentsFromStatus, speakerPlan, speakersOf } from '../../src/k8s/speaker-plan.js';
import { uplinkOf } from '../../src/k8s/uplink.js';
import { service } from './helpers.js';

function typed(...objects: [ResourceType, JsonObject][]) {
  return toConfigSet(objects.map(([t, o]) => toResource(t, o)!));
}

const pool: [ResourceType, JsonObject] = [RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: 'metallb-system' }, spec: { addresses: ['192.168.1.240/29'] } }];
const l2: [ResourceType, JsonObject] = [RESOURCES.l2Advertisement, { metadata: { name: 'l2', namespace: 'metallb-system' }, spec: {} }];
const node = (name: string, ready: string | null, ip = '192.168.1.11'): [ResourceType, JsonObject] => [
  RESOURCES.node,
  { metadata: { name }, status: { conditions: ready === null ? [] : [{ type: 'Ready', status: ready }], addresses: [{ type: 'InternalIP', address: ip }] } },
];
const published = (name: string, ip: string, annotations: Record<string, string> = {}): [ResourceType, JsonObject] => [
  RESOURCES.service,
  { ...service('default', name, { annotations }), status: { loadBalancer: { ingress: [{ ip }] } } },
];

describe('speaker plan (pure)', () => {
  it('takes the pool from the annotation, else from the pool containing the address, and skips addresses in no pool', () => {
    const config = typed(pool, published('a', '192.168.1.241', { 'metallb.io/ip-allocated-from-pool': 'home' }), published('b', '192.168.1.242'), published('c', '10.0.0.1'));
    assert.deepEqual(
      assignmentsFromStatus(config.services, config.pools, null).map((a) => `${a.service.metadata.name} ${a.ips.join(',')} ${a.pool}`),
      ['a 192.168.1.241 home', 'b 192.168.1.242 home'],
    );
  });

  it('counts a speaker alive while its Node is Ready or reports no Ready condition, and dead when NotReady or Unknown', () => {
    const config = typed(node('ready', 'True'), node('none', null), node('down', 'False'), node('lost', 'Unknown'));
    assert.deepEqual(speakersOf(config.nodes).map((s) => `${s.node} ${s.alive}`), ['down false', 'lost false', 'none true', 'ready true']);
  });

  it('gives the VIP to the only live node, and moves it when that node goes NotReady', () => {
    const endpoints: [ResourceType, JsonObject] = [
      RESOURCES.endpointSlice,
      { metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }] },
    ];
    const svc = published('web', '192.168.1.240', { 'metallb.io/ip-allocated-from-pool': 'home' });
    const before = typed(pool, l2, svc, endpoints, node('pi1', 'True'), node('pi2', 'False', '192.168.1.12'));
    assert.deepEqual(speakerPlan({ config: before, node: 'pi1', loadBalancerClass: null }).announce.map((v) => `${v.ip} ${v.services.join(',')}`), ['192.168.1.240 default/web']);
    assert.deepEqual(speakerPlan({ config: before, node: 'pi2', loadBalancerClass: null }).announce, []);
    const after = typed(pool, l2, svc, endpoints, node('pi1', 'False'), node('pi2', 'True', '192.168.1.12'));
    assert.deepEqual(speakerPlan({ config: after, node: 'pi2', loadBalancerClass: null }).announce.map((v) => v.ip), ['192.168.1.240']);
  });
});

describe('what the controller writes for an allocation result (pure)', () => {
  const obj = (ips: string[], pool: string | null): JsonObject => ({
    ...service('default', 'web', { annotations: pool === null ? {} : { 'metallb.io/ip-allocated-from-pool': pool } }),
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  });

  it('writes nothing when status and annotation already say it', () => {
    assert.deepEqual(writeFor(obj(['192.168.1.240'], 'home'), { ok: true, ips: ['192.168.1.240'], pool: 'home' }), { ingress: null, pool: undefined });
  });

  it('writes the new address and pool when they differ', () => {
    assert.deepEqual(writeFor(obj([], null), { ok: true, ips: ['192.168.1.240'], pool: 'home' }), { ingress: ['192.168.1.240'], pool: 'home' });
  });

  it('clears what airlb wrote when the Service can no longer have it, and leaves other controllers\' addresses alone', () => {
    const failure = { ok: false as const, reason: 'not-load-balancer' as const, message: 'x' };
    assert.deepEqual(writeFor(obj(['192.168.1.240'], 'home'), failure), { ingress: [], pool: null });
    assert.deepEqual(writeFor(obj(['203.0.113.9'], null), failure), { ingress: null, pool: undefined });
    assert.deepEqual(writeFor(obj(['192.168.1.240'], 'home'), { ok: false, reason: 'other-class', message: 'x' }), { ingress: null, pool: undefined });
  });
});

describe('uplink kind of a node', () => {
  const facts = (name: string, address: string, wireless: boolean, master: string | null = null): InterfaceFacts => ({
    name, ifindex: 2, type: 1, mac: '02:00:00:00:00:02', operstate: 'up', flags: 0x1003, devtype: wireless ? 'wlan' : null,
    hasWirelessDir: wireless, hasPhy80211: wireless, master, softwareDevice: false, addresses: [{ address, prefixLength: 24 }],
  });
  const pi = typed(node('pi1', 'True', '192.168.1.11')).nodes[0]!;

  it('is the kind of the interface holding the Node\'s InternalIP', () => {
    const classify = (f: InterfaceFacts) => classifyInterface(f);
    assert.equal(uplinkOf(pi, [facts('eth0', '10.0.0.5', false), facts('wlan0', '192.168.1.11', true)], classify), 'wireless');
    assert.equal(uplinkOf(pi, [facts('eth0', '192.168.1.11', false), facts('wlan0', '10.0.0.5', true)], classify), 'wired');
  });

  it('is unknown when no interface holds the address', () => {
    assert.equal(uplinkOf(pi, [facts('eth0', '10.0.0.5', false)], (f) => classifyInterface(f)), null);
  });
});
