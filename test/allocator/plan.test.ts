import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAllocations, type PlanEntry, type PlanInput } from '../../src/domain/allocator/plan.js';
import type { AllocationFailure } from '../../src/domain/allocator/failure.js';
import { IPS, OLD_IPS, OLD_POOL, OLD_SHARE, POOL, SHARE, namespace, pool, selector, service } from './fixtures.js';

/**
 * The rule table: each row is one MetalLB allocation rule, given as typed input and the plan
 * entries it must produce. `ips` rows expect success with exactly those addresses (and `pool` when
 * given); `reason` rows expect that failure code, and `mentions` text in its message.
 */
interface Expect {
  ips?: string[];
  pool?: string;
  reason?: AllocationFailure;
  mentions?: string;
}
interface Row {
  rule: string;
  input: Omit<PlanInput, 'namespaces'> & { namespaces?: PlanInput['namespaces'] };
  expect: Record<string, Expect | 'absent'>;
}

const lan = pool('lan', ['192.168.1.10-192.168.1.12']);

const rows: Row[] = [
  {
    rule: 'automatic allocation gives each Service the lowest free address, Services taken by namespace then name',
    input: { pools: [lan], services: [service('b/web'), service('a/z'), service('a/b')] },
    expect: { 'a/b': { ips: ['192.168.1.10'], pool: 'lan' }, 'a/z': { ips: ['192.168.1.11'] }, 'b/web': { ips: ['192.168.1.12'] } },
  },
  {
    rule: 'an address requested with metallb.io/loadBalancerIPs is served before automatic allocation',
    input: { pools: [lan], services: [service('a/auto'), service('z/wants', { annotations: { [IPS]: '192.168.1.10' } })] },
    expect: { 'z/wants': { ips: ['192.168.1.10'] }, 'a/auto': { ips: ['192.168.1.11'] } },
  },
  {
    rule: 'the older metallb.universe.tf/loadBalancerIPs annotation works, and metallb.io wins when both are set',
    input: {
      pools: [lan],
      services: [
        service('a/old', { annotations: { [OLD_IPS]: '192.168.1.12' } }),
        service('a/both', { annotations: { [OLD_IPS]: '192.168.1.10', [IPS]: '192.168.1.11' } }),
      ],
    },
    expect: { 'a/old': { ips: ['192.168.1.12'] }, 'a/both': { ips: ['192.168.1.11'] } },
  },
  {
    rule: 'spec.loadBalancerIP is honoured, but together with the annotation it is an error',
    input: {
      pools: [lan],
      services: [
        service('a/spec', { loadBalancerIP: '192.168.1.12' }),
        service('a/both', { loadBalancerIP: '192.168.1.10', annotations: { [IPS]: '192.168.1.11' } }),
      ],
    },
    expect: { 'a/spec': { ips: ['192.168.1.12'] }, 'a/both': { reason: 'conflicting-requests', mentions: 'spec.loadBalancerIP' } },
  },
  {
    rule: 'a requested address that is not an address, or is in no pool, is refused with its own reason',
    input: {
      pools: [lan],
      services: [service('a/bad', { annotations: { [IPS]: '192.168.1' } }), service('a/out', { annotations: { [IPS]: '10.9.9.9' } })],
    },
    expect: {
      'a/bad': { reason: 'invalid-request', mentions: '"192.168.1"' },
      'a/out': { reason: 'ip-not-in-pool', mentions: '10.9.9.9' },
    },
  },
  {
    rule: 'the address-pool annotation (either prefix, metallb.io first) selects the pool; an unknown pool is named in the error',
    input: {
      pools: [lan, pool('dmz', ['10.0.0.1-10.0.0.3'])],
      services: [
        service('a/new', { annotations: { [POOL]: 'dmz' } }),
        service('a/old', { annotations: { [OLD_POOL]: 'dmz' } }),
        service('a/both', { annotations: { [OLD_POOL]: 'lan', [POOL]: 'dmz' } }),
        service('a/nope', { annotations: { [POOL]: 'wan' } }),
      ],
    },
    expect: {
      'a/both': { ips: ['10.0.0.1'], pool: 'dmz' },
      'a/new': { ips: ['10.0.0.2'], pool: 'dmz' },
      'a/old': { ips: ['10.0.0.3'], pool: 'dmz' },
      'a/nope': { reason: 'unknown-pool', mentions: 'wan' },
    },
  },
  {
    rule: 'a pool with autoAssign false is used only when a Service asks for it by pool or by address',
    input: {
      pools: [pool('manual', ['10.0.0.1-10.0.0.5'], { autoAssign: false }), pool('auto', ['10.1.0.1-10.1.0.5'])],
      services: [
        service('a/plain'),
        service('a/bypool', { annotations: { [POOL]: 'manual' } }),
        service('a/byip', { annotations: { [IPS]: '10.0.0.5' } }),
      ],
    },
    expect: { 'a/plain': { ips: ['10.1.0.1'], pool: 'auto' }, 'a/bypool': { ips: ['10.0.0.1'] }, 'a/byip': { ips: ['10.0.0.5'], pool: 'manual' } },
  },
  {
    rule: 'a Service with no pool that assigns automatically gets no-pool-for-service naming the pools and why',
    input: { pools: [pool('manual', ['10.0.0.1/32'], { autoAssign: false })], services: [service('a/web')] },
    expect: { 'a/web': { reason: 'no-pool-for-service', mentions: 'manual (autoAssign: false)' } },
  },
  {
    rule: 'with no pool at all the plan says so',
    input: { pools: [], services: [service('a/web')] },
    expect: { 'a/web': { reason: 'no-pool-for-service', mentions: 'no IPAddressPool is configured' } },
  },
  {
    rule: 'avoidBuggyIPs skips .0 and .255, and such an address cannot be requested from that pool',
    input: {
      pools: [pool('home', ['192.168.0.254-192.168.1.1'], { avoidBuggyIPs: true })],
      services: [service('a/a'), service('a/b'), service('a/c'), service('b/req', { annotations: { [IPS]: '192.168.0.255' } })],
    },
    expect: {
      'a/a': { ips: ['192.168.0.254'] },
      'a/b': { ips: ['192.168.1.1'] },
      'a/c': { reason: 'pool-exhausted', mentions: 'home' },
      'b/req': { reason: 'ip-not-in-pool', mentions: 'avoidBuggyIPs' },
    },
  },
  {
    rule: 'without avoidBuggyIPs .0 and .255 are ordinary addresses',
    input: { pools: [pool('home', ['192.168.0.255-192.168.1.0'])], services: [service('a/a'), service('a/b')] },
    expect: { 'a/a': { ips: ['192.168.0.255'] }, 'a/b': { ips: ['192.168.1.0'] } },
  },
  {
    rule: 'a pool limited to namespaces serves only Services there, and is tried before unrestricted pools',
    input: {
      pools: [pool('shared', ['10.0.0.1-10.0.0.9']), pool('prod', ['10.9.0.1-10.9.0.9'], { namespaces: ['prod'] })],
      services: [service('prod/web'), service('dev/web')],
    },
    expect: { 'prod/web': { ips: ['10.9.0.1'], pool: 'prod' }, 'dev/web': { ips: ['10.0.0.1'], pool: 'shared' } },
  },
  {
    rule: 'namespaceSelectors match namespace labels (and the implicit kubernetes.io/metadata.name), serviceSelectors match Service labels',
    input: {
      pools: [
        pool('team', ['10.1.0.1/32'], { namespaceSelectors: [selector({ team: 'blue' })] }),
        pool('byname', ['10.2.0.1/32'], { namespaceSelectors: [selector({ 'kubernetes.io/metadata.name': 'edge' })] }),
        pool('front', ['10.3.0.1/32'], { serviceSelectors: [selector({ tier: 'front' })] }),
      ],
      namespaces: [namespace('blue-ns', { team: 'blue' })],
      services: [service('blue-ns/a'), service('edge/a'), service('other/a', { labels: { tier: 'front' } }), service('other/b')],
    },
    expect: {
      'blue-ns/a': { ips: ['10.1.0.1'] },
      'edge/a': { ips: ['10.2.0.1'] },
      'other/a': { ips: ['10.3.0.1'] },
      'other/b': { reason: 'no-pool-for-service', mentions: 'serviceAllocation excludes namespace other' },
    },
  },
  {
    rule: 'pools are tried by priority, lower number first and pools without priority after, moving on when one is full',
    input: {
      pools: [
        pool('none', ['10.0.0.1/32']),
        pool('p5', ['10.5.0.1/32'], { priority: 5 }),
        pool('p1', ['10.1.0.1/32'], { priority: 1 }),
      ],
      services: [service('a/1'), service('a/2'), service('a/3'), service('a/4')],
    },
    expect: {
      'a/1': { ips: ['10.1.0.1'], pool: 'p1' },
      'a/2': { ips: ['10.5.0.1'], pool: 'p5' },
      'a/3': { ips: ['10.0.0.1'], pool: 'none' },
      'a/4': { reason: 'pool-exhausted', mentions: 'p1, p5, none' },
    },
  },
  {
    rule: 'asking by name or address for a pool whose serviceAllocation excludes the Service is refused',
    input: {
      pools: [pool('prod', ['10.9.0.1-10.9.0.9'], { namespaces: ['prod'] })],
      services: [service('dev/a', { annotations: { [POOL]: 'prod' } }), service('dev/b', { annotations: { [IPS]: '10.9.0.5' } })],
    },
    expect: { 'dev/a': { reason: 'pool-not-allowed', mentions: 'prod' }, 'dev/b': { reason: 'pool-not-allowed' } },
  },
  {
    rule: 'a requested address outside the requested pool is refused',
    input: {
      pools: [lan, pool('dmz', ['10.0.0.1/32'])],
      services: [service('a/x', { annotations: { [POOL]: 'dmz', [IPS]: '192.168.1.10' } })],
    },
    expect: { 'a/x': { reason: 'ip-not-in-requested-pool', mentions: 'pool lan, not to the requested pool dmz' } },
  },
  {
    rule: 'Services with the same allow-shared-ip key and distinct ports share the lowest address; a port clash takes the next one',
    input: {
      pools: [lan],
      services: [
        service('a/dns-tcp', { ports: ['TCP/53'], annotations: { [SHARE]: 'dns' } }),
        service('a/dns-udp', { ports: ['UDP/53'], annotations: { [OLD_SHARE]: 'dns' } }),
        service('a/dns-udp2', { ports: ['UDP/53'], annotations: { [SHARE]: 'dns' } }),
        service('a/web', { annotations: { [SHARE]: 'other' } }),
      ],
    },
    expect: {
      'a/dns-tcp': { ips: ['192.168.1.10'] },
      'a/dns-udp': { ips: ['192.168.1.10'] },
      'a/dns-udp2': { ips: ['192.168.1.11'] },
      'a/web': { ips: ['192.168.1.12'] },
    },
  },
  {
    rule: 'a Service with a sharing key takes a lower free address rather than a higher shared one, as MetalLB scans upwards',
    input: {
      pools: [lan],
      services: [
        service('a/holder', { annotations: { [IPS]: '192.168.1.12', [SHARE]: 'k' } }),
        service('b/joiner', { ports: ['TCP/443'], annotations: { [SHARE]: 'k' } }),
      ],
    },
    expect: { 'a/holder': { ips: ['192.168.1.12'] }, 'b/joiner': { ips: ['192.168.1.10'] } },
  },
  {
    rule: 'requesting an address held by a Service without a key, with another key, or on a used port names that Service',
    input: {
      pools: [lan],
      services: [
        service('a/owner', { annotations: { [IPS]: '192.168.1.10' } }),
        service('b/keyed', { annotations: { [IPS]: '192.168.1.11', [SHARE]: 'k' } }),
        service('c/nokey', { annotations: { [IPS]: '192.168.1.10', [SHARE]: 'k' } }),
        service('c/otherkey', { annotations: { [IPS]: '192.168.1.11', [SHARE]: 'j' }, ports: ['TCP/443'] }),
        service('c/port', { annotations: { [IPS]: '192.168.1.11', [SHARE]: 'k' } }),
        service('c/ok', { annotations: { [IPS]: '192.168.1.11', [SHARE]: 'k' }, ports: ['TCP/8080'] }),
      ],
    },
    expect: {
      'a/owner': { ips: ['192.168.1.10'] },
      'b/keyed': { ips: ['192.168.1.11'] },
      'c/nokey': { reason: 'ip-in-use', mentions: 'a/owner, which does not allow sharing' },
      'c/otherkey': { reason: 'ip-in-use', mentions: 'b/keyed, c/ok with allow-shared-ip "k", not "j"' },
      'c/port': { reason: 'port-conflict', mentions: 'TCP/80 is already used there by b/keyed' },
      'c/ok': { ips: ['192.168.1.11'] },
    },
  },
  {
    rule: 'with externalTrafficPolicy Local only Services with the same selector share, and Local never shares with Cluster',
    input: {
      pools: [lan],
      services: [
        service('a/one', { externalTrafficPolicy: 'Local', selector: { app: 'x' }, annotations: { [IPS]: '192.168.1.10', [SHARE]: 'k' } }),
        service('a/same', { externalTrafficPolicy: 'Local', selector: { app: 'x' }, ports: ['TCP/81'], annotations: { [IPS]: '192.168.1.10', [SHARE]: 'k' } }),
        service('b/diff', { externalTrafficPolicy: 'Local', selector: { app: 'y' }, ports: ['TCP/82'], annotations: { [IPS]: '192.168.1.10', [SHARE]: 'k' } }),
        service('b/cluster', { ports: ['TCP/83'], annotations: { [IPS]: '192.168.1.10', [SHARE]: 'k' } }),
      ],
    },
    expect: {
      'a/one': { ips: ['192.168.1.10'] },
      'a/same': { ips: ['192.168.1.10'] },
      'b/diff': { reason: 'sharing-incompatible', mentions: 'app=y' },
      'b/cluster': { reason: 'sharing-incompatible', mentions: 'Cluster' },
    },
  },
  {
    rule: 'a dual-stack Service gets one address per family from the same pool, skipping single-family pools',
    input: {
      pools: [pool('v4', ['10.0.0.1/32'], { priority: 1 }), pool('dual', ['10.1.0.1-10.1.0.9', 'fd00::10-fd00::19'], { priority: 2 })],
      services: [
        service('a/req', { ipFamilyPolicy: 'RequireDualStack' }),
        service('a/fam', { ipFamilies: ['IPv6', 'IPv4'] }),
        service('a/v4', { ipFamilies: ['IPv4'] }),
      ],
    },
    expect: {
      'a/fam': { ips: ['fd00::10', '10.1.0.1'], pool: 'dual' },
      'a/req': { ips: ['10.1.0.2', 'fd00::11'], pool: 'dual' },
      'a/v4': { ips: ['10.0.0.1'], pool: 'v4' },
    },
  },
  {
    rule: 'a dual-stack Service that no pool can serve with both families fails, naming the missing families',
    input: {
      pools: [pool('v4', ['10.0.0.1/32']), pool('v6', ['fd00::1/128'])],
      services: [
        service('a/req', { ipFamilyPolicy: 'RequireDualStack' }),
        service('a/named', { ipFamilyPolicy: 'RequireDualStack', annotations: { [POOL]: 'v4' } }),
      ],
    },
    expect: {
      'a/req': { reason: 'no-pool-for-service', mentions: 'IPv4 and IPv6' },
      'a/named': { reason: 'pool-lacks-family', mentions: 'v4' },
    },
  },
  {
    rule: 'PreferDualStack takes both families when a pool has them, otherwise one address of the primary family',
    input: {
      pools: [pool('v6', ['fd00::1/128'], { priority: 1 }), pool('v4', ['10.0.0.1-10.0.0.2'], { priority: 2 })],
      services: [
        service('a/prefer', { ipFamilyPolicy: 'PreferDualStack' }),
        service('a/prefer6', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] }),
        service('b/prefer', { ipFamilyPolicy: 'PreferDualStack' }),
      ],
    },
    expect: { 'a/prefer': { ips: ['10.0.0.1'], pool: 'v4' }, 'a/prefer6': { ips: ['fd00::1'], pool: 'v6' }, 'b/prefer': { ips: ['10.0.0.2'] } },
  },
  {
    rule: 'the family comes from spec.ipFamilies, else spec.clusterIPs, else the requested address',
    input: {
      pools: [pool('dual', ['10.0.0.1-10.0.0.9', 'fd00::1-fd00::9'])],
      services: [
        service('a/fam6', { ipFamilies: ['IPv6'], clusterIPs: ['10.96.0.1'] }),
        service('a/cip6', { clusterIPs: ['fd96::1'] }),
        service('a/req6', { annotations: { [IPS]: 'fd00::9' } }),
        service('a/none', {}),
      ],
    },
    expect: { 'a/cip6': { ips: ['fd00::1'] }, 'a/fam6': { ips: ['fd00::2'] }, 'a/req6': { ips: ['fd00::9'] }, 'a/none': { ips: ['10.0.0.1'] } },
  },
  {
    rule: 'requested addresses must fit the Service families, one per family, from one pool',
    input: {
      pools: [pool('v4', ['10.0.0.0/24']), pool('v6', ['fd00::/120']), pool('dual', ['10.1.0.0/24', 'fd01::/120'])],
      services: [
        service('a/mismatch', { ipFamilies: ['IPv4'], annotations: { [IPS]: 'fd00::1' } }),
        service('a/onlyone', { ipFamilyPolicy: 'RequireDualStack', annotations: { [IPS]: '10.0.0.1' } }),
        service('a/twov4', { annotations: { [IPS]: '10.0.0.1,10.0.0.2' } }),
        service('a/split', { ipFamilyPolicy: 'RequireDualStack', annotations: { [IPS]: '10.0.0.1, fd00::1' } }),
        service('a/good', { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], annotations: { [IPS]: 'fd01::5,10.1.0.5' } }),
      ],
    },
    expect: {
      'a/mismatch': { reason: 'family-mismatch', mentions: 'fd00::1' },
      'a/onlyone': { reason: 'family-mismatch', mentions: 'RequireDualStack' },
      'a/twov4': { reason: 'too-many-ips' },
      'a/split': { reason: 'different-pools', mentions: 'v4 and v6' },
      'a/good': { ips: ['10.1.0.5', 'fd01::5'], pool: 'dual' },
    },
  },
  {
    rule: 'only LoadBalancer Services without a class, or with the configured class, are planned',
    input: {
      pools: [lan],
      loadBalancerClass: 'airlb.io/lb',
      services: [
        service('a/mine', { loadBalancerClass: 'airlb.io/lb' }),
        service('a/plain'),
        service('a/other', { loadBalancerClass: 'cilium.io/l2' }),
        service('a/nodeport', { type: 'NodePort' }),
      ],
    },
    expect: { 'a/mine': { ips: ['192.168.1.10'] }, 'a/plain': { ips: ['192.168.1.11'] }, 'a/other': 'absent', 'a/nodeport': 'absent' },
  },
  {
    rule: 'addresses in status.loadBalancerIngress are restored first, so nothing moves after a restart',
    input: {
      pools: [lan],
      services: [service('a/new'), service('z/old', { ingress: ['192.168.1.10'] }), service('a/req', { annotations: { [IPS]: '192.168.1.12' } })],
    },
    expect: { 'z/old': { ips: ['192.168.1.10'] }, 'a/new': { ips: ['192.168.1.11'] }, 'a/req': { ips: ['192.168.1.12'] } },
  },
  {
    rule: 'a state file restores addresses too, and a recorded address that no longer fits is replaced',
    input: {
      pools: [lan],
      services: [service('a/a'), service('a/b'), service('a/gone')],
      previous: [
        { namespace: 'a', name: 'b', ips: ['192.168.1.12'] },
        { namespace: 'a', name: 'gone', ips: ['10.0.0.1'] },
      ],
    },
    expect: { 'a/b': { ips: ['192.168.1.12'] }, 'a/a': { ips: ['192.168.1.10'] }, 'a/gone': { ips: ['192.168.1.11'] } },
  },
  {
    rule: 'two Services claiming one address in their status without sharing: the first by name keeps it, the other moves',
    input: { pools: [lan], services: [service('b/x', { ingress: ['192.168.1.11'] }), service('a/x', { ingress: ['192.168.1.11'] })] },
    expect: { 'a/x': { ips: ['192.168.1.11'] }, 'b/x': { ips: ['192.168.1.10'] } },
  },
];

