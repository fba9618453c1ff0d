import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { classifyInterface, type InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { systemClock } from '../../src/io/system-clock.js';
import { Controller } from '../../src/k8s/controller.js';
import { EventRecorder } from '../../src/k8s/events.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import { isJsonObject, type Json, type JsonObject } from '../../src/k8s/json.js';
import { l2StatusName } from '../../src/k8s/l2-status.js';
import { OfficialTransport } from '../../src/k8s/official-transport.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { ingressIps } from '../../src/k8s/service-status.js';
import { KubeSpeaker } from '../../src/k8s/speaker.js';
import type { LinkLayer } from '../../src/standalone/engine.js';
import { repoRoot } from '../support/cli.js';
import { FakeApiServer, type AuditEntry } from './fake-apiserver.js';
import { memoryLogger, service, waitFor } from './helpers.js';

const NS = 'metallb-system';

interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** The rules deploy/airlb.yaml grants a service account: cluster-wide ones, and per-namespace ones. */
function grants(account: string): { cluster: Rule[]; namespaced: Map<string, Rule[]> } {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'deploy/airlb.yaml'), 'utf8'))
    .map((d) => d.toJSON() as Json)
    .filter(isJsonObject);
  const meta = (d: JsonObject): JsonObject => d['metadata'] as JsonObject;
  const bound = (kind: string): JsonObject[] =>
    docs.filter((d) => d['kind'] === kind && ((d['subjects'] as JsonObject[]) ?? []).some((s) => s['name'] === account));
  const rulesOf = (kind: string, name: string, namespace?: string): Rule[] =>
    (docs.find((d) => d['kind'] === kind && meta(d)['name'] === name && (namespace === undefined || meta(d)['namespace'] === namespace))?.['rules'] as unknown as Rule[]) ?? [];
  const cluster = bound('ClusterRoleBinding').flatMap((b) => rulesOf('ClusterRole', String((b['roleRef'] as JsonObject)['name'])));
  const namespaced = new Map<string, Rule[]>();
  for (const b of bound('RoleBinding')) {
    const ns = String(meta(b)['namespace']);
    namespaced.set(ns, [...(namespaced.get(ns) ?? []), ...rulesOf('Role', String((b['roleRef'] as JsonObject)['name']), ns)]);
  }
  return { cluster, namespaced };
}

function allows(rules: readonly Rule[], e: AuditEntry): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(e.group) &&
      r.resources.includes(e.resource) &&
      r.verbs.includes(e.verb) &&
      (r.resourceNames === undefined || (e.name !== null && r.resourceNames.includes(e.name))),
  );
}

function denied(account: string, entries: readonly AuditEntry[]): string[] {
  const g = grants(account);
  return entries
    .filter((e) => !allows(g.cluster, e) && !(e.namespace !== null && allows(g.namespaced.get(e.namespace) ?? [], e)))
    .map((e) => `${e.verb} ${e.group}/${e.resource} ${e.namespace ?? '*'}/${e.name ?? ''}`);
}

/** Granted (verb, resource) pairs no request used: each is a privilege to drop. */
function unused(account: string, entries: readonly AuditEntry[]): string[] {
  const g = grants(account);
  const out: string[] = [];
  for (const r of [...g.cluster, ...[...g.namespaced.values()].flat()]) {
    for (const group of r.apiGroups) {
      for (const resource of r.resources) {
        for (const verb of r.verbs) {
          if (!entries.some((e) => e.group === group && e.resource === resource && e.verb === verb)) out.push(`${verb} ${group}/${resource}`);
        }
      }
    }
  }
  return out;
}

