import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../../src/k8s/json.js';
import { l2StatusName } from '../../src/k8s/l2-status.js';
import { chooseOwner, reportedOwners } from '../../src/k8s/vip-owner.js';
import { service } from './helpers.js';

// How `airlb arp-pin --kubeconfig` finds a VIP's owner in the cluster's objects: the Service that
// holds the VIP, the ServiceL2Status objects naming it, and the owner Node's InternalIP.

const published = (name: string, ip: string): JsonObject => ({ ...service('default', name), status: { loadBalancer: { ingress: [{ ip }] } } });
const l2 = (node: string, name: string, created: string): JsonObject => ({
  metadata: {
    name: l2StatusName(node, 'default', name),
    namespace: 'metallb-system',
    creationTimestamp: created,
    labels: { 'metallb.io/node': node, 'metallb.io/service-name': name, 'metallb.io/service-namespace': 'default' },
  },
  status: { node, serviceName: name, serviceNamespace: 'default', interfaces: [] },
});
const node = (name: string, ip: string | null): JsonObject => ({
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: ip === null ? [] : [{ type: 'InternalIP', address: ip }] },
});
const nodes = [node('pi1', '192.168.1.11'), node('pi2', '192.168.1.12'), node('pi3', null)];

describe('VIP owner from the cluster (arp-pin --kubeconfig)', () => {
  it("names the node reporting the Service that holds the VIP, with its InternalIP, and ignores other Services' reports", () => {
    const owners = reportedOwners('192.168.1.200', [published('web', '192.168.1.200'), published('api', '192.168.1.201')], [l2('pi1', 'web', '2026-01-01T00:00:00Z'), l2('pi2', 'api', '2026-01-01T00:00:05Z')], nodes);
    assert.deepEqual(owners, [{ node: 'pi1', since: '2026-01-01T00:00:00Z', address: '192.168.1.11' }]);
  });

  it('orders two reports (a takeover, or a dead speaker’s leftover) newest first, and gives a Node without InternalIP no address', () => {
    const owners = reportedOwners(
      '192.168.1.200',
      [published('web', '192.168.1.200')],
      [l2('pi1', 'web', '2026-01-01T00:00:00Z'), l2('pi3', 'web', '2026-01-01T00:01:00Z'), l2('pi2', 'web', '2026-01-01T00:00:30Z')],
      nodes,
    );
    assert.deepEqual(owners.map((o) => `${o.node} ${o.address}`), ['pi3 null', 'pi2 192.168.1.12', 'pi1 192.168.1.11']);
  });

  it('finds nobody when no Service holds the VIP or nobody reports it', () => {
    assert.deepEqual(reportedOwners('192.168.1.209', [published('web', '192.168.1.200')], [l2('pi1', 'web', 'x')], nodes), []);
    assert.deepEqual(reportedOwners('192.168.1.200', [published('web', '192.168.1.200')], [], nodes), []);
  });

  it('chooses the only candidate, else the one whose MAC alone answers for the VIP, else the newest', () => {
    const a = { node: 'pi2', mac: '02:00:00:00:00:02' };
    const b = { node: 'pi1', mac: '02:00:00:00:00:01' };
    assert.equal(chooseOwner([], null), null);
    assert.deepEqual(chooseOwner([b], null), b);
    assert.deepEqual(chooseOwner([a, b], [b.mac]), b, 'the VIP answered from the older report: the newer one is not announcing yet');
    assert.deepEqual(chooseOwner([a, b], [a.mac, b.mac]), a, 'both answer (mid-takeover): the newest');
    assert.deepEqual(chooseOwner([a, b], []), a, 'nobody answers (ARP for the VIP blocked): the newest');
  });
});
