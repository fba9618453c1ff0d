// Election benchmark: time per full recomputation of the L2 announcement plan (electL2) for
// 10,000 VIPs over 1,000 nodes (target < 100 ms), and 1,000 VIPs over 100 nodes for scale.
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run: node --import tsx bench/election.ts [runs]
import { cpus, totalmem } from 'node:os';
import { electL2 } from '../src/domain/election/elect.js';
import { HashOrderMemo } from '../src/domain/election/hash-order.js';
import type { ElectionInput, ServiceAssignment, SpeakerFacts, Uplink } from '../src/domain/election/types.js';
import { assign, l2adv, matchLabels, node, pool, prng, service, slice, speaker } from '../test/election/builders.js';

const POOLS = 10;
const DUAL_STACK_SHARE = 0.1;
const LOCAL_SHARE = 0.1;

/**
 * A cluster shaped like a large home lab: 20 % wired, 20 % unknown, 60 % wireless uplinks, 2 % dead
 * speakers; half the pools advertised from every node, half only from nodes labelled ethernet;
 * 10 % dual-stack Services, 10 % externalTrafficPolicy Local, three endpoints per Service.
 */
function buildCluster(vips: number, nodeCount: number, seed: number): ElectionInput {
  const rand = prng(seed);
  const names = Array.from({ length: nodeCount }, (_, i) => `node-${String(i).padStart(4, '0')}`);
  const uplinks = names.map((): Uplink => {
    const r = rand();
    return r < 0.2 ? 'wired' : r < 0.4 ? 'unknown' : 'wireless';
  });
  const assignments: ServiceAssignment[] = [];
  let made = 0;
  for (let i = 0; made < vips; i++) {
    const dual = rand() < DUAL_STACK_SHARE && made + 2 <= vips;
    const v4 = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const ips = dual ? [v4, `fd00::${i.toString(16)}`] : [v4];
    assignments.push(assign(service(`svc-${i}`, rand() < LOCAL_SHARE ? 'Local' : 'Cluster'), ips, `pool-${i % POOLS}`));
    made += ips.length;
  }
  const pick = () => names[Math.floor(rand() * names.length)]!;
  return {
    assignments,
    nodes: names.map((n, i) => node(n, { network: uplinks[i] === 'wired' ? 'ethernet' : 'wifi' })),
    pools: Array.from({ length: POOLS }, (_, p) => pool(`pool-${p}`, { half: p % 2 === 0 ? 'all' : 'ethernet' })),
    l2Advertisements: [
      l2adv('everywhere', { ipAddressPoolSelectors: [matchLabels({ half: 'all' })] }),
      l2adv('wired-only', { ipAddressPoolSelectors: [matchLabels({ half: 'ethernet' })], nodeSelectors: [matchLabels({ network: 'ethernet' })], interfaces: ['eth0'] }),
    ],
    endpointSlices: assignments.map((a) => slice(a.service.metadata.name, [{ node: pick() }, { node: pick() }, { node: pick() }])),
    speakers: names.map((n, i): SpeakerFacts => speaker(n, uplinks[i]!, rand() >= 0.02)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Cold run (fresh memo: builds MetalLB's hash order for every VIP), then `runs` warm recomputations
 * with the same memo, each after one random speaker flipped alive/dead (a fresh input object, as an
 * engine would pass after an event), and the cost of one node joining (an incremental memo update).
 */
function measure(vips: number, nodeCount: number, runs: number) {
  let input = buildCluster(vips, nodeCount, 1);
  const memo = new HashOrderMemo();
  let t = performance.now();
  const first = electL2(input, memo);
  const coldMs = performance.now() - t;
  const rand = prng(2);
  const times: number[] = [];
  let moved = 0;
  let previous = new Map(first.map((p) => [p.ip, p.node]));
  for (let r = 0; r < runs; r++) {
    const flip = Math.floor(rand() * input.speakers.length);
    input = { ...input, speakers: input.speakers.map((s, i) => (i === flip ? { ...s, alive: !s.alive } : s)) };
    t = performance.now();
    const plan = electL2(input, memo);
    times.push(performance.now() - t);
    for (const p of plan) if (previous.get(p.ip) !== p.node) moved++;
    previous = new Map(plan.map((p) => [p.ip, p.node]));
  }
  const joiner = speaker('node-joining', 'wired');
  input = { ...input, nodes: [...input.nodes, node(joiner.node, { network: 'ethernet' })], speakers: [...input.speakers, joiner] };
  t = performance.now();
  electL2(input, memo);
  const joinMs = performance.now() - t;
  const elected = first.filter((p) => p.node !== null).length;
  return {
    vips: first.length,
    nodes: nodeCount,
    medianRecomputeMs: round(median(times)),
    minRecomputeMs: round(Math.min(...times)),
    maxRecomputeMs: round(Math.max(...times)),
    coldFirstRunMs: round(coldMs),
    nodeJoinRecomputeMs: round(joinMs),
    electedVips: elected,
    vipMovesOverAllRuns: moved,
  };
}

const runs = Number(process.argv[2] ?? 21);
const large = measure(10_000, 1_000, runs);
const small = measure(1_000, 100, runs);
console.log(
  JSON.stringify({
    benchmark: 'election',
    method:
      `electL2 on a synthetic cluster (20% wired/20% unknown/60% wireless, 2% dead, 10 pools, 10% dual-stack, 10% Local, 3 endpoints per Service); ` +
      `median of ${runs} full recomputations with a warm HashOrderMemo, one speaker flipped alive/dead before each; ` +
      `cold = first run with an empty memo (hashes every node#VIP pair); join = the recomputation after one node joins`,
    inputs: { runs, targetMs: 100, scales: ['10000 VIPs / 1000 nodes', '1000 VIPs / 100 nodes'] },
    result: { large, small, targetMet: large.medianRecomputeMs < 100 },
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  }),
);
