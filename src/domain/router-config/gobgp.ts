import type { RouterModel } from './model.js';
import { identifier } from './model.js';

const q = (s: string): string => JSON.stringify(s);

/**
 * GoBGP (gobgpd TOML): the global AS and router id, one neighbour per node, and a global import
 * policy — GoBGP applies per-neighbour policies only to route-server clients — whose statements
 * accept a peer's pool prefixes only from that peer's nodes (a neighbour set), rejecting the rest;
 * nothing is exported. gobgpd keeps routes in its RIB; installing them in the kernel needs zebra
 * integration, noted in the output.
 */
export function renderGobgp(model: RouterModel, header: string): string {
  const lines = header.split('\n').map((l) => `# ${l}`.trimEnd());
  const first = model.sessions[0];
  if (first === undefined) return `${lines.join('\n')}\n`;
  const routerId = model.sessions.find((s) => s.family === 4)?.routerAddress ?? '0.0.0.1';
  lines.push(
    '# Routes stay in gobgpd\'s RIB; to forward traffic, run zebra and add a [zebra.config] section.',
    '',
    '[global.config]',
    `  as = ${first.localAs}`,
    `  router-id = ${q(routerId)}`,
    ...(first.listenPort !== 179 ? [`  port = ${first.listenPort}`] : []),
    '[global.apply-policy.config]',
    `  import-policy-list = [${model.sessions.map((s) => q(`airlb-${identifier(s.peer)}-import`)).join(', ')}]`,
    '  default-import-policy = "reject-route"',
    '  default-export-policy = "reject-route"',
    '',
  );
  for (const s of model.sessions) {
    const set = `airlb-${identifier(s.peer)}`;
    lines.push('[[defined-sets.prefix-sets]]', `  prefix-set-name = ${q(set)}`);
    for (const a of s.accepted) {
      lines.push('  [[defined-sets.prefix-sets.prefix-list]]', `    ip-prefix = ${q(a.prefix)}`, `    masklength-range = ${q(`${a.length}..${a.length}`)}`);
    }
    lines.push(
      '',
      '[[defined-sets.neighbor-sets]]',
      `  neighbor-set-name = ${q(set)}`,
      `  neighbor-info-list = [${s.neighbours.filter((n) => n.address !== null).map((n) => q(`${n.address}/${s.family === 4 ? 32 : 128}`)).join(', ')}]`,
      '',
      '[[policy-definitions]]',
      `  name = ${q(`${set}-import`)}`,
      '  [[policy-definitions.statements]]',
      `    name = ${q(`${set}-pools`)}`,
      '    [policy-definitions.statements.conditions.match-prefix-set]',
      `      prefix-set = ${q(set)}`,
      '      match-set-options = "any"',
      '    [policy-definitions.statements.conditions.match-neighbor-set]',
      `      neighbor-set = ${q(set)}`,
      '      match-set-options = "any"',
      '    [policy-definitions.statements.actions]',
      '      route-disposition = "accept-route"',
      '',
    );
    const afiSafi = s.family === 4 ? 'ipv4-unicast' : 'ipv6-unicast';
    for (const n of s.neighbours) {
      lines.push(
        ...(n.address === null ? [`# TODO: Node ${n.node} lists no address of this family`] : []),
        '[[neighbors]]',
        '  [neighbors.config]',
        `    neighbor-address = ${q(n.address ?? 'NODE_ADDRESS')}`,
        `    peer-as = ${n.remoteAs}`,
        `    description = ${q(`airlb node ${n.node} (BGPPeer ${s.peer})`)}`,
        ...(s.password !== null ? [`    auth-password = ${q(s.password)}`] : []),
        ...(s.passwordSecret !== null ? [`    # auth-password: the value of Secret ${s.passwordSecret}`] : []),
        ...(s.holdTimeSeconds !== null
          ? ['  [neighbors.timers.config]', `    hold-time = ${s.holdTimeSeconds}`, `    keepalive-interval = ${s.keepaliveSeconds ?? Math.floor(s.holdTimeSeconds / 3)}`]
          : []),
        ...(s.multihop ? ['  [neighbors.ebgp-multihop.config]', '    enabled = true', '    multihop-ttl = 255'] : []),
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = ${q(afiSafi)}`,
        '',
      );
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
