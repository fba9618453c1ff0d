import { networkInterfaces } from 'node:os';
import { cidrToRange, parseCidr, parseIp, rangeContains } from '../../domain/net/ip.js';
import { AirlbError } from '../../errors.js';

/** The interface of this machine to send ARP from, with the address and MAC to put in requests. */
export interface LocalInterface {
  readonly ifname: string;
  readonly ipv4: string;
  readonly mac: string;
}

/**
 * Where this machine meets `target` on the link: the interface whose IPv4 subnet holds it (ARP
 * only works on-link, RFC 826), or the named one. Read with getifaddrs(3) through
 * os.networkInterfaces(), so it is this process's network namespace that counts.
 */
export function localInterfaceFor(target: string, ifname: string | null = null): LocalInterface {
  const ip = parseIp(target);
  if (ip === null || ip.family !== 4) throw new AirlbError('doctor-bad-address', `'${target}' is not an IPv4 address`);
  const candidates: LocalInterface[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    if (ifname !== null && name !== ifname) continue;
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || info.cidr === null) continue;
      const cidr = parseCidr(info.cidr);
      const onLink = cidr !== null && rangeContains(cidrToRange(cidr), ip);
      if (onLink || ifname !== null) candidates.push({ ifname: name, ipv4: info.address, mac: info.mac.toLowerCase() });
      if (onLink) return candidates[candidates.length - 1]!;
    }
  }
  if (candidates[0] !== undefined) return candidates[0];
  throw new AirlbError(
    'doctor-not-on-link',
    ifname === null
      ? `no interface of this machine has an IPv4 subnet holding ${target}: ARP only reaches the local link, so run this on a machine in the same LAN (or give --interface)`
      : `interface ${ifname} has no IPv4 address (or does not exist in this network namespace)`,
  );
}
