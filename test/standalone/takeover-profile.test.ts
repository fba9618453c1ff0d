import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { loadConfig } from '../../src/domain/config/index.js';
import type { ConfigSet } from '../../src/domain/config/types.js';
import { takeoverVips } from '../../src/domain/election/takeover.js';
import type { SpeakerFacts } from '../../src/domain/election/types.js';
import type { InterfaceFacts } from '../../src/domain/l2/interfaces.js';
import { createLogger } from '../../src/io/logger.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/proto/arp/frame.js';
import { ArpOp } from '../../src/proto/arp/packet.js';
import { desiredState, type DesiredState, type DesiredVip } from '../../src/standalone/desired.js';
import { StandaloneEngine, type LinkLayer, type LinkPort } from '../../src/standalone/engine.js';
import { ManualClock } from '../support/manual-clock.js';
import { wiredEth0 } from '../support/interfaces.js';

// Which claim a VIP gets, from the election to the frames on the wire: the short takeover claim
// exactly when the VIP's previous owner is known dead, the normal claim otherwise, and conflict
// handling unchanged by the short claim. Pure: desiredState, the engine with a fake link layer and
// a manual clock.

const NODES = ['n1', 'n2', 'n3'] as const;
const VIP = '192.168.1.240';
const ETH0_MAC = '02:00:00:00:00:01';
const OTHER_MAC = '02:00:00:00:00:66';

