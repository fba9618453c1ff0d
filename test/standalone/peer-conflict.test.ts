import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/domain/config/index.js';
import type { ConfigSet } from '../../src/domain/config/types.js';
import type { SpeakerFacts } from '../../src/domain/election/types.js';
import { wiredEth0 } from '../support/interfaces.js';
import { arbitratePeer, pairSpeakers, type ConflictArbiter } from '../../src/domain/l2/peer-conflict.js';
import { createLogger } from '../../src/io/logger.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/proto/arp/frame.js';
import { ArpOp } from '../../src/proto/arp/packet.js';
import { desiredState } from '../../src/standalone/desired.js';
import { StandaloneEngine, type LinkLayer, type LinkPort } from '../../src/standalone/engine.js';
import { ManualClock } from '../support/manual-clock.js';

// Two speakers that both elected themselves for one VIP (each counts the other dead) on one
// simulated Ethernet segment with a client ARPing for the VIP every 10 ms: the issue-5 lab bug
// ("both yielded, nobody answered for seconds") and its fix, with a manual clock.

const VIP = '192.168.1.240';
const CLIENT_MAC = '02:00:00:00:00:99';
const CLIENT_IP = '192.168.1.50';
const MACS: Readonly<Record<string, string>> = { a: '02:00:00:00:00:0a', b: '02:00:00:00:00:0b' };
/** The election's order for VIP: a before b. */
const ORDER = ['a', 'b'];
const LATENCY_MS = 1;

