import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { KernelArpResponder } from '../../src/io/arp-offload.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { must, Segment, standaloneConfig, waitFor, type Member } from '../standalone/netns.js';

// The eBPF responder attached to a node namespace's eth0 answers a client's arping with the table's
// MAC, only for table entries, stops after a delete, and leaves no filter, qdisc or pin on close;
// `airlb standalone --arp-offload kernel` attaches it, still counts every request, and detaches it
// on SIGTERM.
let seg: Segment | undefined;
let node: Member;
let responder: KernelArpResponder | undefined;

const VIP = '10.213.0.200';
const OTHER = '10.213.0.201';
const TABLE_MAC = '02:aa:bb:cc:dd:01';

async function arpingMacs(ip: string): Promise<string[]> {
  const r = await seg!.exec('client', ['arping', '-c', '2', '-w', '2', '-I', 'eth0', ip], 10_000);
  return [...r.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
}

before(async () => {
  requireNetworkPrivileges(['ip', 'tc', 'arping']);
  seg = await Segment.create();
  await seg.init();
  await seg.add('client', 10);
  node = await seg.add('n1', 11);
  responder = await KernelArpResponder.open('eth0', { netns: node.ns });
});

after(async () => {
  responder?.close();
  await seg?.remove();
});

test('the kernel responder answers only for addresses in its table, with the table MAC', async () => {
  responder!.setReplies(new Map([[VIP, TABLE_MAC]]));
  assert.deepEqual(await arpingMacs(VIP), [TABLE_MAC, TABLE_MAC]);
  assert.deepEqual(await arpingMacs(OTHER), []);
  assert.equal(responder!.replies(), 2);
});

test('the kernel responder stops answering an address removed from its table', async () => {
  responder!.setReplies(new Map([[OTHER, TABLE_MAC]]));
  assert.deepEqual(await arpingMacs(VIP), []);
  assert.deepEqual(await arpingMacs(OTHER), [TABLE_MAC, TABLE_MAC]);
});

test('the kernel responder leaves the node\'s own address to the kernel', async () => {
  assert.deepEqual(await arpingMacs(node.ipv4), [node.mac.toLowerCase(), node.mac.toLowerCase()]);
});

test('closing removes the filter, the clsact qdisc and the pin', async () => {
  const pin = `/sys/fs/bpf/airlb_arp_${node.ns}_eth0`;
  assert.ok(existsSync(pin));
  assert.match(await must(['ip', 'netns', 'exec', node.ns, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress']), /airlb_arp/);
  responder!.close();
  assert.equal(existsSync(pin), false);
  assert.equal(await must(['ip', 'netns', 'exec', node.ns, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress']), '');
  assert.doesNotMatch(await must(['ip', 'netns', 'exec', node.ns, 'tc', 'qdisc', 'show', 'dev', 'eth0']), /clsact/);
  assert.deepEqual(await arpingMacs(OTHER), []);
});

test('the standalone speaker with --arp-offload kernel answers from the eBPF program, counts the requests and detaches on SIGTERM', async () => {
  const dir = await seg!.configDir('offload', { 'lan.yaml': standaloneConfig({ pool: ['10.213.0.210-10.213.0.219'], services: [{ name: 'web' }] }) });
  const speaker = seg!.speaker('n1', dir, ['--arp-offload', 'kernel']);
  await speaker.waitVip('10.213.0.210');
  const filters = (): Promise<string> => must(['ip', 'netns', 'exec', node.ns, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress']);
  await waitFor('the eBPF filter attached', async () => ((await filters()).includes('airlb_arp') ? true : undefined));
  assert.deepEqual(await arpingMacs('10.213.0.210'), [node.mac, node.mac]);
  const counted = await waitFor('two owner decisions', async () => {
    const s = await speaker.status();
    return s !== undefined && s.counters.arp['owner']! >= 2 ? s : undefined;
  });
  assert.equal(counted.counters.arp['owner'], 2, 'each request counted once');
  assert.equal(counted.counters.sent['reply'], 2, 'each reply counted once, none sent twice');
  assert.match(speaker.logs, /ARP offload: kernel/);
  assert.equal(await speaker.stop(), 0);
  assert.equal(await filters(), '');
  assert.deepEqual(await arpingMacs('10.213.0.210'), []);
});