function yaml(nodes: readonly string[]): string {
  const docs = [
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: [192.168.1.240/32]`,
    `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: all, namespace: metallb-system }`,
    `apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  type: LoadBalancer
  ports: [{ port: 80, protocol: TCP }]`,
    ...nodes.map((n) => `apiVersion: v1\nkind: Node\nmetadata: { name: ${n}, labels: { kubernetes.io/hostname: ${n} } }`),
  ];
  return docs.join('\n---\n');
}

function config(nodes: readonly string[] = NODES): ConfigSet {
  const parsed = loadConfig([{ file: 'lan.yaml', text: yaml(nodes) }]);
  assert.deepEqual(parsed.issues, [], 'the fixture itself is valid');
  return parsed.config;
}

/** Membership's facts: every node in `nodes` alive unless listed in `dead`; `failed` VIPs per node. */
function speakers(nodes: readonly string[], dead: readonly string[] = [], failed: Record<string, string[]> = {}): SpeakerFacts[] {
  return nodes.map((node) => ({ node, alive: !dead.includes(node), uplink: 'unknown', verificationFailed: new Set(failed[node] ?? []) }));
}

function owner(state: DesiredState, self: string): string | null {
  if (state.announce.some((v) => v.ip === VIP)) return self;
  return state.elsewhere.find((e) => e.ip === VIP)?.node ?? null;
}

/** Every node's election with everybody alive, and the node that wins the VIP there. */
function steadyState(): { states: Map<string, DesiredState>; first: string } {
  const c = config();
  const states = new Map(NODES.map((n) => [n as string, desiredState({ config: c, node: n, previous: [], speakers: speakers(NODES) })]));
  const first = owner(states.get('n1')!, 'n1')!;
  for (const n of NODES) assert.equal(owner(states.get(n)!, n), first, `${n} agrees on the owner`);
  return { states, first };
}

function vipOf(state: DesiredState): DesiredVip | undefined {
  return state.announce.find((v) => v.ip === VIP);
}

// ------------------------------------------------------------------ the decision (domain)

test('the owner dies: the node that wins its VIP marks it takeover, and only that node announces it', () => {
  const { states, first } = steadyState();
  const after = NODES.map((n) => ({ n, d: desiredState({ config: config(), node: n, previous: [], speakers: speakers(NODES, [first]), before: states.get(n)! }) }));
  const winners = after.filter(({ d }) => vipOf(d) !== undefined);
  assert.equal(winners.length, 1, 'exactly one survivor wins the VIP');
  assert.notEqual(winners[0]!.n, first);
  assert.equal(vipOf(winners[0]!.d)!.takeover, true);
});

test('not a takeover: a first claim, a move away from a live owner (failed verification), an owner that left the configuration, no membership', () => {
  const { states, first } = steadyState();
  const survivors = NODES.filter((n) => n !== first);
  // First claim: the owner is dead, but there is no earlier election to say the VIP was anybody's.
  const firstClaims = survivors.map((n) => vipOf(desiredState({ config: config(), node: n, previous: [], speakers: speakers(NODES, [first]) })));
  assert.deepEqual(firstClaims.filter((v) => v !== undefined).map((v) => v!.takeover), [undefined]);
  // Verification moved the VIP: the owner is alive (it still answers until it releases the VIP).
  const moved = survivors.map((n) =>
    vipOf(desiredState({ config: config(), node: n, previous: [], speakers: speakers(NODES, [], { [first]: [VIP] }), before: states.get(n)! })),
  );
  assert.deepEqual(moved.filter((v) => v !== undefined).map((v) => v!.takeover), [undefined], 'the VIP moved, normally');
  // The owner's Node was removed from the YAML: not known dead, it may still run the old YAML.
  const remaining = NODES.filter((n) => n !== first);
  const removed = survivors.map((n) => vipOf(desiredState({ config: config(remaining), node: n, previous: [], speakers: speakers(remaining), before: states.get(n)! })));
  assert.deepEqual(removed.filter((v) => v !== undefined).map((v) => v!.takeover), [undefined]);
  // Without membership nobody is known dead, whatever the earlier owners were.
  assert.deepEqual([...takeoverVips({ self: 'n2', won: [VIP], previousOwners: new Map([[VIP, 'n1']]) })], []);
});

test('a returning owner wins its VIP back with the normal claim: the node it takes it from is alive', () => {
  const { states, first } = steadyState();
  const down = desiredState({ config: config(), node: first, previous: [], speakers: speakers(NODES, [first]), before: states.get(first)! });
  assert.equal(vipOf(down), undefined, 'while held out (not alive) the owner announces nothing');
  const back = desiredState({ config: config(), node: first, previous: [], speakers: speakers(NODES), before: down });
  assert.notEqual(vipOf(back), undefined);
  assert.equal(vipOf(back)!.takeover, undefined);
});

test('takeoverVips: only VIPs whose previous owner is another node listed dead; a VIP already ours is no takeover', () => {
  const facts = speakers(['n1', 'n2', 'n3'], ['n1', 'n3']);
  const previousOwners = new Map([
    ['10.0.0.1', 'n1'], // dead owner
    ['10.0.0.2', 'n2'], // ours already
    ['10.0.0.3', 'n4'], // owner not a speaker any more
    ['10.0.0.5', 'n3'], // dead owner, but we did not win it
  ]);
  const won = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
  assert.deepEqual([...takeoverVips({ self: 'n2', won, previousOwners, speakers: facts })], ['10.0.0.1']);
});

// ------------------------------------------------------------------ the claim (engine, frames)

function eth0(): InterfaceFacts {
  return wiredEth0(ETH0_MAC, '192.168.1.10');
}

/** One port whose every sent frame is recorded with the manual clock's time. */
class RecordingLink implements LinkLayer {
  readonly sent: { at: number; frame: Buffer }[] = [];
  opened = 0;
  closed = 0;
  deliver: (frame: Buffer) => void = () => assert.fail('no socket is open');
  constructor(private readonly clock: ManualClock) {}
  open(_ifname: string, onFrame: (frame: Buffer) => void): LinkPort {
    this.deliver = onFrame;
    this.opened += 1;
    return {
      send: (frame) => void this.sent.push({ at: this.clock.now(), frame }),
      setPromiscuous: () => undefined,
      setMulticast: () => undefined,
      close: () => void (this.closed += 1),
    };
  }
  /** "t=<ms> probe" / "t=<ms> announce" per ARP frame sent, in order (an announcement is two frames). */
  timeline(): string[] {
    const out: string[] = [];
    for (const { at, frame } of this.sent) {
      const arp = decodeArpFrame(frame).arp;
      const line = `t=${at} ${arp.senderIp === '0.0.0.0' ? 'probe' : 'announce'}`;
      if (out.at(-1) !== line || line.endsWith('probe')) out.push(line);
    }
    return out;
  }
}

let clock: ManualClock;
let link: RecordingLink;
let engine: StandaloneEngine;

beforeEach(() => {
  clock = new ManualClock();
  link = new RecordingLink(clock);
  engine = new StandaloneEngine({ clock, random: () => 0, logger: createLogger({ format: 'text', level: 'error', write: () => undefined }), link });
  engine.setInterfaces([eth0()]);
});

/** The survivor's election after the owner's death, as the engine receives it. */
function takeoverElection(): DesiredVip[] {
  const { states, first } = steadyState();
  for (const n of NODES) {
    const d = desiredState({ config: config(), node: n, previous: [], speakers: speakers(NODES, [first]), before: states.get(n)! });
    if (vipOf(d) !== undefined) return [...d.announce];
  }
  return assert.fail('a survivor wins the VIP');
}

test('the engine claims a VIP taken over from a dead owner 30 ms after the election: one probe, no second', () => {
  engine.setDesired(takeoverElection());
  clock.advance(29);
  assert.equal(engine.status().vips[0]!.state, 'probing');
  clock.advance(1);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  assert.deepEqual(link.timeline(), ['t=0 probe', 't=30 announce']);
});

test('the engine claims a VIP with the normal claim (3 probes, 200 ms) when it is not a takeover, and by default', () => {
  const { states } = steadyState();
  const self = NODES.find((n) => vipOf(states.get(n)!) !== undefined)!;
  engine.setDesired([...states.get(self)!.announce]);
  clock.advance(199);
  assert.equal(engine.status().vips[0]!.state, 'probing');
  clock.advance(1);
  assert.deepEqual(link.timeline(), ['t=0 probe', 't=50 probe', 't=100 probe', 't=200 announce']);
});

test('a live holder answering the takeover probe is a conflict: no announcement, backoff, then a normal claim', () => {
  engine.setDesired(takeoverElection());
  clock.advance(5);
  link.deliver(encodeArpFrame({ op: ArpOp.reply, senderMac: OTHER_MAC, senderIp: VIP, targetMac: ETH0_MAC, targetIp: '0.0.0.0' }));
  const status = engine.status();
  assert.equal(status.vips[0]!.state, 'backoff');
  assert.deepEqual(status.vips[0]!.answeringOn, []);
  assert.deepEqual(status.conflicts.map((c) => [c.phase, c.action, c.retryInMs]), [['probing', 'backoff', 500]]);
  clock.advance(1000);
  assert.deepEqual(link.timeline(), ['t=0 probe', 't=505 probe', 't=555 probe', 't=605 probe', 't=705 announce']);
});

test('a live owner heard after the takeover claim is defended, then yielded to after a second conflict', () => {
  engine.setDesired(takeoverElection());
  clock.advance(30);
  const gratuitous = encodeArpFrame({ op: ArpOp.request, senderMac: OTHER_MAC, senderIp: VIP, targetMac: '00:00:00:00:00:00', targetIp: VIP });
  link.deliver(gratuitous);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  clock.advance(100);
  link.deliver(gratuitous);
  const status = engine.status();
  assert.equal(status.vips[0]!.state, 'backoff');
  assert.deepEqual(status.vips[0]!.answeringOn, []);
  assert.deepEqual(status.conflicts.map((c) => [c.phase, c.action]), [
    ['claimed', 'defend'],
    ['claimed', 'yield'],
  ]);
});

test('backing off from a holder that membership then reports dead: the takeover election probes at once, not after the backoff', () => {
  const normal = takeoverElection().map((v) => ({ ...v, takeover: false }));
  engine.setDesired(normal);
  clock.advance(5);
  // The old owner still answers this node's first probe: a normal conflict backoff of 500 ms.
  link.deliver(encodeArpFrame({ op: ArpOp.reply, senderMac: OTHER_MAC, senderIp: VIP, targetMac: ETH0_MAC, targetIp: '0.0.0.0' }));
  assert.equal(engine.status().vips[0]!.state, 'backoff');
  clock.advance(95); // t=100: membership now says the old owner is dead
  engine.setDesired(takeoverElection());
  clock.advance(30);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  assert.deepEqual(link.timeline(), ['t=0 probe', 't=100 probe', 't=130 announce']);
});

// ------------------------------------------------------------------ standby sockets

test('standby: the VIPs a node may take over, with membership only; the owner has none', () => {
  const { states, first } = steadyState();
  for (const n of NODES) {
    const standby = states.get(n)!.standby.map((v) => v.ip);
    assert.deepEqual(standby, n === first ? [] : [VIP], n);
  }
  const noMembership = desiredState({ config: config(), node: 'n1', previous: [] });
  assert.deepEqual(noMembership.standby, [], 'without membership nothing fails over');
});

test('the engine opens the socket for a standby VIP before the takeover, sends nothing on it, and keeps it', () => {
  const { states, first } = steadyState();
  const survivor = NODES.find((n) => n !== first)!;
  engine.setDesired([], states.get(survivor)!.standby);
  assert.equal(link.opened, 1, 'the socket is open while another node owns the VIP');
  clock.advance(10_000);
  assert.deepEqual(link.sent, [], 'nothing is probed, announced or answered for a standby VIP');
  assert.deepEqual(engine.status().vips, []);
  engine.setDesired(takeoverElection());
  clock.advance(30);
  assert.equal(engine.status().vips[0]!.state, 'claimed');
  assert.equal(link.opened, 1, 'the takeover used the open socket');
  engine.setDesired([], []);
  assert.equal(link.closed, 1, 'neither held nor standby: closed');
});
