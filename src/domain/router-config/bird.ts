import type { AcceptedPrefix, RouterModel, RouterSession } from './model.js';
import { identifier } from './model.js';

function prefixSet(accepted: readonly AcceptedPrefix[]): string {
  return accepted.map((a) => `${a.prefix}{${a.length},${a.length}}`).join(', ');
}

function routerId(model: RouterModel): string | null {
  return model.sessions.find((s) => s.family === 4)?.routerAddress ?? null;
}

function bfdBlock(model: RouterModel): string[] {
  const profile = model.sessions.find((s) => s.bfd !== null)?.bfd;
  if (profile === undefined || profile === null) return [];
  return [
    `# BFD (BFDProfile ${profile.metadata.name}): sessions come up for the neighbours that say "bfd on".`,
    'protocol bfd airlb_bfd {',
    '  interface "*" {',
    `    min rx interval ${profile.spec.receiveIntervalMs} ms;`,
    `    min tx interval ${profile.spec.transmitIntervalMs} ms;`,
    `    multiplier ${profile.spec.detectMultiplier};`,
    ...(profile.spec.passiveMode ? ['    passive on;'] : []),
    '  };',
    '}',
    '',
  ];
}

function sessionBlocks(s: RouterSession): string[] {
  const channel = s.family === 4 ? 'ipv4' : 'ipv6';
  const set = `AIRLB_${identifier(s.peer).toUpperCase()}`;
  const out = [
    `# BGPPeer ${s.peer}: this router is AS ${s.localAs} at ${s.routerAddress}; each node is a neighbour in AS ${s.neighbours[0]?.remoteAs ?? '?'}.`,
    `define ${set} = [ ${prefixSet(s.accepted) || (s.family === 4 ? '0.0.0.0/32{32,32}' : '::/128{128,128}')} ];`,
    '',
  ];
  for (const n of s.neighbours) {
    const name = `airlb_${identifier(s.peer)}_${identifier(n.node)}`;
    out.push(
      ...(n.address === null ? [`# TODO: Node ${n.node} lists no address of this family; set it below.`] : []),
      `protocol bgp ${name} {`,
      `  local ${s.routerAddress} as ${s.localAs};`,
      `  neighbor ${n.address ?? 'NODE_ADDRESS'} as ${n.remoteAs};`,
      ...(s.multihop ? ['  multihop;'] : ['  direct;']),
      ...(s.password !== null ? [`  password "${s.password}";`] : []),
      ...(s.passwordSecret !== null ? [`  # password: the value of Secret ${s.passwordSecret} (key "password")`] : []),
      ...(s.holdTimeSeconds !== null ? [`  hold time ${s.holdTimeSeconds};`] : []),
      ...(s.keepaliveSeconds !== null ? [`  keepalive time ${s.keepaliveSeconds};`] : []),
      ...(s.bfd !== null ? ['  bfd on;'] : []),
      ...(s.listenPort !== 179 ? [`  # airlb connects to port ${s.listenPort}: start BIRD's listener there (global "listen bgp port ${s.listenPort};" in BIRD 2.0 is per protocol: "local ... port ${s.listenPort}")`] : []),
      `  ${channel} {`,
      `    import where net ~ ${set};`,
      '    export none;',
      '  };',
      '}',
      '',
    );
  }
  return out;
}

/**
 * BIRD 2 configuration: one `protocol bgp` per node, an import filter limited to the pools'
 * prefixes (nothing else a node sends is accepted), nothing exported to the nodes, and kernel
 * protocols with `merge paths` so equal routes from several nodes become one ECMP route.
 */
export function renderBird(model: RouterModel, header: string): string {
  const id = routerId(model);
  const families = new Set(model.sessions.map((s) => s.family));
  const lines = [
    ...header.split('\n').map((l) => `# ${l}`.trimEnd()),
    '',
    id === null ? '# router id: set an IPv4 router id of this router here' : `router id ${id};`,
    '',
    'protocol device { }',
    '',
  ];
  for (const family of [4, 6] as const) {
    if (!families.has(family)) continue;
    const channel = family === 4 ? 'ipv4' : 'ipv6';
    lines.push(
      `# Install the VIP routes in the kernel, as one multipath route when several nodes announce a VIP.`,
      `protocol kernel airlb_kernel_v${family} {`,
      `  ${channel} { export where source = RTS_BGP; import none; };`,
      '  merge paths on;',
      '}',
      '',
    );
  }
  lines.push(...bfdBlock(model));
  for (const s of model.sessions) lines.push(...sessionBlocks(s));
  return `${lines.join('\n').trimEnd()}\n`;
}