describe('deploy/airlb.yaml RBAC against what the controller and the speaker really request', () => {
  let server: FakeApiServer;
  before(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 200 });
  });
  after(() => server.close());

  it('grants every request a full cycle makes (allocate, announce, report, withdraw) and nothing that is not used', async () => {
    server.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    server.put(RESOURCES.node, {
      metadata: { name: 'pi1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '192.168.1.11' }] },
    });
    server.put(RESOURCES.ipAddressPool, { metadata: { name: 'home', namespace: NS }, spec: { addresses: ['192.168.1.240/29'] } });
    server.put(RESOURCES.l2Advertisement, { metadata: { name: 'l2', namespace: NS }, spec: { ipAddressPools: ['home'] } });
    server.put(RESOURCES.service, service('default', 'web'));
    server.put(RESOURCES.endpointSlice, {
      metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true }, nodeName: 'pi1' }],
    });
    // BGP: a peer on loopback (a closed port: nothing leaves the host) whose key is in a Secret.
    server.put(RESOURCES.secret, { metadata: { name: 'bgp-auth', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: Buffer.from('s3cret').toString('base64') } });
    server.put(RESOURCES.bgpPeer, {
      metadata: { name: 'router', namespace: NS },
      spec: { myASN: 64512, peerASN: 64512, peerAddress: '127.0.0.1', peerPort: 1, bfdProfile: 'fast', passwordSecret: { name: 'bgp-auth', namespace: NS } },
    });
    server.put(RESOURCES.bfdProfile, { metadata: { name: 'fast', namespace: NS }, spec: {} });
    server.put(RESOURCES.community, { metadata: { name: 'c', namespace: NS }, spec: { communities: [{ name: 'no-export', value: '65535:65281' }] } });
    server.put(RESOURCES.bgpAdvertisement, { metadata: { name: 'bgp', namespace: NS }, spec: { ipAddressPools: ['home'], communities: ['no-export'] } });
    const { logger } = memoryLogger();
    const ct = new OfficialTransport(server.kubeConfig('controller'));
    const controller = new Controller({ transport: ct, clock: systemClock, logger, events: new EventRecorder(ct, 'airlb-controller', 'c', logger), configNamespace: NS, debounceMs: 5 });
    const st = new HttpTransport(server.connection('speaker'), systemClock);
    const link: LinkLayer = { open: () => ({ send: () => undefined, setPromiscuous: () => undefined, setMulticast: () => undefined, close: () => undefined }) };
    const wlan0: InterfaceFacts = {
      name: 'wlan0', ifindex: 3, type: 1, mac: '02:00:00:00:00:03', operstate: 'up', flags: 0x1003, devtype: 'wlan',
      hasWirelessDir: true, hasPhy80211: true, master: null, softwareDevice: false, addresses: [{ address: '192.168.1.11', prefixLength: 24 }],
    };
    const speaker = new KubeSpeaker({
      transport: st, node: 'pi1', namespace: NS, loadBalancerClass: null, clock: systemClock, random: Math.random, logger, link,
      classifier: (f) => classifyInterface(f), wifiPromiscuous: true, labelUplink: true, events: new EventRecorder(st, 'airlb-speaker', 'pi1', logger),
      readInterfaces: async () => [wlan0], interfaceIntervalMs: 100, debounceMs: 5, bgp: { listen: null, native: null },
    });
    try {
      await controller.start();
      speaker.start();
      const l2 = (): JsonObject | null => server.get(RESOURCES.serviceL2Status, NS, l2StatusName('pi1', 'default', 'web'));
      await waitFor('the address', () => ingressIps(server.get(RESOURCES.service, 'default', 'web')!).length === 1);
      await waitFor('the ServiceL2Status with its interface', () => JSON.stringify(l2()?.['status'] ?? null).includes('wlan0'));
      await waitFor('the uplink label', () => JSON.stringify(server.get(RESOURCES.node, '', 'pi1')).includes('"airlb.io/uplink":"wireless"'));
      await waitFor('the BGP route of the Service', () => speaker.bgpStatus().routes.some((r) => r.prefix === `${ingressIps(server.get(RESOURCES.service, 'default', 'web')!)[0]}/32`));
      server.remove(RESOURCES.service, 'default', 'web');
      await waitFor('the ServiceL2Status to be deleted', () => l2() === null);
    } finally {
      await speaker.stop();
      controller.stop();
    }
    const byController = server.audit.filter((e) => e.token === 'controller');
    const bySpeaker = server.audit.filter((e) => e.token === 'speaker');
    assert.ok(byController.some((e) => e.resource === 'services/status' && e.verb === 'patch'));
    assert.ok(byController.some((e) => e.resource === 'configmaps' && e.verb === 'create'));
    assert.ok(bySpeaker.some((e) => e.resource === 'servicel2statuses' && e.verb === 'delete'));
    assert.ok(bySpeaker.some((e) => e.resource === 'nodes' && e.verb === 'patch'));
    assert.ok(bySpeaker.some((e) => e.resource === 'secrets' && e.verb === 'watch'));
    // Secrets are read in the speaker's namespace only.
    assert.deepEqual(bySpeaker.filter((e) => e.resource === 'secrets' && e.namespace !== NS), []);
    assert.deepEqual(denied('airlb-controller', byController), []);
    assert.deepEqual(denied('airlb-speaker', bySpeaker), []);
    // Least privilege: every grant is exercised.
    assert.deepEqual(unused('airlb-controller', byController), []);
    assert.deepEqual(unused('airlb-speaker', bySpeaker), []);
    // And the speaker, which runs on every node, cannot write Services or their status.
    assert.deepEqual(denied('airlb-speaker', [{ verb: 'patch', group: '', resource: 'services/status', namespace: 'default', name: 'web', token: '' }]).length, 1);
    // Nor read Secrets anywhere but its own namespace, nor write them.
    const secretRequests = [
      { verb: 'list', group: '', resource: 'secrets', namespace: null, name: null, token: '' },
      { verb: 'list', group: '', resource: 'secrets', namespace: 'default', name: null, token: '' },
      { verb: 'get', group: '', resource: 'secrets', namespace: 'kube-system', name: 'x', token: '' },
      { verb: 'patch', group: '', resource: 'secrets', namespace: NS, name: 'bgp-auth', token: '' },
    ];
    assert.equal(denied('airlb-speaker', secretRequests).length, secretRequests.length);
  });
});
