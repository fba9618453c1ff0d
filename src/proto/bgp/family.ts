import type { IpFamily } from '../../domain/net/ip.js';

/** Address Family Identifiers (IANA, used by RFC 4760) and the one SAFI airlb speaks. */
export const Afi = { ipv4: 1, ipv6: 2 } as const;
export const Safi = { unicast: 1 } as const;

/** An AFI/SAFI pair as it appears in capabilities, MP_REACH/MP_UNREACH and ROUTE-REFRESH. */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export const IPV4_UNICAST: AfiSafi = { afi: Afi.ipv4, safi: Safi.unicast };
export const IPV6_UNICAST: AfiSafi = { afi: Afi.ipv6, safi: Safi.unicast };

/** The IP family of a unicast AFI/SAFI, or null for anything airlb cannot parse NLRI of. */
export function ipFamilyOf(family: AfiSafi): IpFamily | null {
  if (family.safi !== Safi.unicast) return null;
  if (family.afi === Afi.ipv4) return 4;
  if (family.afi === Afi.ipv6) return 6;
  return null;
}

export function sameFamily(a: AfiSafi, b: AfiSafi): boolean {
  return a.afi === b.afi && a.safi === b.safi;
}
