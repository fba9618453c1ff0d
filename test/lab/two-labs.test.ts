import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { listNetns } from '../../src/lab/teardown.js';
import { createRunner } from '../../src/lab/exec.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { pings, startLab, uniquePrefix } from './support.js';

// Two labs with different prefixes run side by side with the same addresses: each lives in its
// own namespaces, and removing one leaves the other working.
const prefixes = [uniquePrefix(), uniquePrefix()] as const;
const cleanups: (() => Promise<void>)[] = [];
let labs: Lab[] = [];

before(() => requireNetworkPrivileges(['ip', 'bridge', 'nft', 'ping']));
after(async () => {
  for (const c of cleanups) await c();
});

async function ownedNamespaces(prefix: string): Promise<string[]> {
  return (await listNetns(createRunner())).filter((ns) => ns.startsWith(`${prefix}-`));
}

/** Links in the host's own namespace (this test process runs there). */
async function hostLinks(): Promise<string[]> {
  const { stdout } = await createRunner().run(['ip', '-j', 'link', 'show']);
  return (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
}

test('two labs with different prefixes come up at the same time, both carry traffic, and the host namespace gains no link', async () => {
  const linksBefore = await hostLinks();
  const started = await Promise.all(prefixes.map((prefix) => startLab(undefined, { prefix })));
  cleanups.push(...started.map((s) => s.cleanup));
  labs = started.map((s) => s.lab);
  for (const lab of labs) {
    assert.equal(await pings(lab, 'desktop', lab.node('pi2').ipv4), true, `${lab.prefix}: desktop -> pi2`);
    assert.notEqual(labs[0]!.node('pi2').mac, labs[1]!.node('pi2').mac);
  }
  assert.deepEqual(await hostLinks(), linksBefore);
});

test('a second lab with a prefix in use is refused with lab-exists', async () => {
  await assert.rejects(Lab.up(labs[0]!.topology, { prefix: prefixes[0] }), (err: Error & { code?: string }) => err.code === 'lab-exists');
});

test('taking one lab down removes all of its namespaces and leaves the other running', async () => {
  await labs[0]!.down();
  assert.deepEqual(await ownedNamespaces(prefixes[0]), []);
  assert.equal((await ownedNamespaces(prefixes[1])).length, 7, 'AP + 6 nodes');
  assert.equal(await pings(labs[1]!, 'desktop', labs[1]!.node('pi3').ipv4), true);
  await labs[1]!.down();
  assert.deepEqual(await ownedNamespaces(prefixes[1]), []);
});
