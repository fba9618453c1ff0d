import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toConfigSet, toResource } from '../../src/k8s/convert.js';
import type { JsonObject } from '../../src/k8s/json.js';
import { RESOURCES, type ResourceType } from '../../src/k8s/resources.js';
import { speakerBgpPlan } from '../../src/k8s/speaker-bgp-plan.js';
import { service } from './helpers.js';

function typed(...objects: [ResourceType, JsonObject][]) {
  return toConfigSet(objects.map(([t, o]) => toResource(t, o)!));
}

const NS = 'metallb-system';
const pool: [ResourceType, JsonObject] = [RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: NS }, spec: { addresses: ['192.168.1.240/29'] } }];
const adv: [ResourceType, JsonObject] = [RESOURCES.bgpAdvertisement, { metadata: { name: 'bgp', namespace: NS }, spec: {} }];
const peer = (name: string, passwordSecret: JsonObject | null): [ResourceType, JsonObject] => [
  RESOURCES.bgpPeer,
  { metadata: { name, namespace: NS }, spec: { myASN: 64512, peerASN: 64513, peerAddress: '192.168.1.1', ...(passwordSecret === null ? {} : { passwordSecret }) } },
];
const node = (name: string, ip: string): [ResourceType, JsonObject] => [
  RESOURCES.node,
  { metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: ip }] } },
];
const web = (policy: 'Cluster' | 'Local'): [ResourceType, JsonObject] => [
  RESOURCES.service,
  { ...service('default', 'web', { annotations: { 'metallb.io/ip-allocated-from-pool': 'home' }, spec: { externalTrafficPolicy: policy } }), status: { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } } },
];
const slice = (ready: boolean, nodeName: string): [ResourceType, JsonObject] => [
  RESOURCES.endpointSlice,
  {
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'], nodeName, conditions: { ready } }],
  },
];
const plan = (node: string, ...objects: [ResourceType, JsonObject][]) =>
  speakerBgpPlan({ config: typed(...objects), node, loadBalancerClass: null, namespace: NS, secretPasswords: new Map([['bgp-auth', 's3cret']]) });
const base = [pool, adv, peer('router', null), node('pi1', '192.168.1.11'), node('pi2', '192.168.1.12')] as const;

describe('the BGP plan of a speaker in a cluster (pure)', () => {
  it('announces a Cluster-policy Service from every node while an endpoint is ready, and from none once it is not', () => {
    const prefixes = (n: string, ready: boolean) => plan(n, ...base, web('Cluster'), slice(ready, 'pi2')).plan.announcements.map((a) => a.prefix);
    assert.deepEqual(prefixes('pi1', true), ['192.168.1.240/32']);
    assert.deepEqual(prefixes('pi2', true), ['192.168.1.240/32']);
    assert.deepEqual(prefixes('pi1', false), []);
    assert.deepEqual(prefixes('pi2', false), []);
  });

  it('announces a Local-policy Service only from the node holding its ready endpoint', () => {
    assert.deepEqual(plan('pi1', ...base, web('Local'), slice(true, 'pi2')).plan.announcements, []);
    assert.deepEqual(plan('pi2', ...base, web('Local'), slice(true, 'pi2')).plan.announcements.map((a) => a.prefix), ['192.168.1.240/32']);
  });

  it("fills a peer's password from its Secret, and leaves out with an issue a peer whose Secret is missing or in another namespace", () => {
    const found = plan('pi1', pool, adv, node('pi1', '192.168.1.11'), peer('ok', { name: 'bgp-auth', namespace: NS }));
    assert.deepEqual(found.plan.peers.map((p) => [p.metadata.name, p.spec.password]), [['ok', 's3cret']]);
    assert.deepEqual(found.issues, []);
    const missing = plan('pi1', pool, adv, node('pi1', '192.168.1.11'), peer('gone', { name: 'nope', namespace: NS }), peer('far', { name: 'bgp-auth', namespace: 'other' }));
    assert.deepEqual(missing.plan.peers, []);
    assert.equal(missing.issues.length, 2);
    const messages = missing.issues.map((i) => i.message).join('\n');
    assert.match(messages, /nope.*not found/);
    assert.match(messages, /other\/bgp-auth is outside the speaker's namespace/);
  });

  it("gives the node's InternalIP as its address, and nothing to a node that has no Node object", () => {
    assert.deepEqual(plan('pi1', ...base).plan.nodeAddresses, { v4: '192.168.1.11', v6: null });
    assert.deepEqual(plan('ghost', ...base, web('Cluster'), slice(true, 'pi1')).plan, { peers: [], bfdProfiles: [], announcements: [], nodeAddresses: { v4: null, v6: null } });
  });
});