function planOf(row: Row): Map<string, PlanEntry> {
  const entries = planAllocations({ namespaces: [], ...row.input });
  return new Map(entries.map((e) => [`${e.namespace}/${e.name}`, e]));
}

for (const row of rows) {
  test(row.rule, () => {
    const plan = planOf(row);
    for (const [ref, want] of Object.entries(row.expect)) {
      const got = plan.get(ref);
      if (want === 'absent') {
        assert.equal(got, undefined, `${ref} must not be planned`);
        continue;
      }
      assert.ok(got, `${ref} is missing from the plan`);
      if (want.ips !== undefined) {
        assert.deepEqual(got.ips, want.ips, `${ref}: ${got.error ?? ''}`);
        assert.equal(got.error, null);
        assert.equal(got.reason, null);
        if (want.pool !== undefined) assert.equal(got.pool, want.pool, ref);
      } else {
        assert.equal(got.reason, want.reason, `${ref}: ${got.error ?? 'no error'}`);
        assert.deepEqual(got.ips, []);
        assert.equal(got.pool, null);
        assert.match(got.error ?? '', new RegExp(escape(want.mentions ?? '')), ref);
        assert.match(got.error ?? '', new RegExp(escape(ref)), `${ref}: the message names the Service`);
      }
    }
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the plan lists every handled Service once, sorted by namespace and name, and is deterministic', () => {
  const input: PlanInput = {
    pools: [lan],
    namespaces: [],
    services: [service('c/a'), service('a/c'), service('b/b', { annotations: { [IPS]: '192.168.1.12' } }), service('a/a')],
  };
  const first = planAllocations(input);
  assert.deepEqual(
    first.map((e) => `${e.namespace}/${e.name}`),
    ['a/a', 'a/c', 'b/b', 'c/a'],
  );
  assert.deepEqual(planAllocations({ ...input, services: [...input.services].reverse() }), first);
});
