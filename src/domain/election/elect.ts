import { AirlbError } from '../../errors.js';
import type { IPAddressPool, L2Advertisement, Node } from '../config/types.js';
import { advertisementsForPool, advertisementsForService, interfacesOn, selectsServices } from './advertisements.js';
import { nodeExclusion, servingEndpointsByService, type ServingEndpoints } from './eligibility.js';
import { electionHash, HashOrderMemo } from './hash-order.js';
import type {
  CandidateVerdict,
  ElectionInput,
  ElectionReason,
  Exclusion,
  L2Announcement,
  L2Explanation,
  ServiceAssignment,
  SpeakerFacts,
  Uplink,
} from './types.js';

/*
 * Who announces which VIP.
 *
 * MetalLB's rule (speaker/layer2_controller.go, ShouldAnnounce): nobody announces a Service with no
 * endpoint that can serve; otherwise the candidates are the live speakers whose node passes
 * speakersForPool (see eligibility.ts) for the L2Advertisements that cover its pool and select
 * the Service (serviceSelectors, see advertisements.ts), narrowed under externalTrafficPolicy Local
 * to nodes hosting a serving endpoint, sorted by sha256(node + "#" + firstIP) ascending; the first
 * announces every IP of the Service, so both VIPs of a dual-stack Service stay on one node.
 *
 * airlb sorts by a tier first and by MetalLB's hash within a tier: wired uplinks, then unknown, then
 * wireless, and any node whose announcement of one of the Service's VIPs failed verification after
 * all of those. With every uplink 'unknown' and no failures this is exactly MetalLB's election, and
 * like MetalLB's it is stateless: a VIP moves only when its winner stops being a candidate or a
 * candidate of a better tier appears; any other node coming or going changes nothing.
 */

const UPLINK_TIER: Readonly<Record<Uplink, number>> = { wired: 0, unknown: 1, wireless: 2 };
/** Added to the uplink tier of a node that failed verification: it ranks after every healthy node. */
const FAILED_TIER_OFFSET = 3;
const NO_TIER = 255;

/** The L2Advertisements covering one pool, and whether any of them narrows by Service. */
interface PoolAdvertisements {
  readonly advertisements: readonly L2Advertisement[];
  readonly selective: boolean;
}

/** The candidate table for one set of advertisements: a pool's, or the part of it a Service selects. */
interface PoolView {
  readonly advertisements: readonly L2Advertisement[];
  /** Per node id: 1 + uplink tier for a candidate, 0 for an excluded node. */
  readonly tierPlusOne: Uint8Array;
  /** Lowest uplink tier among the candidates (NO_TIER when there are none). */
  readonly bestTier: number;
  readonly interfaces: Map<number, { readonly allInterfaces: boolean; readonly interfaces: readonly string[] }>;
}

interface Context {
  readonly memo: HashOrderMemo;
  readonly speakers: readonly (SpeakerFacts | undefined)[];
  readonly speakersByName: ReadonlyMap<string, SpeakerFacts>;
  readonly nodesByName: ReadonlyMap<string, Node>;
  readonly poolsByName: ReadonlyMap<string, IPAddressPool>;
  readonly serving: ReadonlyMap<string, ServingEndpoints>;
  readonly poolAdvertisements: Map<string, PoolAdvertisements>;
  /** Keyed by pool, plus the indices of the Service's advertisements when the pool's narrow by Service. */
  readonly poolViews: Map<string, PoolView>;
  readonly input: ElectionInput;
}

function serviceKey(a: ServiceAssignment): string {
  return `${a.service.metadata.namespace}/${a.service.metadata.name}`;
}

function prepare(input: ElectionInput, memo: HashOrderMemo): Context {
  const liveIps = new Set<string>();
  for (const a of input.assignments) if (a.ips.length > 0) liveIps.add(a.ips[0]!);
  memo.prune(input.speakers.length, liveIps);
  const speakersByName = new Map<string, SpeakerFacts>();
  for (const s of input.speakers) speakersByName.set(s.node, s);
  const speakers: (SpeakerFacts | undefined)[] = [];
  for (const s of speakersByName.values()) speakers[memo.idOf(s.node)] = s;
  return {
    memo,
    speakers,
    speakersByName,
    nodesByName: new Map(input.nodes.map((n) => [n.metadata.name, n])),
    poolsByName: new Map(input.pools.map((p) => [p.metadata.name, p])),
    serving: servingEndpointsByService(input.endpointSlices),
    poolAdvertisements: new Map(),
    poolViews: new Map(),
    input,
  };
}

