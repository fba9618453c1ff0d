import type { RouterModel, RouterSession } from './model.js';
import { identifier } from './model.js';

function prefixLists(s: RouterSession): string[] {
  const name = `AIRLB-${identifier(s.peer)}`;
  const keyword = s.family === 4 ? 'ip' : 'ipv6';
  if (s.accepted.length === 0) return [`${keyword} prefix-list ${name} seq 5 deny any`];
  return s.accepted.map((a, i) => `${keyword} prefix-list ${name} seq ${(i + 1) * 5} permit ${a.prefix}${a.length === Number(a.prefix.split('/')[1]) ? '' : ` ge ${a.length} le ${a.length}`}`);
}

/**
 * FRR configuration (frr.conf / vtysh): one `router bgp` for the router's AS, one neighbour per
 * node in a peer group per BGPPeer, route-maps that accept only the pools' prefixes and send the
 * nodes nothing, and `maximum-paths` so traffic is spread over every announcing node (ECMP).
 */
export function renderFrr(model: RouterModel, header: string): string {
  const lines = [...header.split('\n').map((l) => `! ${l}`.trimEnd()), '!', 'frr defaults traditional', '!'];
  const byAs = new Map<number, RouterSession[]>();
  for (const s of model.sessions) byAs.set(s.localAs, [...(byAs.get(s.localAs) ?? []), s]);
  for (const s of model.sessions) lines.push(...prefixLists(s));
  for (const s of model.sessions) {
    const name = `AIRLB-${identifier(s.peer)}`;
    lines.push(`route-map ${name}-IN permit 10`, ` match ${s.family === 4 ? 'ip' : 'ipv6'} address prefix-list ${name}`, 'exit', `route-map ${name}-OUT deny 10`, 'exit');
  }
  lines.push('!');
  if (model.sessions.some((s) => s.bfd !== null)) {
    const profile = model.sessions.find((s) => s.bfd !== null)!.bfd!;
    lines.push(
      'bfd',
      ` profile ${identifier(profile.metadata.name)}`,
      `  receive-interval ${profile.spec.receiveIntervalMs}`,
      `  transmit-interval ${profile.spec.transmitIntervalMs}`,
      `  detect-multiplier ${profile.spec.detectMultiplier}`,
      ...(profile.spec.passiveMode ? ['  passive-mode'] : []),
      ' exit',
      'exit',
      '!',
    );
  }
  for (const [as, sessions] of byAs) {
    const v4 = sessions.find((s) => s.family === 4);
    lines.push(`router bgp ${as}`, ...(v4 ? [` bgp router-id ${v4.routerAddress}`] : []));
    for (const s of sessions) {
      const group = `AIRLB-${identifier(s.peer)}`;
      lines.push(
        ` neighbor ${group} peer-group`,
        ` neighbor ${group} remote-as ${s.neighbours[0]?.remoteAs ?? s.localAs}`,
        ...(s.password !== null ? [` neighbor ${group} password ${s.password}`] : []),
        ...(s.passwordSecret !== null ? [` ! password: the value of Secret ${s.passwordSecret}`] : []),
        ...(s.multihop ? [` neighbor ${group} ebgp-multihop 255`] : []),
        ...(s.holdTimeSeconds !== null ? [` neighbor ${group} timers ${s.keepaliveSeconds ?? Math.floor(s.holdTimeSeconds / 3)} ${s.holdTimeSeconds}`] : []),
        ...(s.bfd !== null ? [` neighbor ${group} bfd profile ${identifier(s.bfd.metadata.name)}`] : []),
        ...(s.listenPort !== 179 ? [` ! airlb connects to port ${s.listenPort}: start bgpd with "-p ${s.listenPort}"`] : []),
      );
      for (const n of s.neighbours) {
        lines.push(n.address === null ? ` ! TODO: Node ${n.node} lists no address of this family` : ` neighbor ${n.address} peer-group ${group}`);
      }
    }
    for (const family of [4, 6] as const) {
      const fs = sessions.filter((s) => s.family === family);
      if (fs.length === 0) continue;
      lines.push(` address-family ${family === 4 ? 'ipv4' : 'ipv6'} unicast`, '  maximum-paths 16');
      for (const s of fs) {
        const group = `AIRLB-${identifier(s.peer)}`;
        lines.push(`  neighbor ${group} activate`, `  neighbor ${group} route-map ${group}-IN in`, `  neighbor ${group} route-map ${group}-OUT out`);
      }
      lines.push(' exit-address-family');
    }
    // IPv4 is active by default in FRR's "traditional" profile; an IPv6-only peer group must not be.
    for (const s of sessions.filter((x) => x.family === 6)) {
      lines.push(` address-family ipv4 unicast`, `  no neighbor AIRLB-${identifier(s.peer)} activate`, ' exit-address-family');
    }
    lines.push('exit', '!');
  }
  return `${lines.join('\n')}\n`;
}
