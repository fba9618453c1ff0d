import {
  ErrorCode,
  IPV4_UNICAST,
  OpenSubcode,
  CapabilityCode,
  openAsn,
  sameFamily,
  type AfiSafi,
  type NotificationFields,
  type OpenMessage,
} from '../../proto/bgp/index.js';

/**
 * What the local speaker offers in its OPEN and expects of the peer's, and what the two OPENs
 * agree on (RFC 4271 §4.2, §6.2; RFC 5492; RFC 6793; RFC 4760; RFC 2918; RFC 4724).
 */

export interface LocalOpenParams {
  readonly localAsn: number;
  /** The peer's AS, or MetalLB's dynamicASN: 'internal' (same AS) / 'external' (any other AS). */
  readonly peerAsn: number | 'internal' | 'external';
  readonly bgpId: number;
  /** Seconds: 0 (no keepalives, no hold timer) or at least 3. */
  readonly holdTimeS: number;
  /** Seconds between KEEPALIVEs, or null for a third of the negotiated hold time. */
  readonly keepaliveS: number | null;
  /** The families offered with the Multiprotocol capability (RFC 4760 §8). */
  readonly families: readonly AfiSafi[];
  /** Seconds the peer should keep our routes while we restart, or null for no Graceful Restart. */
  readonly gracefulRestartS: number | null;
}

export interface Negotiated {
  readonly peerAsn: number;
  readonly peerBgpId: number;
  readonly ebgp: boolean;
  /** Seconds; 0 means neither side runs a hold timer nor sends KEEPALIVEs (§4.4). */
  readonly holdTimeS: number;
  readonly keepaliveS: number;
  /** Families both sides announced; IPv4 unicast alone when the peer sent no Multiprotocol capability (RFC 4760 §8). */
  readonly families: readonly AfiSafi[];
  /** Both sides sent the 4-octet AS capability (airlb always does, RFC 6793 §3). */
  readonly fourOctetAs: boolean;
  readonly routeRefresh: boolean;
  readonly gracefulRestart: boolean;
}

export type Negotiation = { readonly ok: true; readonly negotiated: Negotiated } | { readonly ok: false; readonly reason: string; readonly notification: NotificationFields };

function refuse(reason: string, subcode: number, data: Buffer = Buffer.alloc(0)): Negotiation {
  return { ok: false, reason, notification: { code: ErrorCode.openMessage, subcode, data } };
}

/** One Multiprotocol capability as it sits in an OPEN (RFC 4760 §8: code, length 4, AFI, reserved, SAFI). */
function multiprotocolCapability(family: AfiSafi): Buffer {
  const b = Buffer.from([CapabilityCode.multiprotocol, 4, 0, 0, 0, family.safi]);
  b.writeUInt16BE(family.afi, 2);
  return b;
}

function myAsField(open: OpenMessage): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(open.myAs, 0);
  return b;
}

/** Checks the peer's OPEN against the local parameters and derives the session's parameters. */
export function negotiate(local: LocalOpenParams, open: OpenMessage): Negotiation {
  const peerAsn = openAsn(open);
  const expected = local.peerAsn;
  // §6.2 Bad Peer AS: data is the My Autonomous System field as received.
  if (typeof expected === 'number' && peerAsn !== expected) return refuse(`peer says AS ${peerAsn}, configured peerASN is ${expected}`, OpenSubcode.badPeerAs, myAsField(open));
  if (expected === 'internal' && peerAsn !== local.localAsn) return refuse(`peer says AS ${peerAsn}, dynamicASN internal expects ${local.localAsn}`, OpenSubcode.badPeerAs, myAsField(open));
  if (expected === 'external' && peerAsn === local.localAsn) return refuse(`peer says AS ${peerAsn}, dynamicASN external expects any other AS`, OpenSubcode.badPeerAs, myAsField(open));
  const ebgp = peerAsn !== local.localAsn;
  // RFC 6286 §2.2: inside one AS the BGP Identifiers must differ.
  if (!ebgp && open.bgpId === local.bgpId) {
    const data = Buffer.alloc(4);
    data.writeUInt32BE(open.bgpId, 0);
    return refuse('peer uses our own BGP Identifier inside the same AS', OpenSubcode.badBgpIdentifier, data);
  }

  const theirs = open.capabilities.multiprotocol.length === 0 ? [IPV4_UNICAST] : open.capabilities.multiprotocol;
  const families = local.families.filter((f) => theirs.some((t) => sameFamily(t, f)));
  if (families.length === 0) {
    // RFC 5492 §5: Unsupported Capability, data is the capability we needed and the peer lacks.
    const needed = Buffer.concat(local.families.map(multiprotocolCapability));
    return refuse(`no address family in common (we offer AFI/SAFI ${local.families.map((f) => `${f.afi}/${f.safi}`).join(', ')})`, OpenSubcode.unsupportedCapability, needed);
  }

  // §4.2: the smaller hold time; the decoder already refused 1 and 2 seconds.
  const holdTimeS = Math.min(local.holdTimeS, open.holdTime);
  return {
    ok: true,
    negotiated: {
      peerAsn,
      peerBgpId: open.bgpId,
      ebgp,
      holdTimeS,
      keepaliveS: keepaliveFor(holdTimeS, local.keepaliveS),
      families,
      fourOctetAs: open.capabilities.fourOctetAs !== null,
      routeRefresh: open.capabilities.routeRefresh,
      gracefulRestart: local.gracefulRestartS !== null && open.capabilities.gracefulRestart !== null,
    },
  };
}

/**
 * §4.4 / §10: a configured keepalive interval is used when it is shorter than the negotiated hold
 * time (the peer may have lowered it below what was configured); otherwise one third of it.
 */
export function keepaliveFor(holdTimeS: number, configuredS: number | null): number {
  if (holdTimeS === 0) return 0;
  if (configuredS !== null && configuredS > 0 && configuredS < holdTimeS) return configuredS;
  return Math.max(1, Math.floor(holdTimeS / 3));
}