function advertisementsOfPool(ctx: Context, poolName: string): PoolAdvertisements {
  let found = ctx.poolAdvertisements.get(poolName);
  if (found === undefined) {
    const advertisements = advertisementsForPool(poolName, ctx.poolsByName.get(poolName), ctx.input.l2Advertisements);
    found = { advertisements, selective: advertisements.some(selectsServices) };
    ctx.poolAdvertisements.set(poolName, found);
  }
  return found;
}

/**
 * The candidate table of the advertisements that apply to the Service: its pool's, narrowed by
 * their serviceSelectors. Computed once per distinct set of advertisements per election, so
 * Services whose pool's advertisements select no Service share the pool's table, as before
 * serviceSelectors existed, and a pool split by selectors costs one table per split.
 */
function viewFor(ctx: Context, a: ServiceAssignment): PoolView {
  const ofPool = advertisementsOfPool(ctx, a.pool);
  let key = a.pool;
  let advertisements = ofPool.advertisements;
  if (ofPool.selective) {
    advertisements = advertisementsForService(a.service, ofPool.advertisements);
    key = `${a.pool}\u0000${advertisements.map((adv) => ofPool.advertisements.indexOf(adv)).join(',')}`;
  }
  const cached = ctx.poolViews.get(key);
  if (cached !== undefined) return cached;
  const tierPlusOne = new Uint8Array(ctx.memo.nodeCount);
  let bestTier = NO_TIER;
  if (advertisements.length > 0) {
    for (let id = 0; id < ctx.speakers.length; id++) {
      const speaker = ctx.speakers[id];
      if (speaker === undefined) continue;
      if (nodeExclusion(speaker, ctx.nodesByName.get(speaker.node), advertisements) !== null) continue;
      const tier = UPLINK_TIER[speaker.uplink];
      tierPlusOne[id] = tier + 1;
      if (tier < bestTier) bestTier = tier;
    }
  }
  const view: PoolView = { advertisements, tierPlusOne, bestTier, interfaces: new Map() };
  ctx.poolViews.set(key, view);
  return view;
}

function failedAny(speaker: SpeakerFacts, ips: readonly string[]): boolean {
  if (speaker.verificationFailed.size === 0) return false;
  return ips.some((ip) => speaker.verificationFailed.has(ip));
}

/** The winning node id for one Service, or the reason there is none. */
function electOne(ctx: Context, a: ServiceAssignment, view: PoolView): number | ElectionReason {
  const serving = ctx.input.endpointsTracked === false ? undefined : ctx.serving.get(serviceKey(a));
  if (ctx.input.endpointsTracked !== false && (serving === undefined || !serving.any)) return 'no-serving-endpoint';
  if (view.advertisements.length === 0) return 'no-l2-advertisement';
  const { tierPlusOne } = view;
  let allowed: ((id: number) => boolean) | null = null;
  let floor = view.bestTier;
  if (serving !== undefined && a.service.spec.externalTrafficPolicy === 'Local') {
    // Local: only nodes with a serving endpoint. The set is usually small, so find its best tier
    // directly and test membership by id while walking the order.
    const local = new Set<number>();
    floor = NO_TIER;
    for (const name of serving.nodes) {
      const speaker = ctx.speakersByName.get(name);
      if (speaker === undefined) continue;
      const id = ctx.memo.idOf(name);
      const t = tierPlusOne[id] ?? 0;
      if (t === 0) continue;
      local.add(id);
      if (t - 1 < floor) floor = t - 1;
    }
    allowed = (id) => local.has(id);
  }
  if (floor === NO_TIER) return 'no-eligible-node';
  // Walk MetalLB's order; the first candidate of the lowest tier wins. `floor` is the best tier any
  // candidate can have, so the walk stops at the first candidate reaching it — usually early.
  const order = ctx.memo.orderFor(a.ips[0]!);
  let best = -1;
  let bestTier = NO_TIER;
  for (let i = 0; i < order.length; i++) {
    const id = order[i]!;
    const t = tierPlusOne[id] ?? 0;
    if (t === 0 || (allowed !== null && !allowed(id))) continue;
    const tier = failedAny(ctx.speakers[id]!, a.ips) ? t - 1 + FAILED_TIER_OFFSET : t - 1;
    if (tier < bestTier) {
      best = id;
      bestTier = tier;
      if (tier === floor) break;
    }
  }
  return best;
}

