import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssue, loadConfig } from '../../src/domain/config/index.js';
import type { ConfigSet } from '../../src/domain/config/types.js';
import { IFF_LOOPBACK, IFF_UP, type InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { createLogger } from '../../src/io/logger.js';
import { StandaloneBgp } from '../../src/standalone/bgp.js';
import { planStandaloneBgp, type StandaloneBgpPlan } from '../../src/standalone/bgp-plan.js';
import { desiredState } from '../../src/standalone/desired.js';
import { runCli } from '../support/cli.js';
import { ManualClock } from '../support/manual-clock.js';

function config(yaml: string): ConfigSet {
  const parsed = loadConfig([{ file: 'bgp.yaml', text: yaml }]);
  assert.deepEqual(parsed.issues.map(formatIssue), [], 'the fixture itself is valid');
  return parsed.config;
}

const base = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bgp-pool, namespace: metallb-system}
spec: {addresses: [192.168.100.200-192.168.100.210]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bgp-advertisement, namespace: metallb-system}
spec: {ipAddressPools: [bgp-pool]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, annotations: {metallb.io/loadBalancerIPs: "192.168.100.200"}}
spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP}]}
`;

const nodes = `
---
apiVersion: v1
kind: Node
metadata: {name: pi1, labels: {network: ethernet}}
status: {addresses: [{type: ExternalIP, address: 203.0.113.1}, {type: InternalIP, address: 192.168.1.11}, {type: InternalIP, address: "fd00:a1b::11"}]}
---
apiVersion: v1
kind: Node
metadata: {name: pi2}
`;

function peer(name: string, extra = ''): string {
  return `
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: ${name}, namespace: metallb-system}
spec:
  myASN: 64500
  peerASN: 64501
  peerAddress: 192.168.1.1
${extra}`;
}

function plan(yaml: string, node: string): ReturnType<typeof planStandaloneBgp> {
  const c = config(yaml);
  const desired = desiredState({ config: c, node, previous: [] });
  return planStandaloneBgp({ config: c, node, allocations: desired.allocations });
}

describe('the BGP plan of one standalone node', () => {
  it('gives every node of the field guide example (no Node objects) the peer and the /32 of each Service', () => {
    const { plan: p, issues } = plan(base + peer('home-router'), 'anyhost');
    assert.deepEqual(issues, []);
    assert.deepEqual(p.peers.map((x) => x.metadata.name), ['home-router']);
    assert.deepEqual(p.announcements.map((a) => [a.prefix, a.node, a.peers, a.services]), [['192.168.100.200/32', 'anyhost', ['home-router'], ['default/web']]]);
    assert.deepEqual(p.nodeAddresses, { v4: null, v6: null });
  });

  it("selects peers by their nodeSelectors and takes the node's addresses from its Node, InternalIP first", () => {
    const yaml = base + nodes + peer('wired-only', '  nodeSelectors: [{matchLabels: {network: ethernet}}]\n');
    const pi1 = plan(yaml, 'pi1').plan;
    assert.deepEqual(pi1.peers.map((x) => x.metadata.name), ['wired-only']);
    assert.deepEqual(pi1.announcements.map((a) => a.prefix), ['192.168.100.200/32']);
    assert.deepEqual(pi1.nodeAddresses, { v4: '192.168.1.11', v6: 'fd00:a1b::11' });
    const pi2 = plan(yaml, 'pi2').plan;
    assert.deepEqual(pi2.peers, [], 'pi2 is not selected by the peer');
    assert.deepEqual(pi2.announcements, [], 'and so announces nothing');
  });

  it('gives a node that is missing from the listed Nodes no session and no route', () => {
    const { plan: p } = plan(base + nodes + peer('home-router'), 'pi9');
    assert.deepEqual([p.peers, p.announcements], [[], []]);
  });

  it('rejects a passwordSecret, pointing at the field, because standalone mode has no Secrets', () => {
    const { issues } = plan(base + peer('home-router', '  passwordSecret: {name: bgp-key, namespace: metallb-system}\n'), 'pi1');
    assert.equal(issues.length, 1);
    assert.match(formatIssue(issues[0]!), /^bgp\.yaml:\d+: BGPPeer\/home-router: spec\.passwordSecret: standalone mode reads no Secrets \(metallb-system\/bgp-key\): put the TCP MD5 key in spec\.password/);
  });
});

describe('the BGP side of standalone without an address for the router ID', () => {
  const silent = createLogger({ format: 'json', level: 'error', write: () => undefined });
  const loopbackOnly: InterfaceFacts[] = [
    {
      name: 'lo', ifindex: 1, type: 772, mac: '00:00:00:00:00:00', operstate: 'unknown', flags: IFF_UP | IFF_LOOPBACK, devtype: null,
      hasWirelessDir: false, hasPhy80211: false, master: null, softwareDevice: true, addresses: [{ address: '127.0.0.1', prefixLength: 8 }],
    },
  ];

  it('reports in its status that the Node needs an InternalIP or the peer a routerID, and opens no session', async () => {
    let changes = 0;
    const bgp = new StandaloneBgp({ node: 'pi2', logger: silent, onChange: () => changes++, listen: null, clock: new ManualClock(), readInterfaces: async () => loopbackOnly, native: null });
    const p: StandaloneBgpPlan = plan(base + nodes + peer('home-router'), 'pi2').plan;
    await bgp.apply(p);
    const status = bgp.status();
    assert.match(status.error ?? '', /no IPv4 address for the BGP Identifier of BGPPeer home-router: list the node's InternalIP in its Node manifest \(status\.addresses\) or set spec\.routerID/);
    assert.deepEqual(status.sessions, []);
    assert.equal(status.routerId, null);
    assert.deepEqual(status.routes.map((r) => r.prefix), ['192.168.100.200/32'], 'the planned routes are still shown');
    assert.ok(changes > 0, 'the status file is told');
  });
});

describe('airlb standalone --bgp-listen', () => {
  it('refuses an address without a port as a usage error (exit 2), before touching the network', async () => {
    const r = await runCli(['standalone', '-f', '/nonexistent', '--bgp-listen', '192.168.1.11']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--bgp-listen must be 'off', ADDR:PORT or \[IPV6\]:PORT, not '192\.168\.1\.11'/);
  });
});
