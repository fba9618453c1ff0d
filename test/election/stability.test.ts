import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electL2, explainL2 } from '../../src/domain/election/elect.js';
import { HashOrderMemo } from '../../src/domain/election/hash-order.js';
import type { ElectionInput, L2Announcement, SpeakerFacts, Uplink } from '../../src/domain/election/types.js';
import { assign, l2adv, matchLabels, node, pool, prng, service, slice, speaker } from './builders.js';

const UPLINKS: Uplink[] = ['wired', 'wireless', 'unknown'];
const RANK: Record<Uplink, number> = { wired: 0, unknown: 1, wireless: 2 };

/** A random cluster: nodes with random uplinks, some dead, some unselected; Services of both policies. */
function randomCluster(rand: () => number): ElectionInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const names = Array.from({ length: 3 + Math.floor(rand() * 15) }, (_, i) => `n${i}-${Math.floor(rand() * 1e6)}`);
  const services = Array.from({ length: 1 + Math.floor(rand() * 10) }, (_, i) => service(`s${i}`, rand() < 0.3 ? 'Local' : 'Cluster'));
  const assignments = services.map((svc, i) =>
    assign(svc, rand() < 0.3 ? [`192.168.7.${i + 1}`, `fd00::${i + 1}`] : [`192.168.7.${i + 1}`]),
  );
  return {
    assignments,
    nodes: names.map((n) => node(n, { zone: rand() < 0.8 ? 'lan' : 'lab' })),
    pools: [pool('lan')],
    l2Advertisements: [l2adv('lan', { nodeSelectors: [matchLabels({ zone: 'lan' })] })],
    endpointSlices: services.map((svc) => slice(svc.metadata.name, names.filter(() => rand() < 0.5).map((n) => ({ node: n })))),
    speakers: names.map((n) => speaker(n, pick(UPLINKS), rand() < 0.9, rand() < 0.1 ? ['192.168.7.1'] : [])),
  };
}

function winners(plan: readonly L2Announcement[]): Map<string, string | null> {
  return new Map(plan.map((p) => [p.ip, p.node]));
}

function tierOf(s: SpeakerFacts, ips: readonly string[]): number {
  return RANK[s.uplink] + (ips.some((ip) => s.verificationFailed.has(ip)) ? 3 : 0);
}

function withoutNode(input: ElectionInput, name: string): ElectionInput {
  return { ...input, nodes: input.nodes.filter((n) => n.metadata.name !== name), speakers: input.speakers.filter((s) => s.node !== name) };
}

test('removing or killing a node moves only the VIPs that node was announcing', () => {
  const rand = prng(0x5eed);
  let checked = 0;
  for (let trial = 0; trial < 300; trial++) {
    const input = randomCluster(rand);
    const before = winners(electL2(input));
    const victim = input.speakers[Math.floor(rand() * input.speakers.length)]!.node;
    const removed = winners(electL2(withoutNode(input, victim)));
    const dead = winners(electL2({ ...input, speakers: input.speakers.map((s) => (s.node === victim ? { ...s, alive: false } : s)) }));
    for (const [ip, winner] of before) {
      if (winner === victim) continue;
      assert.equal(removed.get(ip), winner, `trial ${trial}: ${ip} moved when unrelated ${victim} was removed`);
      assert.equal(dead.get(ip), winner, `trial ${trial}: ${ip} moved when unrelated ${victim} died`);
      checked++;
    }
  }
  assert.ok(checked > 500, `only ${checked} VIPs were checked`);
});

test('a joining node takes a VIP only if it ranks better than the winner, and never with a worse tier', () => {
  const rand = prng(0xbeef);
  let takeovers = 0;
  for (let trial = 0; trial < 300; trial++) {
    const input = randomCluster(rand);
    const plan = electL2(input);
    const joiner = speaker(`joiner-${trial}`, UPLINKS[trial % 3]!);
    const grown: ElectionInput = {
      ...input,
      nodes: [...input.nodes, node(joiner.node, { zone: 'lan' })],
      speakers: [...input.speakers, joiner],
      endpointSlices: input.endpointSlices.map((s) => ({
        ...s,
        endpoints: [...s.endpoints, { addresses: ['10.244.9.9'], conditions: { ready: true, serving: null, terminating: null }, nodeName: joiner.node }],
      })),
    };
    const after = winners(electL2(grown));
    for (const p of plan) {
      const now = after.get(p.ip) ?? null;
      if (now === p.node || p.node === null) continue;
      assert.equal(now, joiner.node, `trial ${trial}: ${p.ip} moved from ${p.node} to ${now}, not to the joining node`);
      const ips = input.assignments.find((a) => a.ips.includes(p.ip))!.ips;
      const old = input.speakers.find((s) => s.node === p.node)!;
      assert.ok(tierOf(joiner, ips) <= tierOf(old, ips), `trial ${trial}: a worse-tier joiner took ${p.ip}`);
      takeovers++;
    }
  }
  // The property must have been exercised, not vacuously true.
  assert.ok(takeovers > 20, `only ${takeovers} takeovers happened`);
});

test('a VIP moves to a wired node that joins when its winner is wireless', () => {
  const rand = prng(7);
  let moved = 0;
  for (let trial = 0; trial < 100; trial++) {
    const input = randomCluster(rand);
    const wirelessOnly = { ...input, speakers: input.speakers.map((s) => ({ ...s, uplink: 'wireless' as const, verificationFailed: new Set<string>() })) };
    const joiner = speaker('wired-joiner', 'wired');
    const grown: ElectionInput = {
      ...wirelessOnly,
      nodes: [...input.nodes, node(joiner.node, { zone: 'lan' })],
      speakers: [...wirelessOnly.speakers, joiner],
    };
    for (const p of electL2(grown)) {
      const a = input.assignments.find((x) => x.ips.includes(p.ip))!;
      if (a.service.spec.externalTrafficPolicy === 'Local' || p.reason === 'no-serving-endpoint') continue;
      assert.equal(p.node, 'wired-joiner');
      moved++;
    }
  }
  assert.ok(moved > 50);
});

test('explainL2 ranks first exactly the node electL2 elects, for every VIP', () => {
  const rand = prng(42);
  for (let trial = 0; trial < 200; trial++) {
    const input = randomCluster(rand);
    for (const p of electL2(input)) {
      const e = explainL2(input, p.ip);
      assert.equal(e.node, p.node);
      if (p.node !== null) assert.deepEqual([e.candidates[0]!.node, e.candidates[0]!.rank], [p.node, 1]);
    }
  }
});

test('a memo shared across recomputations while nodes join and leave gives the same plan as a fresh one', () => {
  const rand = prng(99);
  const memo = new HashOrderMemo();
  let input = randomCluster(rand);
  for (let step = 0; step < 200; step++) {
    if (rand() < 0.5 || input.speakers.length < 4) {
      const name = `j${step}`;
      input = { ...input, nodes: [...input.nodes, node(name, { zone: 'lan' })], speakers: [...input.speakers, speaker(name, UPLINKS[step % 3]!)] };
    } else {
      input = withoutNode(input, input.speakers[Math.floor(rand() * input.speakers.length)]!.node);
    }
    assert.deepEqual(electL2(input, memo), electL2(input), `step ${step}`);
  }
});
