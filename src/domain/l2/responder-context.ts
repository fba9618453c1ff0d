import { AirlbError } from '../../errors.js';
import { canonicalIp } from '../net/ip.js';

/**
 * What the responder needs to know to answer a neighbour query: which VIPs this node answers for
 * on which interface, and which MACs are its own (to ignore its own frames). Built once per change
 * of ownership, read for every received frame, so lookups are precomputed.
 *
 * Addresses are compared as canonical text (formatIp: dotted quad, RFC 5952 for IPv6) and MACs as
 * lowercase colon-separated hex; the codecs produce exactly these forms.
 */
export interface ResponderInterface {
  readonly ifname: string;
  /** The interface's own MAC: a WiFi station can only send with it (DESIGN §1). */
  readonly mac: string;
  /** VIPs this node currently answers for on this interface (claimed, not probing, not released). */
  readonly vips: readonly string[];
}

export interface ResponderContext {
  /** ifname → its MAC and the VIPs answered there. */
  readonly interfaces: ReadonlyMap<string, { readonly mac: string; readonly vips: ReadonlySet<string> }>;
  /** Every MAC of this node, including interfaces that answer for nothing. */
  readonly ownMacs: ReadonlySet<string>;
  /** Every VIP answered on at least one interface. */
  readonly ownedAnywhere: ReadonlySet<string>;
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function normalizeMac(text: string): string {
  const mac = text.toLowerCase();
  if (!macPattern.test(mac)) {
    throw new AirlbError('l2-bad-mac', `'${text}' is not a MAC address; expected six hex octets like 02:a1:00:00:00:01`);
  }
  return mac;
}

export function buildResponderContext(interfaces: readonly ResponderInterface[]): ResponderContext {
  const byName = new Map<string, { mac: string; vips: ReadonlySet<string> }>();
  const ownMacs = new Set<string>();
  const ownedAnywhere = new Set<string>();
  for (const iface of interfaces) {
    if (byName.has(iface.ifname)) {
      throw new AirlbError('l2-duplicate-interface', `interface ${iface.ifname} is listed twice in the responder context`);
    }
    const mac = normalizeMac(iface.mac);
    const vips = new Set<string>();
    for (const text of iface.vips) {
      const vip = canonicalIp(text);
      if (vip === null) throw new AirlbError('l2-bad-vip', `'${text}' on ${iface.ifname} is not an IP address`);
      vips.add(vip);
      ownedAnywhere.add(vip);
    }
    byName.set(iface.ifname, { mac, vips });
    ownMacs.add(mac);
  }
  return { interfaces: byName, ownMacs, ownedAnywhere };
}
