/**
 * Connection collision resolution (RFC 4271 §6.8): when both speakers opened a TCP connection to
 * each other, the BGP Identifiers decide which one survives. If the local Identifier is lower,
 * the connection the local system initiated is closed and the one the remote system initiated
 * is kept; otherwise the other way round. Identifiers compare as unsigned 32-bit integers.
 *
 * Equal Identifiers are only legal between different ASes (RFC 6286 §2.3): then the connection
 * initiated by the speaker with the larger AS number is kept.
 */
export type ConnectionDirection = 'outgoing' | 'incoming';

export function collisionSurvivor(local: { bgpId: number; asn: number }, remote: { bgpId: number; asn: number }): ConnectionDirection {
  if (local.bgpId !== remote.bgpId) return local.bgpId < remote.bgpId ? 'incoming' : 'outgoing';
  return local.asn > remote.asn ? 'outgoing' : 'incoming';
}
