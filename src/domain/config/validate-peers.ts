import { parseIp } from '../net/ip.js';
import { checkSelectors, issueAt, known } from './issue-builder.js';
import type { BGPPeer, ConfigIssue, ConfigSet } from './types.js';

const maxAsn16 = 0xffff;
const maxAsn32 = 0xffffffff;
// MetalLB's CRD caps peerPort at 16384 (+kubebuilder:validation:Maximum).
const maxPeerPort = 16384;

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function checkAsn(peer: BGPPeer, field: 'myASN' | 'peerASN', value: number, issues: ConfigIssue[]): void {
  // v1beta1 BGPPeer predates 4-byte ASNs in MetalLB's schema (its CRD says Maximum=65535).
  const max = peer.apiVersion.endsWith('/v1beta1') ? maxAsn16 : maxAsn32;
  if (value < 0 || value > max) {
    const hint = max === maxAsn16 ? '; 4-byte ASNs (RFC 6793) need apiVersion metallb.io/v1beta2' : '';
    issues.push(issueAt(peer, `spec.${field}`, `${field} ${value} is out of range 1-${max}${hint}`));
  }
}

/**
 * The session timers, as MetalLB derives them: a missing holdTime is three keepalives, a missing
 * keepaliveTime a third of holdTime (RFC 4271 §10's suggestion). The hold time, counted in whole
 * seconds, must be 0 (no keepalives) or at least 3 s (RFC 4271 §4.2), and a keepalive longer than
 * the hold time would let the session expire between keepalives.
 */
function checkTimers(peer: BGPPeer, issues: ConfigIssue[]): void {
  const { holdTimeMs, keepaliveTimeMs, connectTimeMs } = peer.spec;
  for (const [field, value] of [['holdTime', holdTimeMs], ['keepaliveTime', keepaliveTimeMs], ['connectTime', connectTimeMs]] as const) {
    if (value !== null && value < 0) issues.push(issueAt(peer, `spec.${field}`, `${field} ${formatMs(value)} is negative; timers count forward`));
  }
  if (connectTimeMs !== null && connectTimeMs >= 0 && (connectTimeMs < 1000 || connectTimeMs > 65535_000 || connectTimeMs % 1000 !== 0)) {
    issues.push(issueAt(peer, 'spec.connectTime', `connectTime ${formatMs(connectTimeMs)} must be a whole number of seconds from 1s to 65535s`));
  }
  if (holdTimeMs === null && keepaliveTimeMs === null) return;
  const hold = holdTimeMs ?? keepaliveTimeMs! * 3;
  const keepalive = keepaliveTimeMs ?? hold / 3;
  if (hold < 0 || keepalive < 0) return;
  const holdSeconds = Math.floor(hold / 1000);
  if (holdSeconds !== 0 && holdSeconds < 3) {
    const path = holdTimeMs !== null ? 'spec.holdTime' : 'spec.keepaliveTime';
    const what = holdTimeMs !== null ? `holdTime ${formatMs(hold)}` : `keepaliveTime ${formatMs(keepalive)} implies holdTime ${formatMs(hold)}, which`;
    issues.push(issueAt(peer, path, `${what} is too short: the hold time must be 0 (no keepalives) or at least 3s (RFC 4271 §4.2)`));
  }
  if (keepalive > hold) {
    issues.push(
      issueAt(peer, 'spec.keepaliveTime', `keepaliveTime ${formatMs(keepalive)} is longer than holdTime ${formatMs(hold)}, so the session would expire between keepalives; use at most a third of holdTime (RFC 4271 §10)`),
    );
  }
}

/**
 * MetalLB's rule (api/v1beta2 BGPPeerSpec): the router is named by exactly one of peerAddress
 * and interface (unnumbered peering, v1beta2 only).
 */
function checkPeerIdentity(peer: BGPPeer, issues: ConfigIssue[]): void {
  const s = peer.spec;
  if (s.interface !== undefined && s.peerAddress !== '') {
    issues.push(issueAt(peer, 'spec.interface', 'peerAddress and interface are both set; keep only one: peerAddress for a router at a known address, interface for unnumbered peering'));
  } else if (s.interface === undefined && s.peerAddress === '') {
    // v1beta1's schema already requires peerAddress; this is the v1beta2 case (or an empty string).
    const alternative = peer.apiVersion.endsWith('/v1beta1') ? '' : ', or interface for unnumbered peering';
    issues.push(issueAt(peer, 'spec.peerAddress', `peerAddress is missing; set the router's IP address${alternative}`));
  }
}

