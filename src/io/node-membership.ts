import { networkInterfaces } from 'node:os';
import type { ConfigSet, Node } from '../domain/config/types.js';
import { assumedSpeakers } from '../domain/election/speakers.js';
import { ownAddress } from '../domain/membership/peers.js';
import type { ControlPlaneView } from '../domain/membership/view.js';
import type { Logger } from './logger.js';
import { MembershipRuntime, type MembershipRuntimeOptions } from './membership-runtime.js';
import { openProbeLink, type ProbeLink } from './probe-link.js';

/**
 * Multi-node membership for a speaker, set up from the Node objects alone: when this node and at
 * least one other publish an InternalIP, BFD + status messages run on this node's InternalIP, and
 * verification probes go out of the interface holding it. With a single Node, or no address for
 * this one, there is nobody to watch: the caller keeps assuming every node alive, as before.
 */

export interface NodeMembership {
  readonly runtime: MembershipRuntime;
  readonly probe: ProbeLink;
  close(): void;
}

export interface NodeMembershipOptions {
  readonly self: string;
  readonly nodes: readonly Node[];
  readonly logger: Logger;
  readonly controlPlane: ControlPlaneView;
  readonly onChange: () => void;
  /** The VIPs this node answers for now, published to the peers (MembershipRuntimeOptions.claimed). */
  readonly claimed?: () => Iterable<string>;
  /** Timers and ports for tests; production leaves them out. */
  readonly tuning?: Partial<Pick<MembershipRuntimeOptions, 'startupGraceMs' | 'hold' | 'verification' | 'bfd' | 'statusKey'>>;
}

/**
 * The MACs of this host's interfaces that have an address: the engine answers with the MAC of
 * whichever interface a VIP is announced on, so each is a MAC the peers may see in a reply.
 */
function hostMacs(): string[] {
  const macs = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal && a.mac !== '00:00:00:00:00:00') macs.add(a.mac.toLowerCase());
  }
  return [...macs].sort();
}

/** Whether the Node objects call for membership: this node and another one publish an InternalIP. */
export function wantsMembership(self: string, nodes: readonly Node[]): boolean {
  const me = nodes.find((n) => n.metadata.name === self);
  if (me === undefined || ownAddress(me) === null) return false;
  return nodes.some((n) => n.metadata.name !== self && ownAddress(n) !== null);
}

/**
 * Why a speaker runs no membership for this configuration, or null when it should:
 * - no-peers: wantsMembership is false (one Node, or no InternalIP for this one);
 * - no-l2-advertisement: membership elects Layer 2 owners, and nothing is announced in Layer 2.
 * BGPPeers with a BFDProfile are no reason: their BFD sessions and membership's share the
 * process's listener on UDP 3784 (src/io/bfd-listener.ts).
 */
export type MembershipSkip = 'no-peers' | 'no-l2-advertisement';

export function membershipSkip(self: string, config: Pick<ConfigSet, 'nodes' | 'l2Advertisements'>): MembershipSkip | null {
  if (!wantsMembership(self, config.nodes)) return 'no-peers';
  if (config.l2Advertisements.length === 0) return 'no-l2-advertisement';
  return null;
}

/** Starts membership (call only when membershipSkip is null); feed later Node changes to runtime.setNodes. */
export async function startNodeMembership(o: NodeMembershipOptions): Promise<NodeMembership> {
  const me = o.nodes.find((n) => n.metadata.name === o.self)!;
  const localAddress = ownAddress(me)!;
  const log = o.logger.child({ component: 'membership' });
  let runtime: MembershipRuntime | null = null;
  const probe = openProbeLink({
    localAddress,
    onReply: (ip, mac) => runtime?.probeReply(ip, mac),
    onWarning: (message, fields) => log.warn(message, fields),
  });
  try {
    runtime = await MembershipRuntime.start({
      self: o.self,
      localAddress,
      logger: o.logger,
      controlPlane: o.controlPlane,
      wireless: assumedSpeakers([me])[0]!.uplink === 'wireless',
      macs: hostMacs,
      sendProbe: (t) => probe.send(t.ip),
      onChange: o.onChange,
      ...(o.claimed === undefined ? {} : { claimed: o.claimed }),
      ...o.tuning,
    });
  } catch (err) {
    probe.close();
    throw err;
  }
  await runtime.setNodes(o.nodes);
  log.info('multi-node membership started', { address: localAddress, interface: probe.ifname, peers: o.nodes.length - 1 });
  const started = runtime;
  return {
    runtime: started,
    probe,
    close: () => {
      started.close();
      probe.close();
    },
  };
}
