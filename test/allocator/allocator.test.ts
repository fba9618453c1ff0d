import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator, type AssignResult } from '../../src/domain/allocator/allocator.js';
import { AirlbError } from '../../src/errors.js';
import { IPS, POOL, SHARE, namespace, pool, service } from './fixtures.js';

function ipsOf(r: AssignResult): readonly string[] {
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.message}`);
  return r.ips;
}

function fresh(pools = [pool('lan', ['10.0.0.1-10.0.0.10'])]): Allocator {
  const a = new Allocator();
  a.setPools(pools, []);
  return a;
}

test('assigning the same Service again keeps its addresses, even when a better pool appears', () => {
  const a = fresh();
  assert.deepEqual(ipsOf(a.assign(service('a/web'))), ['10.0.0.1']);
  a.setPools([pool('lan', ['10.0.0.1-10.0.0.10']), pool('vip', ['10.9.0.1/32'], { priority: 1 })], []);
  assert.deepEqual(ipsOf(a.assign(service('a/web'))), ['10.0.0.1']);
  assert.deepEqual(ipsOf(a.assign(service('a/new'))), ['10.9.0.1']);
});

test('renaming, splitting or growing pools keeps every address and reports the new pool names', () => {
  const a = fresh([pool('lan', ['10.0.0.1-10.0.0.4'])]);
  for (const n of ['a', 'b', 'c', 'd']) a.assign(service(`ns/${n}`));
  const renamed = a.setPools([pool('home', ['10.0.0.1-10.0.0.4'])], []);
  assert.deepEqual(renamed.released, []);
  assert.deepEqual(a.assignmentOf('ns', 'a'), { namespace: 'ns', name: 'a', ips: ['10.0.0.1'], pool: 'home' });
  const split = a.setPools([pool('low', ['10.0.0.1-10.0.0.2']), pool('high', ['10.0.0.3/32', '10.0.0.4/31'])], []);
  assert.deepEqual(split.released, []);
  assert.deepEqual(
    a.assignments().map((r) => `${r.name}:${r.ips.join()}:${r.pool}`),
    ['a:10.0.0.1:low', 'b:10.0.0.2:low', 'c:10.0.0.3:high', 'd:10.0.0.4:high'],
  );
  const grown = a.setPools([pool('all', ['10.0.0.0/24'])], []);
  assert.deepEqual(grown.released, []);
  for (const n of ['a', 'b', 'c', 'd']) assert.equal(ipsOf(a.assign(service(`ns/${n}`))).length, 1);
  assert.deepEqual(ipsOf(a.assign(service('ns/e'))), ['10.0.0.0'], 'the grown pool hands out its lowest free address');
});

test('shrinking a pool releases only the Services whose addresses fell out; assigning them again picks free addresses', () => {
  const a = fresh([pool('lan', ['10.0.0.1-10.0.0.6'])]);
  for (const n of ['a', 'b', 'c', 'd']) a.assign(service(`ns/${n}`));
  a.release('ns', 'b');
  const { released } = a.setPools([pool('lan', ['10.0.0.1-10.0.0.2', '10.0.0.4-10.0.0.5'])], []);
  assert.deepEqual(released, [{ namespace: 'ns', name: 'c', ips: ['10.0.0.3'], pool: 'lan' }]);
  assert.equal(a.assignmentOf('ns', 'c'), null);
  assert.deepEqual(ipsOf(a.assign(service('ns/a'))), ['10.0.0.1']);
  assert.deepEqual(ipsOf(a.assign(service('ns/d'))), ['10.0.0.4']);
  assert.deepEqual(ipsOf(a.assign(service('ns/c'))), ['10.0.0.2']);
});

test('a dual-stack assignment whose two addresses end up in different pools is released on reload', () => {
  const a = fresh([pool('dual', ['10.0.0.1/32', 'fd00::1/128'])]);
  assert.deepEqual(ipsOf(a.assign(service('a/x', { ipFamilyPolicy: 'RequireDualStack' }))), ['10.0.0.1', 'fd00::1']);
  const { released } = a.setPools([pool('v4', ['10.0.0.1/32']), pool('v6', ['fd00::1/128'])], []);
  assert.deepEqual(released.map((r) => r.name), ['x']);
});

test('deleting a Service frees its address for the next one, lowest first', () => {
  const a = fresh();
  for (const n of ['a', 'b', 'c', 'd']) a.assign(service(`ns/${n}`));
  assert.equal(a.release('ns', 'c'), true);
  assert.equal(a.release('ns', 'c'), false);
  assert.equal(a.release('ns', 'b'), true);
  assert.deepEqual(ipsOf(a.assign(service('ns/x'))), ['10.0.0.2']);
  assert.deepEqual(ipsOf(a.assign(service('ns/y'))), ['10.0.0.3']);
  assert.deepEqual(ipsOf(a.assign(service('ns/z'))), ['10.0.0.5']);
});

test('a Service changed to another type or to another loadBalancerClass loses its address', () => {
  const a = new Allocator({ loadBalancerClass: 'airlb' });
  a.setPools([pool('lan', ['10.0.0.1-10.0.0.10'])], []);
  ipsOf(a.assign(service('a/web')));
  const nodePort = a.assign(service('a/web', { type: 'NodePort' }));
  assert.equal(nodePort.ok ? null : nodePort.reason, 'not-load-balancer');
  assert.equal(a.assignmentOf('a', 'web'), null);
  ipsOf(a.assign(service('a/web', { loadBalancerClass: 'airlb' })));
  const other = a.assign(service('a/web', { loadBalancerClass: 'cilium' }));
  assert.equal(other.ok ? null : other.reason, 'other-class');
  assert.deepEqual(a.assignments(), []);
});

test('changing the requested address or pool moves the Service; an invalid new request releases it', () => {
  const a = fresh([pool('lan', ['10.0.0.1-10.0.0.10']), pool('dmz', ['10.1.0.1/32'], { autoAssign: false })]);
  ipsOf(a.assign(service('a/web')));
  assert.deepEqual(ipsOf(a.assign(service('a/web', { annotations: { [IPS]: '10.0.0.7' } }))), ['10.0.0.7']);
  assert.deepEqual(ipsOf(a.assign(service('a/web', { annotations: { [POOL]: 'dmz' } }))), ['10.1.0.1']);
  const bad = a.assign(service('a/web', { annotations: { [IPS]: 'nope' } }));
  assert.equal(bad.ok ? null : bad.reason, 'invalid-request');
  assert.equal(a.assignmentOf('a', 'web'), null);
  assert.deepEqual(ipsOf(a.assign(service('a/other'))), ['10.0.0.1'], 'the freed addresses are reused');
});

test('a Service that is the only holder of its address may change its sharing key in place', () => {
  const a = fresh();
  ipsOf(a.assign(service('a/one', { annotations: { [SHARE]: 'x' } })));
  assert.deepEqual(ipsOf(a.assign(service('a/one', { annotations: { [SHARE]: 'y' } }))), ['10.0.0.1']);
  assert.deepEqual(ipsOf(a.assign(service('a/two', { ports: ['TCP/81'], annotations: { [SHARE]: 'y' } }))), ['10.0.0.1']);
  assert.deepEqual(ipsOf(a.assign(service('a/three', { ports: ['TCP/82'], annotations: { [SHARE]: 'x' } }))), ['10.0.0.2']);
});

test('a sharer that changes to a clashing port leaves the shared address; the last sharer leaving frees it', () => {
  const a = fresh();
  ipsOf(a.assign(service('a/one', { annotations: { [SHARE]: 'k' } })));
  ipsOf(a.assign(service('a/two', { ports: ['TCP/81'], annotations: { [SHARE]: 'k' } })));
  assert.deepEqual(ipsOf(a.assign(service('a/two', { ports: ['TCP/80'], annotations: { [SHARE]: 'k' } }))), ['10.0.0.2']);
  a.release('a', 'one');
  assert.deepEqual(ipsOf(a.assign(service('a/plain'))), ['10.0.0.1']);
});

test('restore re-establishes recorded addresses before new allocations, and refuses ones that no longer fit', () => {
  const a = fresh([pool('lan', ['10.0.0.1-10.0.0.10'])]);
  assert.deepEqual(ipsOf(a.restore(service('a/old'), ['10.0.0.1'])), ['10.0.0.1']);
  const taken = a.restore(service('a/dup'), ['10.0.0.1']);
  assert.equal(taken.ok ? null : taken.reason, 'ip-in-use');
  assert.match(taken.ok ? '' : taken.message, /a\/old/);
  const outside = a.restore(service('a/out'), ['192.168.9.9']);
  assert.equal(outside.ok ? null : outside.reason, 'ip-not-in-pool');
  const stale = a.restore(service('a/req', { annotations: { [IPS]: '10.0.0.5' } }), ['10.0.0.4']);
  assert.equal(stale.ok ? null : stale.reason, 'stale-assignment');
  const garbage = a.restore(service('a/g'), ['not-an-ip']);
  assert.equal(garbage.ok ? null : garbage.reason, 'invalid-request');
  assert.deepEqual(ipsOf(a.assign(service('a/new'))), ['10.0.0.2']);
  assert.deepEqual(a.assignments().map((r) => r.name), ['new', 'old']);
});

test('a restored address in a pool with autoAssign false is kept: restore does not re-run pool selection', () => {
  const a = fresh([pool('manual', ['10.0.0.1/32'], { autoAssign: false })]);
  assert.deepEqual(ipsOf(a.restore(service('a/web'), ['10.0.0.1'])), ['10.0.0.1']);
  assert.deepEqual(ipsOf(a.assign(service('a/web'))), ['10.0.0.1']);
});

test('a PreferDualStack Service holding one family gains the other once its pool has one', () => {
  const a = fresh([pool('home', ['10.0.0.1/32'])]);
  const svc = service('a/web', { ipFamilyPolicy: 'PreferDualStack' });
  assert.deepEqual(ipsOf(a.assign(svc)), ['10.0.0.1']);
  a.setPools([pool('home', ['10.0.0.1/32', 'fd00::1/128'])], []);
  assert.deepEqual(ipsOf(a.assign(svc)), ['10.0.0.1', 'fd00::1']);
  assert.deepEqual(a.assignmentOf('a', 'web')?.ips, ['10.0.0.1', 'fd00::1']);
});

test('namespace labels given to setPools drive namespaceSelectors, and a relabelled namespace is re-evaluated on assign', () => {
  const pools = [pool('blue', ['10.0.0.1/32'], { namespaceSelectors: [{ matchLabels: { team: 'blue' }, matchExpressions: [] }] }), pool('rest', ['10.1.0.1/32'])];
  const a = new Allocator();
  a.setPools(pools, [namespace('web', { team: 'blue' })]);
  assert.deepEqual(ipsOf(a.assign(service('web/x'))), ['10.0.0.1']);
  a.setPools(pools, [namespace('web', { team: 'red' })]);
  assert.deepEqual(ipsOf(a.assign(service('web/x'))), ['10.1.0.1'], 'MetalLB re-checks serviceAllocation on every sync');
});

test('invalid pools (overlap, bad address, duplicate name) throw a coded error and leave the allocator unchanged', () => {
  const a = fresh();
  ipsOf(a.assign(service('a/web')));
  const cases: [string, Parameters<Allocator['setPools']>[0]][] = [
    ['pool-overlap', [pool('x', ['10.0.0.0/24']), pool('y', ['10.0.0.200-10.0.1.5'])]],
    ['invalid-pool-address', [pool('x', ['10.0.0.0/33'])]],
    ['duplicate-pool', [pool('x', ['10.0.0.0/24']), pool('x', ['10.1.0.0/24'])]],
  ];
  for (const [code, pools] of cases) {
    assert.throws(() => a.setPools(pools, []), (e: unknown) => e instanceof AirlbError && e.code === code, code);
  }
  assert.deepEqual(a.assignments(), [{ namespace: 'a', name: 'web', ips: ['10.0.0.1'], pool: 'lan' }]);
  assert.deepEqual(ipsOf(a.assign(service('a/next'))), ['10.0.0.2']);
});

test('IPv6 pools as large as a /64 allocate without enumerating them', () => {
  const a = fresh([pool('v6', ['2001:db8:1::/64'])]);
  assert.deepEqual(ipsOf(a.assign(service('a/x', { ipFamilies: ['IPv6'] }))), ['2001:db8:1::']);
  assert.deepEqual(ipsOf(a.assign(service('a/y', { ipFamilies: ['IPv6'] }))), ['2001:db8:1::1']);
});

test('a PreferDualStack Service that requests one address keeps exactly that address on every assign', () => {
  const a = fresh([pool('dual', ['10.0.0.1-10.0.0.5', 'fd00::1-fd00::5'])]);
  const svc = service('a/web', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'], annotations: { [IPS]: 'fd00::3' } });
  assert.deepEqual(ipsOf(a.assign(svc)), ['fd00::3']);
  assert.deepEqual(ipsOf(a.assign(svc)), ['fd00::3']);
});