function checkAddress(peer: BGPPeer, field: 'peerAddress' | 'sourceAddress', value: string | null, issues: ConfigIssue[]): void {
  // An empty peerAddress is checkPeerIdentity's issue.
  if (value === null || value === '' || parseIp(value) !== null) return;
  issues.push(issueAt(peer, `spec.${field}`, `"${value}" is not an IP address; write an IPv4 or IPv6 address without a prefix length or port`));
}

/** BGPPeer rules: ASNs, addresses, timers, authentication and BFD profile references. */
export function validatePeers(config: ConfigSet, issues: ConfigIssue[]): void {
  const bfdNames = new Set(config.bfdProfiles.map((p) => p.metadata.name));
  for (const peer of config.bgpPeers) {
    const s = peer.spec;
    if (s.myASN === 0 && peer.origin.fieldLines.has('spec.myASN')) {
      issues.push(issueAt(peer, 'spec.myASN', 'myASN is 0, a reserved AS number (RFC 7607); set your own AS, e.g. one from the private range 64512-65534 (RFC 6996)'));
    } else checkAsn(peer, 'myASN', s.myASN, issues);
    checkAsn(peer, 'peerASN', s.peerASN, issues);
    if (s.dynamicASN !== null && s.peerASN !== 0) {
      issues.push(issueAt(peer, 'spec.dynamicASN', 'peerASN and dynamicASN are both set; keep only one'));
    } else if (s.dynamicASN === null && s.peerASN === 0) {
      const zero = peer.origin.fieldLines.has('spec.peerASN') ? 'peerASN is 0, a reserved AS number (RFC 7607)' : 'peerASN is missing';
      issues.push(issueAt(peer, 'spec.peerASN', `${zero}; set the router's AS number, or dynamicASN: internal|external`));
    }
    if (s.ebgpMultiHop && s.peerASN !== 0 && s.peerASN === s.myASN) {
      issues.push(issueAt(peer, 'spec.ebgpMultiHop', `ebgpMultiHop is for eBGP, but myASN equals peerASN (${s.myASN}), which makes this iBGP; remove ebgpMultiHop`));
    }
    checkPeerIdentity(peer, issues);
    checkAddress(peer, 'peerAddress', s.peerAddress, issues);
    checkAddress(peer, 'sourceAddress', s.sourceAddress, issues);
    if (s.routerID !== null && parseIp(s.routerID)?.family !== 4) {
      issues.push(issueAt(peer, 'spec.routerID', `routerID "${s.routerID}" must be written as an IPv4 address: the BGP Identifier is 4 octets (RFC 4271 §4.2, RFC 6286)`));
    }
    if (peer.origin.fieldLines.has('spec.peerPort') && (s.peerPort < 1 || s.peerPort > maxPeerPort)) {
      issues.push(issueAt(peer, 'spec.peerPort', `peerPort ${s.peerPort} is out of range 1-${maxPeerPort}; BGP's own port is 179`));
    }
    checkTimers(peer, issues);
    if (s.password !== null && s.password !== '' && s.passwordSecret !== null) {
      issues.push(issueAt(peer, 'spec.passwordSecret', 'password and passwordSecret are both set; keep only one'));
    }
    if (s.password !== null && /[\r\n]/.test(s.password)) {
      issues.push(issueAt(peer, 'spec.password', 'the password contains a line break; remove it (a YAML block scalar adds one: use "|-")'));
    }
    if (s.bfdProfile !== null && s.bfdProfile !== '' && !bfdNames.has(s.bfdProfile)) {
      issues.push(issueAt(peer, 'spec.bfdProfile', `no BFDProfile named "${s.bfdProfile}"${known(bfdNames)}; define it or fix the name`));
    }
    checkSelectors(peer, 'spec.nodeSelectors', s.nodeSelectors, issues);
  }
}