function announcements(
  a: ServiceAssignment,
  node: string | null,
  ifaces: { readonly allInterfaces: boolean; readonly interfaces: readonly string[] },
  reason: ElectionReason,
): L2Announcement[] {
  const service = serviceKey(a);
  return a.ips.map((ip) => ({ ip, service, pool: a.pool, node, ...ifaces, reason }));
}

const NO_INTERFACES = { allInterfaces: false, interfaces: [] } as const;

/** The Service's announcements for a winner id or a reason; interfaces are computed once per pool and node. */
function announcementsFor(ctx: Context, a: ServiceAssignment, view: PoolView, winner: number | ElectionReason): L2Announcement[] {
  if (typeof winner === 'string') return announcements(a, null, NO_INTERFACES, winner);
  const name = ctx.memo.nameOf(winner);
  let ifaces = view.interfaces.get(winner);
  if (ifaces === undefined) {
    ifaces = interfacesOn(view.advertisements, ctx.nodesByName.get(name)!);
    view.interfaces.set(winner, ifaces);
  }
  return announcements(a, name, ifaces, 'elected');
}

/**
 * The announcement plan: for every VIP of every assignment, the announcing node (or null and why)
 * and the interfaces it announces on. Pure; `memo` only caches MetalLB's hash order between calls
 * (pass the same one to every recomputation; see HashOrderMemo).
 */
export function electL2(input: ElectionInput, memo: HashOrderMemo = new HashOrderMemo()): L2Announcement[] {
  const ctx = prepare(input, memo);
  const out: L2Announcement[] = [];
  for (const a of input.assignments) {
    if (a.ips.length === 0) continue;
    const view = viewFor(ctx, a);
    out.push(...announcementsFor(ctx, a, view, electOne(ctx, a, view)));
  }
  return out;
}

interface Ranked {
  readonly verdict: Omit<CandidateVerdict, 'rank'>;
  readonly tier: number;
  readonly digest: Buffer;
}

/**
 * One VIP's election with every known node's verdict (speakers and Nodes alike): the ranked
 * candidates in order (rank 1 announces when the reason is 'elected'), then the excluded nodes by
 * name with the first check they failed. Slower than electL2 (it hashes every node); meant for one
 * VIP at a time (`airlb plan` details, status, debugging). Throws when no assignment holds `ip`.
 */
export function explainL2(input: ElectionInput, ip: string, memo: HashOrderMemo = new HashOrderMemo()): L2Explanation {
  const a = input.assignments.find((x) => x.ips.includes(ip));
  if (a === undefined) {
    throw new AirlbError('election-unknown-vip', `no Service is assigned ${ip}; check the allocation (airlb plan) for the VIPs in use`);
  }
  const ctx = prepare(input, memo);
  const view = viewFor(ctx, a);
  const winner = electOne(ctx, a, view);
  const serving = ctx.serving.get(serviceKey(a));
  const local = ctx.input.endpointsTracked !== false && a.service.spec.externalTrafficPolicy === 'Local';
  const names = new Set([...ctx.speakersByName.keys(), ...ctx.nodesByName.keys()]);
  const ranked: Ranked[] = [];
  const excluded: CandidateVerdict[] = [];
  for (const name of [...names].sort()) {
    const speaker = ctx.speakersByName.get(name);
    let exclusion: Exclusion | null = nodeExclusion(speaker, ctx.nodesByName.get(name), view.advertisements);
    if (exclusion === null && local && serving?.nodes.has(name) !== true) exclusion = 'no-local-endpoint';
    const digest = electionHash(name, a.ips[0]!);
    const uplink = speaker?.uplink ?? 'unknown';
    const verificationFailed = speaker !== undefined && failedAny(speaker, a.ips);
    const verdict = { node: name, excluded: exclusion, uplink, verificationFailed, hash: digest.toString('hex') };
    if (exclusion !== null) {
      excluded.push({ ...verdict, rank: null });
      continue;
    }
    const tier = UPLINK_TIER[uplink] + (verificationFailed ? FAILED_TIER_OFFSET : 0);
    ranked.push({ verdict, tier, digest });
  }
  ranked.sort((x, y) => x.tier - y.tier || Buffer.compare(x.digest, y.digest));
  const candidates = [...ranked.map((r, i) => ({ ...r.verdict, rank: i + 1 })), ...excluded];
  const [announcement] = announcementsFor(ctx, a, view, winner).filter((x) => x.ip === ip);
  return { ...announcement!, candidates };
}
