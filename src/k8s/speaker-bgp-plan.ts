import { planBgp, peersOfNode } from '../domain/bgp/announcements.js';
import { issueAt } from '../domain/config/issue-builder.js';
import type { BGPPeer, ConfigIssue, ConfigSet } from '../domain/config/types.js';
import { addressOf, type StandaloneBgpPlan } from '../standalone/bgp-plan.js';
import { assignmentsFromStatus, speakersOf } from './speaker-plan.js';

/**
 * The BGP side of a speaker in a cluster, from the cluster state alone (pure), in the shape
 * StandaloneBgp applies. Unlike standalone mode, endpoints are tracked: a Service with no ready
 * endpoint is withdrawn everywhere, and with externalTrafficPolicy Local only nodes holding a
 * ready endpoint of it announce it (planBgp's rule).
 */
export interface SpeakerBgpInput {
  readonly config: ConfigSet;
  readonly node: string;
  readonly loadBalancerClass: string | null;
  /** The speaker's namespace: MetalLB reads passwordSecret there only, and RBAC allows nothing else. */
  readonly namespace: string;
  /** The `password` key of the basic-auth Secrets read so far, by Secret name (speaker namespace). */
  readonly secretPasswords: ReadonlyMap<string, string>;
}

/** A peer with its passwordSecret resolved into spec.password, or the reason it cannot be. */
function resolvePassword(peer: BGPPeer, input: SpeakerBgpInput): BGPPeer | string {
  const ref = peer.spec.passwordSecret;
  if (ref === null) return peer;
  if (ref.namespace !== input.namespace) {
    return `Secret ${ref.namespace}/${ref.name} is outside the speaker's namespace ${input.namespace}: move it there (the speaker may read Secrets of its own namespace only)`;
  }
  const password = input.secretPasswords.get(ref.name);
  if (password === undefined) return `Secret ${ref.namespace}/${ref.name} with a "password" key was not found: create it (type kubernetes.io/basic-auth)`;
  return { ...peer, spec: { ...peer.spec, password } };
}

/**
 * The plan, and the issues of peers left out. A peer whose key cannot be read is left out rather
 * than started unsigned: the router drops segments without the MD5 option it expects (RFC 2385 §2),
 * so such a session would never come up and only hide the cause.
 */
export function speakerBgpPlan(input: SpeakerBgpInput): { readonly plan: StandaloneBgpPlan; readonly issues: readonly ConfigIssue[] } {
  const { config } = input;
  const self = config.nodes.find((n) => n.metadata.name === input.node);
  if (self === undefined) {
    return { plan: { peers: [], bfdProfiles: config.bfdProfiles, announcements: [], nodeAddresses: { v4: null, v6: null } }, issues: [] };
  }
  const issues: ConfigIssue[] = [];
  const peers: BGPPeer[] = [];
  for (const peer of peersOfNode(config.bgpPeers, self)) {
    const resolved = resolvePassword(peer, input);
    if (typeof resolved === 'string') issues.push(issueAt(peer, 'spec.passwordSecret', resolved));
    else peers.push(resolved);
  }
  const announcements = planBgp({
    assignments: assignmentsFromStatus(config.services, config.pools, input.loadBalancerClass),
    nodes: config.nodes,
    pools: config.pools,
    bgpPeers: config.bgpPeers,
    bgpAdvertisements: config.bgpAdvertisements,
    communities: config.communities,
    endpointSlices: config.endpointSlices,
    speakers: speakersOf(config.nodes),
    endpointsTracked: true,
  }).filter((a) => a.node === input.node);
  return {
    plan: { peers, bfdProfiles: config.bfdProfiles, announcements, nodeAddresses: { v4: addressOf(self, 4), v6: addressOf(self, 6) } },
    issues,
  };
}