function macAt(frame: Buffer, offset: number): string {
  return [...frame.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A switch: broadcast and multicast frames reach every other station, unicast only its destination. */
class Segment {
  private readonly stations = new Map<string, (frame: Buffer) => void>();
  /** Frames between the two speakers are dropped while this is set (the client still hears both). */
  partitioned = true;

  constructor(private readonly clock: ManualClock) {}

  attach(mac: string, receive: (frame: Buffer) => void): void {
    this.stations.set(mac, receive);
  }

  detach(mac: string): void {
    this.stations.delete(mac);
  }

  send(from: string, frame: Buffer): void {
    const to = macAt(frame, 0);
    for (const mac of this.stations.keys()) {
      if (mac === from || (to !== mac && !(frame[0]! & 1))) continue;
      if (this.partitioned && mac !== CLIENT_MAC && from !== CLIENT_MAC) continue;
      this.clock.setTimeout(() => this.stations.get(mac)?.(frame), LATENCY_MS);
    }
  }
}


/** The arbiter a speaker gets from membership (MAC → node) and the election (ORDER). */
function arbiterFor(self: string): ConflictArbiter {
  return (_vip, mac) => {
    const peer = Object.keys(MACS).find((n) => MACS[n] === mac);
    if (peer === undefined) return null;
    const winner = ORDER.find((n) => n === self || n === peer) ?? null;
    const verdict = arbitratePeer(self, peer, winner);
    return verdict === null ? null : { peer, verdict };
  };
}

function speaker(name: string, clock: ManualClock, segment: Segment, arbitrate: boolean): StandaloneEngine {
  const mac = MACS[name]!;
  const link: LinkLayer = {
    open: (_ifname, onFrame): LinkPort => {
      segment.attach(mac, onFrame);
      return {
        send: (frame) => segment.send(mac, frame),
        setPromiscuous: () => undefined,
        setMulticast: () => undefined,
        close: () => segment.detach(mac),
      };
    },
  };
  const engine = new StandaloneEngine({
    clock,
    random: () => 0,
    logger: createLogger({ format: 'text', level: 'error', write: () => undefined }),
    link,
    ...(arbitrate ? { arbiter: arbiterFor(name) } : {}),
  });
  engine.setInterfaces([wiredEth0(mac, name === 'a' ? '192.168.1.10' : '192.168.1.11')]);
  return engine;
}

/**
 * Both speakers claim VIP while cut from each other, then hear each other from `joinAt`; the
 * client ARPs every 10 ms until `untilMs`, calling `onTick` before each request. Returns, per
 * request, which speakers' MACs replied (the speakers' names, sorted).
 */
function run(arbitrate: boolean, untilMs: number, onTick?: (now: number, engines: Record<string, StandaloneEngine>) => void) {
  const clock = new ManualClock();
  const segment = new Segment(clock);
  const replies = new Map<number, Set<string>>();
  segment.attach(CLIENT_MAC, (frame) => {
    const { arp } = decodeArpFrame(frame);
    if (arp.op !== ArpOp.reply || arp.senderIp !== VIP || macAt(frame, 0) !== CLIENT_MAC) return;
    const asked = Math.floor((clock.now() - LATENCY_MS) / 10) * 10;
    const name = Object.keys(MACS).find((n) => MACS[n] === arp.senderMac) ?? arp.senderMac;
    let set = replies.get(asked);
    if (set === undefined) replies.set(asked, (set = new Set()));
    set.add(name);
  });
  const engines = { a: speaker('a', clock, segment, arbitrate), b: speaker('b', clock, segment, arbitrate) };
  for (const e of Object.values(engines)) e.setDesired([{ ip: VIP, services: ['default/web'], pool: 'lan', allInterfaces: false, interfaces: ['eth0'] }]);
  clock.advance(500);
  assert.deepEqual([engines.a.status().vips[0]!.state, engines.b.status().vips[0]!.state], ['claimed', 'claimed'], 'cut apart, both claimed');
  segment.partitioned = false;
  const joinedAt = clock.now();
  while (clock.now() < untilMs) {
    onTick?.(clock.now(), engines);
    const request = encodeArpFrame({ op: ArpOp.request, senderMac: CLIENT_MAC, senderIp: CLIENT_IP, targetMac: '00:00:00:00:00:00', targetIp: VIP });
    segment.send(CLIENT_MAC, request);
    clock.advance(10);
  }
  const answers = [...Array((untilMs - joinedAt) / 10).keys()].map((i) => {
    const at = joinedAt + i * 10;
    return { at, by: [...(replies.get(at) ?? [])].sort().join(',') };
  });
  return { engines, answers, joinedAt };
}

test('without arbitration (RFC 5227 on both sides) both speakers yield and nobody answers the VIP: the lab bug', () => {
  const { engines, answers } = run(false, 4_000);
  const unanswered = answers.filter((x) => x.by === '');
  assert.ok(unanswered.length > 10, `the client went unanswered ${unanswered.length} times`);
  for (const e of Object.values(engines)) assert.ok(e.status().conflicts.some((c) => c.action === 'yield' && c.peer === null));
});

test('with arbitration the better-ranked speaker keeps answering, the other yields once and never flips back', () => {
  const { engines, answers, joinedAt } = run(true, 14_000);
  // Both answered while cut apart, until the first announcement crossed (the burst at 1.2 s).
  const settled = answers.findIndex((_, i) => answers.slice(i).every((y) => y.by === 'a'));
  assert.ok(settled >= 0, 'a answers alone from some point on');
  const settledAt = answers[settled]!.at;
  assert.ok(settledAt - joinedAt <= 2_000, `settled ${settledAt - joinedAt} ms after the speakers heard each other`);
  assert.ok(answers.every((x) => x.by !== ''), 'the client was answered every time: no gap');
  assert.equal(answers.length - settled >= 1_000, true, 'and then for at least 10 s with no flip-flop');
  const b = engines.b.status().conflicts;
  assert.equal(b.filter((c) => c.action === 'yield').length, 1, 'b yielded exactly once');
  assert.ok(b.every((c) => c.peer === 'a' && (c.retryInMs ?? 0) <= 1_000), 'every retry of b came within 1 s');
  assert.ok(engines.a.status().conflicts.every((c) => c.peer === 'b' && (c.action === 'defend' || c.action === 'keep')), 'a never backed off');
  assert.equal(engines.a.status().vips[0]!.state, 'claimed');
  assert.notEqual(engines.b.status().vips[0]!.state, 'claimed');
});

test('with arbitration the worse-ranked speaker takes over within 1.5 s when the better one goes silent', () => {
  const killAt = 8_000;
  const { answers } = run(true, 12_000, (now, engines) => {
    if (now === killAt) engines.a.close();
  });
  const after = answers.filter((x) => x.at >= killAt);
  const firstB = after.find((x) => x.by === 'b');
  assert.ok(firstB !== undefined, 'b answers after a died');
  assert.ok(firstB.at - killAt <= 1_500, `b answered ${firstB.at - killAt} ms after a went silent`);
  assert.ok(after.filter((x) => x.at >= firstB.at).every((x) => x.by === 'b'), 'and keeps answering');
});

// ------------------------------------------------------------------ the order both sides compute

function config(yaml: string): ConfigSet {
  const parsed = loadConfig([{ file: 'test.yaml', text: yaml }]);
  assert.deepEqual(parsed.issues, []);
  return parsed.config;
}

function node(name: string, ip: string, uplink?: string): string {
  const labels = uplink === undefined ? '' : `, labels: { airlb.io/uplink: ${uplink} }`;
  return `---
apiVersion: v1
kind: Node
metadata: { name: ${name}${labels} }
status: { addresses: [{ type: InternalIP, address: ${ip} }] }
`;
}

const base = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec: { addresses: [192.168.1.240-192.168.1.250] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: all, namespace: metallb-system }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { type: LoadBalancer, ports: [{ port: 80, protocol: TCP }] }
`;

/** What the standalone speaker computes (speaker.ts arbitrate): the pair election's verdict for VIP 192.168.1.240. */
function verdict(cfg: ConfigSet, self: string, peer: string, facts: SpeakerFacts[]) {
  const d = desiredState({ config: cfg, node: self, previous: [], speakers: pairSpeakers(facts, self, peer) });
  const winner = d.announce.some((v) => v.ip === '192.168.1.240') ? self : (d.elsewhere.find((e) => e.ip === '192.168.1.240')?.node ?? null);
  return arbitratePeer(self, peer, winner);
}

const fact = (node: string, alive: boolean, failed: string[] = []): SpeakerFacts => ({ node, alive, uplink: 'unknown', verificationFailed: new Set(failed) });

test('two speakers that each count the other dead reach opposite verdicts, whatever their views of liveness and verification', () => {
  const cfg = config(base + node('n1', '10.0.0.1') + node('n2', '10.0.0.2') + node('n3', '10.0.0.3'));
  // n2 sees n1 and n3 dead and n3 failing verification; n3 sees n1 and n2 dead.
  const fromN2 = verdict(cfg, 'n2', 'n3', [fact('n1', false), fact('n2', true), fact('n3', false, ['192.168.1.240'])]);
  const fromN3 = verdict(cfg, 'n3', 'n2', [fact('n1', false), fact('n2', false), fact('n3', true)]);
  assert.deepEqual(new Set([fromN2, fromN3]), new Set(['defend', 'yield']), `n2: ${fromN2}, n3: ${fromN3}`);
  // n1 ranks somewhere among them too, and the verdicts against n1 are just as consistent.
  for (const peer of ['n2', 'n3']) {
    const all = [fact('n1', true), fact('n2', true), fact('n3', true)];
    assert.deepEqual(new Set([verdict(cfg, 'n1', peer, all), verdict(cfg, peer, 'n1', all)]), new Set(['defend', 'yield']));
  }
});

test('the pair order is the election order: a wired speaker ranks before a wireless one whatever the hash', () => {
  for (const [wired, wireless] of [['n2', 'n3'], ['n3', 'n2']] as const) {
    const cfg = config(base + node(wired, '10.0.0.2', 'wired') + node(wireless, '10.0.0.3', 'wireless'));
    const facts = [fact('n2', true), fact('n3', true)].map((f) => ({ ...f, uplink: f.node === wired ? ('wired' as const) : ('wireless' as const) }));
    assert.equal(verdict(cfg, wired, wireless, facts), 'defend');
    assert.equal(verdict(cfg, wireless, wired, facts), 'yield');
  }
});

test('no verdict when the MAC is this node\'s own name or when the pair election picks neither', () => {
  assert.equal(arbitratePeer('n2', 'n2', 'n2'), null);
  assert.equal(arbitratePeer('n2', 'n3', null), null);
  assert.equal(arbitratePeer('n2', 'n3', 'n1'), null);
});
