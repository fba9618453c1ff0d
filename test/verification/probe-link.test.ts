import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { deleteNamespaces, inNs, twoNamespaces, uniquePrefix } from '../bfd/netns.js';

/*
 * The probe sockets on a real link: namespace A probes, namespace B holds the "VIPs" as kernel
 * addresses, so the kernel answers the ARP request and the Neighbor Solicitation; A must see
 * both answers with B's MAC, and nothing for an address nobody holds.
 */

const root = new URL('../..', import.meta.url).pathname;
const prefix = uniquePrefix();
const a = { ns: `${prefix}a`, dev: 'eth0', addr: '10.78.0.1' };
const b = { ns: `${prefix}b`, dev: 'eth0', addr: '10.78.0.2' };

before(() => {
  requireNetworkPrivileges(['ip']);
  twoNamespaces(a, b);
  inNs(a.ns, 'ip', '-6', 'addr', 'add', 'fd00:78::1/64', 'dev', 'eth0', 'nodad');
  inNs(b.ns, 'ip', 'addr', 'add', '10.78.0.200/24', 'dev', 'eth0');
  inNs(b.ns, 'ip', '-6', 'addr', 'add', 'fd00:78::200/64', 'dev', 'eth0', 'nodad');
});

after(() => deleteNamespaces(a.ns, b.ns));

test('an ARP request and a Neighbor Solicitation for a VIP come back with its holder MAC, an unheld VIP gets nothing', { timeout: 20_000 }, () => {
  const bMac = inNs(b.ns, 'cat', '/sys/class/net/eth0/address').trim();
  const r = spawnSync('ip', ['netns', 'exec', a.ns, process.execPath, '--import', 'tsx', 'test/verification/fixtures/probe.ts', a.addr, '10.78.0.200', 'fd00:78::200', '10.78.0.201'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 15_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { replies: Record<string, string>; ifname: string };
  assert.equal(out.ifname, 'eth0');
  assert.deepEqual(out.replies, { '10.78.0.200': bMac, 'fd00:78::200': bMac });
});
