import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KernelArpResponder, offloadUnavailableReason } from '../../src/io/arp-offload.js';
import { AirlbError } from '../../src/errors.js';
import { cliCommand, repoRoot } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { must, Segment, standaloneConfig, waitFor, type Member } from '../standalone/netns.js';

// The eBPF responder attached through a TCX link to a node namespace's eth0 answers a client's
// arping with the table's MAC, only for table entries and never for the node's own MACs, passes
// everything else on to the kernel, and is gone as soon as its link fd closes — by close(), by
// SIGKILL of the process holding it (even with a child of that process still alive), and for
// `airlb standalone`, whose default (--arp-offload auto) attaches it and which falls back to the
// native fast path, logging why, when it lacks CAP_BPF.
let seg: Segment | undefined;
let client: Member;
let node: Member;
let responder: KernelArpResponder | undefined;

const VIP = '10.213.0.200';
const OTHER = '10.213.0.201';
const TABLE_MAC = '02:aa:bb:cc:dd:01';

async function arpingMacs(ip: string): Promise<string[]> {
  const r = await seg!.exec('client', ['arping', '-c', '2', '-w', '2', '-I', 'eth0', ip], 10_000);
  return [...r.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
}

/** tc's view of eth0's ingress: a TCX link is not a tc filter, and no airlb filter may exist. */
function ingressFilters(): Promise<string> {
  return must(['ip', 'netns', 'exec', node.ns, 'tc', 'filter', 'show', 'dev', 'eth0', 'ingress']);
}

before(async () => {
  requireNetworkPrivileges(['ip', 'tc', 'arping', 'setpriv']);
  seg = await Segment.create();
  await seg.init();
  client = await seg.add('client', 10);
  node = await seg.add('n1', 11);
  responder = KernelArpResponder.open('eth0', { netns: node.ns });
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

test('the kernel responder never answers a request from one of the node\'s own MACs (decideArp self-sender)', async () => {
  responder!.setOwnMacs(new Set([client.mac.toUpperCase()]));
  assert.deepEqual(await arpingMacs(VIP), []);
  responder!.setOwnMacs(new Set([node.mac]));
  assert.deepEqual(await arpingMacs(VIP), [TABLE_MAC, TABLE_MAC]);
});

test('answers() agrees with the program on what it answers', () => {
  const frame = Buffer.alloc(42);
  const request = (senderMac: string, senderIp: string, targetIp: string): Buffer => {
    frame.writeUInt16BE(0x0806, 12);
    frame.writeUInt16BE(1, 14);
    frame.writeUInt16BE(0x0800, 16);
    frame[18] = 6;
    frame[19] = 4;
    frame.writeUInt16BE(1, 20);
    Buffer.from(senderMac.replace(/:/g, ''), 'hex').copy(frame, 22);
    Buffer.from(senderIp.split('.').map(Number)).copy(frame, 28);
    Buffer.from(targetIp.split('.').map(Number)).copy(frame, 38);
    return frame;
  };
  assert.equal(responder!.answers(request(client.mac, client.ipv4, VIP)), true);
  assert.equal(responder!.answers(request(client.mac, '0.0.0.0', VIP)), true, 'an RFC 5227 probe for a held VIP is answered (defend-probe)');
  assert.equal(responder!.answers(request(client.mac, VIP, VIP)), false, 'gratuitous');
  assert.equal(responder!.answers(request(node.mac, node.ipv4, VIP)), false, 'self-sender');
  assert.equal(responder!.answers(request(client.mac, client.ipv4, OTHER)), false, 'not-owner');
});

test('the kernel responder stops answering an address removed from its table', async () => {
  responder!.setReplies(new Map([[OTHER, TABLE_MAC]]));
  assert.deepEqual(await arpingMacs(VIP), []);
  assert.deepEqual(await arpingMacs(OTHER), [TABLE_MAC, TABLE_MAC]);
});

test('the kernel responder leaves the node\'s own address to the kernel (TCX_NEXT, not a drop)', async () => {
  assert.deepEqual(await arpingMacs(node.ipv4), [node.mac.toLowerCase(), node.mac.toLowerCase()]);
});

test('closing the link detaches the program: no reply, no tc filter, no fd left open', async () => {
  assert.equal(await ingressFilters(), '', 'a TCX link, not a tc filter');
  const fdsBefore = readdirSync('/proc/self/fd').length;
  responder!.close();
  responder = undefined;
  assert.equal(readdirSync('/proc/self/fd').length, fdsBefore - 5, 'link, program and three maps closed');
  assert.deepEqual(await arpingMacs(OTHER), []);
  assert.equal(await ingressFilters(), '');
});

test('a failed attach maps the errno to the reason, closes what it loaded and answers nothing', async () => {
  const fdsBefore = readdirSync('/proc/self/fd').length;
  const tooOld = (): number => {
    throw Object.assign(new Error('bpf(BPF_LINK_CREATE, BPF_TCX_INGRESS): Invalid argument'), { code: 'EINVAL', errno: 22 });
  };
  assert.throws(
    () => KernelArpResponder.open('eth0', { netns: node.ns, attach: tooOld }),
    (err: unknown) => err instanceof AirlbError && err.code === 'arp-offload-unavailable' && /TCX links \(BPF_TCX_INGRESS needs Linux 6\.6/.test(err.message),
  );
  assert.equal(readdirSync('/proc/self/fd').length, fdsBefore, 'program and maps closed after the failed attach');
  assert.deepEqual(await arpingMacs(OTHER), []);
  assert.match(offloadUnavailableReason('load', 'EPERM', 'eth0', '6.1.0'), /CAP_BPF and CAP_NET_ADMIN/);
  assert.match(offloadUnavailableReason('attach', 'EINVAL', 'eth0', '6.1.0'), /\(6\.1\.0\) has no TCX links/);
  assert.match(offloadUnavailableReason('attach', 'ENODEV', 'eth9', '6.18'), /no interface eth9/);
  assert.match(offloadUnavailableReason('load', 'ENOSYS', 'eth0', '6.18'), /no bpf\(\) syscall/);
  // A real attach to a missing interface: the addon's errno reaches the reason.
  assert.throws(() => KernelArpResponder.open('nosuch0', { netns: node.ns }), /cannot attach on nosuch0: no interface nosuch0/);
});

test('SIGKILL of the process holding the link detaches the program, even with its child still running', async () => {
  const holder = spawn('ip', ['netns', 'exec', node.ns, process.execPath, '--import', 'tsx', fileURLToPath(new URL('./fixtures/arp-offload-holder.ts', import.meta.url)), VIP, TABLE_MAC], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  holder.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const sleeper = Number((await waitFor('the holder attached', async () => /^ready (\d+)$/m.exec(out)?.[1], 20_000)));
  try {
    assert.deepEqual(await arpingMacs(VIP), [TABLE_MAC, TABLE_MAC]);
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    assert.doesNotThrow(() => process.kill(sleeper, 0), 'the holder\'s child outlives it (it would keep inherited fds open)');
    assert.deepEqual(await arpingMacs(VIP), [], 'nothing answers once the holder is dead');
    assert.ok(Date.now() - killedAt < 5000);
    assert.equal(await ingressFilters(), '');
  } finally {
    holder.kill('SIGKILL');
    try {
      process.kill(sleeper, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const config = (pool: string): Promise<string> => seg!.configDir(`offload-${pool}`, { 'lan.yaml': standaloneConfig({ pool: [pool], services: [{ name: 'web' }] }) });

test('airlb standalone by default answers from the eBPF program, counts each request once, and SIGTERM detaches it', async () => {
  const speaker = seg!.speaker('n1', await config('10.213.0.210-10.213.0.219'));
  await speaker.waitVip('10.213.0.210');
  await waitFor('the eBPF responder attached', async () => (/ARP offload: kernel \(eBPF/.test(speaker.logs) ? true : undefined));
  assert.deepEqual(await arpingMacs('10.213.0.210'), [node.mac, node.mac]);
  const counted = await waitFor('two owner decisions', async () => {
    const s = await speaker.status();
    return s !== undefined && s.counters.arp['owner']! >= 2 ? s : undefined;
  });
  assert.equal(counted.counters.arp['owner'], 2, 'each request counted once');
  assert.equal(counted.counters.sent['reply'], 2, 'each reply counted once, none sent twice');
  assert.equal(await speaker.stop(), 0);
  assert.deepEqual(await arpingMacs('10.213.0.210'), []);
});

test('a SIGKILLed airlb standalone stops answering at once: the kernel drops its TCX link', async () => {
  const speaker = seg!.speaker('n1', await config('10.213.0.220-10.213.0.229'));
  await speaker.waitVip('10.213.0.220');
  await waitFor('the eBPF responder attached', async () => (/ARP offload: kernel \(eBPF/.test(speaker.logs) ? true : undefined));
  assert.deepEqual(await arpingMacs('10.213.0.220'), [node.mac, node.mac]);
  speaker.child.kill('SIGKILL');
  await speaker.wait();
  assert.deepEqual(await arpingMacs('10.213.0.220'), []);
  assert.equal(await ingressFilters(), '');
});

test('without CAP_BPF and CAP_SYS_ADMIN airlb standalone logs why and answers from the native fast path', async () => {
  const withoutBpf = ['setpriv', '--bounding-set', '-bpf,-sys_admin', '--', ...cliCommand()];
  const speaker = seg!.speaker('n1', await config('10.213.0.230-10.213.0.239'), [], {}, withoutBpf);
  await speaker.waitVip('10.213.0.230');
  await waitFor('the fallback logged', async () => (/kernel responder unavailable/.test(speaker.logs) ? true : undefined));
  assert.match(speaker.logs, /missing privileges: loading and attaching a tc eBPF program needs CAP_BPF/);
  assert.deepEqual(await arpingMacs('10.213.0.230'), [node.mac, node.mac]);
  const s = await waitFor('two owner decisions', async () => {
    const v = await speaker.status();
    return v !== undefined && v.counters.arp['owner']! >= 2 ? v : undefined;
  });
  assert.equal(s.counters.sent['reply'], 2);
  assert.equal(await speaker.stop(), 0);
});

test('--arp-offload kernel refuses the interface rather than fall back', async () => {
  const withoutBpf = ['setpriv', '--bounding-set', '-bpf,-sys_admin', '--', ...cliCommand()];
  const speaker = seg!.speaker('n1', await config('10.213.0.240-10.213.0.249'), ['--arp-offload', 'kernel'], {}, withoutBpf);
  await waitFor('the interface refused', async () => (/cannot open a packet socket[^\n]*arp-offload|kernel ARP responder cannot load on eth0/.test(speaker.logs) ? true : undefined), 20_000);
  assert.deepEqual(await arpingMacs('10.213.0.240'), []);
  assert.equal(await speaker.stop(), 0);
});
