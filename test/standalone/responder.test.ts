import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { Segment, Speaker, standaloneConfig, waitFor, type Member, type SpeakerStatusView } from './netns.js';

// `airlb standalone` in a node namespace, real clients in a client namespace on the same bridge:
// arping and ndisc6 see the node's MAC for its VIPs and nothing for addresses nobody owns; a
// reload keeps working VIPs; an invalid reload is rejected; a burst of malformed frames changes
// nothing; SIGTERM stops the answers and exits 0.
let seg: Segment | undefined;
let client: Member;
let node: Member;
let speaker: Speaker;
let configDir: string;

const VIP4 = '10.213.0.200';
const VIP6 = 'fd00:a1b:213::200';
const pool = ['10.213.0.200-10.213.0.209', 'fd00:a1b:213::200/125'];

/** MACs of the ARP replies `arping` got for `ip` (3 requests, 3 s at most). */
async function arpingMacs(ip: string): Promise<string[]> {
  const r = await seg!.exec('client', ['arping', '-c', '3', '-w', '3', '-I', 'eth0', ip], 10_000);
  return [...r.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
}

/** The MAC ndisc6 resolved for `ip`, or null when nothing answered (3 tries, 300 ms apart). */
async function ndiscMac(ip: string): Promise<string | null> {
  const r = await seg!.exec('client', ['ndisc6', '-q', '-r', '3', '-w', '300', ip, 'eth0'], 10_000);
  return r.code === 0 ? r.stdout.trim().toLowerCase() : null;
}

/** Waits until the status file (rewritten at least once a second) satisfies `check`. */
function statusWhere(what: string, check: (s: SpeakerStatusView) => boolean): Promise<SpeakerStatusView> {
  return waitFor(what, async () => {
    const s = await speaker.status();
    return s !== undefined && check(s) ? s : undefined;
  });
}

before(async () => {
  requireNetworkPrivileges(['ip', 'arping', 'ndisc6', 'python3']);
  seg = await Segment.create();
  await seg.init();
  client = await seg.add('client', 10);
  node = await seg.add('n1', 11);
  configDir = await seg.configDir('config', {
    'lan.yaml': standaloneConfig({ pool, services: [{ name: 'web', dual: true }] }),
  });
  speaker = seg.speaker('n1', configDir);
  await speaker.waitVip(VIP4);
  await speaker.waitVip(VIP6);
});

after(async () => {
  await seg?.remove();
});

test('arping from a client gets the node\'s MAC for an IPv4 VIP', async () => {
  const macs = await arpingMacs(VIP4);
  assert.ok(macs.length >= 1, 'at least one reply');
  assert.deepEqual([...new Set(macs)], [node.mac]);
  await statusWhere('the responder counting its answers', (s) => s.counters.arp['owner']! >= 1);
});

test('ndisc6 from a client gets the node\'s MAC for an IPv6 VIP', async () => {
  assert.equal(await ndiscMac(VIP6), node.mac);
  await statusWhere('the responder counting its NDP answers', (s) => s.counters.ns['owner']! >= 1);
});

test('an address of the pool that no Service holds gets no reply, over ARP or NDP', async () => {
  assert.deepEqual(await arpingMacs('10.213.0.205'), []);
  assert.equal(await ndiscMac('fd00:a1b:213::205'), null);
  await statusWhere('the requests counted as not-owner', (s) => s.counters.arp['not-owner']! >= 1 && s.counters.ns['not-owner']! >= 1);
});

test('a wired interface is not made promiscuous', async () => {
  const flags = parseInt((await seg!.exec('n1', ['cat', '/sys/class/net/eth0/flags'])).stdout.trim(), 16);
  assert.equal(flags & 0x100, 0);
  const eth0 = (await speaker.status())!.interfaces.find((i) => i.name === 'eth0');
  assert.equal(eth0?.kind, 'wired');
  assert.equal(eth0?.promiscuous, false);
});

test('a reload that adds a Service claims the new VIP and leaves the answering one alone', async () => {
  const before = (await speaker.status())!;
  await writeFile(join(configDir, 'lan.yaml'), standaloneConfig({ pool, services: [{ name: 'web', dual: true }, { name: 'api' }] }));
  const after = await speaker.waitVip('10.213.0.201');
  assert.ok(after.config.generation > before.config.generation);
  assert.equal(after.vips.find((v) => v.ip === VIP4)?.state, 'claimed', 'the first VIP stayed claimed');
  assert.equal(after.counters.sent['probe']! - before.counters.sent['probe']!, 3, 'only the new VIP was probed (three ARP probes)');
  assert.deepEqual(after.allocations.find((a) => a.name === 'web')?.ips, [VIP4, VIP6], 'the first Service kept its addresses');
  assert.deepEqual([...new Set(await arpingMacs('10.213.0.201'))], [node.mac]);
});

test('an invalid reload is rejected with its errors and the running configuration keeps answering', async () => {
  const generation = (await speaker.status())!.config.generation;
  await writeFile(join(configDir, 'broken.yaml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: bad }\nspec:\n  addresses: [not-an-address]\n');
  const status = await statusWhere('the rejection in the status file', (s) => s.config.rejected.length > 0);
  assert.match(status.config.rejected.join('\n'), /broken\.yaml:\d+: IPAddressPool\/bad/);
  assert.equal(status.config.generation, generation, 'no new configuration was applied');
  assert.deepEqual([...new Set(await arpingMacs(VIP4))], [node.mac], 'the VIP still answers');
  assert.match(speaker.logs, /new configuration rejected/);
  await rm(join(configDir, 'broken.yaml'));
  const fixed = await statusWhere('the next valid load clearing the rejection', (s) => s.config.rejected.length === 0);
  assert.equal(fixed.config.generation, generation + 1);
});

test('SIGHUP reloads the configuration at once and the VIPs keep answering', async () => {
  const generation = (await speaker.status())!.config.generation;
  speaker.child.kill('SIGHUP');
  await statusWhere('a new generation after SIGHUP', (s) => s.config.generation === generation + 1);
  assert.match(speaker.logs, /"msg":"reloading",.*"cause":"sighup"/);
  assert.equal((await speaker.status())!.vips.find((v) => v.ip === VIP4)?.state, 'claimed');
});

test('a burst of malformed ARP and IPv6 frames is counted and leaves the responder answering', async () => {
  const before = (await speaker.status())!.counters.malformed;
  // Raw frames from the client: truncated ARP, ARP with impossible lengths, random bytes after the
  // ARP and IPv6 ethertypes, and ICMPv6 Neighbor Solicitations cut short or with a bad checksum.
  const script = `
import os, random, socket, struct, time
random.seed(7)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
src = bytes.fromhex("${client.mac.replace(/:/g, '')}")
bc = b"\\xff" * 6
mc = bytes.fromhex("3333ff000200")
def ipv6_ns(payload, plen=None):
    ip = struct.pack("!IHBB", 0x60000000, len(payload) if plen is None else plen, 58, 255)
    ip += bytes.fromhex("fe80" + "00" * 12 + "0001") + bytes.fromhex("ff0200000000000000000001ff000200")
    return ip + payload
for i in range(2000):
    k = i % 5
    if k == 0:
        frame = bc + src + b"\\x08\\x06" + os.urandom(random.randint(0, 27))
    elif k == 1:
        frame = bc + src + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x0800, random.randint(7, 255), random.randint(5, 255), 1) + os.urandom(20)
    elif k == 2:
        frame = mc + src + b"\\x86\\xdd" + os.urandom(random.randint(0, 80))
    elif k == 3:
        frame = mc + src + b"\\x86\\xdd" + ipv6_ns(bytes([135, 0]) + os.urandom(random.randint(0, 20)))
    else:
        frame = mc + src + b"\\x86\\xdd" + ipv6_ns(bytes([135, 0, 0, 0, 0, 0, 0, 0]) + os.urandom(16), plen=400)
    s.send(frame)
    time.sleep(0.0002)
`;
  const r = await seg!.exec('client', ['python3', '-c', script], 20_000);
  assert.equal(r.code, 0, r.stderr);
  const status = await statusWhere('malformed frames counted', (s) => s.counters.malformed - before >= 200);
  assert.equal(status.running, true);
  assert.deepEqual([...new Set(await arpingMacs(VIP4))], [node.mac], 'IPv4 still answers');
  assert.equal(await ndiscMac(VIP6), node.mac, 'IPv6 still answers');
});

test('with the ARP fast path each request gets exactly one reply and is counted once, and a VIP removed by reload stops answering at once', async () => {
  // The status file is rewritten at least once a second: after 1.5 s it holds the counts of every
  // earlier request, so the differences below belong to this test's requests alone.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = (await speaker.status())!.counters;
  // One reply per request: the addon's fast path answers and the engine, told so, does not send again.
  assert.deepEqual(await arpingMacs(VIP4), [node.mac, node.mac, node.mac]);
  const counted = await statusWhere('three more owner decisions', (s) => s.counters.arp['owner']! - before.arp['owner']! >= 3);
  assert.equal(counted.counters.arp['owner']! - before.arp['owner']!, 3);
  assert.equal(counted.counters.sent['reply']! - before.sent['reply']!, 3, 'each reply counted once as sent');

  // 10.213.0.201 (Service api, added by the reload test) leaves the configuration: released, not answered.
  assert.deepEqual([...new Set(await arpingMacs('10.213.0.201'))], [node.mac]);
  await writeFile(join(configDir, 'lan.yaml'), standaloneConfig({ pool, services: [{ name: 'web', dual: true }] }));
  await statusWhere('the api VIP released', (s) => !s.vips.some((v) => v.ip === '10.213.0.201'));
  assert.deepEqual(await arpingMacs('10.213.0.201'), []);
  assert.deepEqual([...new Set(await arpingMacs(VIP4))], [node.mac], 'the remaining VIP still answers');
});

test('after SIGTERM the speaker exits 0, nothing answers, and the state file keeps the allocations', async () => {
  assert.equal(await speaker.stop(), 0);
  assert.deepEqual(await arpingMacs(VIP4), []);
  assert.equal(await ndiscMac(VIP6), null);
  const status = (await speaker.status())!;
  assert.equal(status.running, false);
  const state = JSON.parse(await readFile(speaker.stateFile, 'utf8')) as { services: Record<string, { ips: string[] }> };
  assert.deepEqual(state.services['default/web']?.ips, [VIP4, VIP6]);
  assert.match(speaker.logs, /"msg":"stopped"/);
});
