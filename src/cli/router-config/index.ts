import type { Command, CommandIo } from '../command.js';
import { wantsHelp } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../../errors.js';
import { loadConfig } from '../../domain/config/index.js';
import { formatIssue } from '../../domain/config/format.js';
import { readConfigSources } from '../../io/config-files.js';
import { routerConfig, routerKinds, type RouterKind } from '../../domain/router-config/index.js';

const help = `Usage: airlb router-config --for ${routerKinds.join('|')} -f PATH [-f PATH ...]

Prints the router's side of the BGP sessions that the BGPPeer manifests describe: the router's AS
and address (the peers' peerASN and peerAddress), one neighbour per Node the peer selects (its
InternalIP from the Node manifests), an import filter that accepts only the address pools' prefixes
at each BGPAdvertisement's aggregation length, nothing exported to the nodes, MD5 passwords, hold
times, multihop and BFD as configured, and ECMP so every announcing node carries traffic.

  bird      BIRD 2 (bird.conf)          frr       FRR (frr.conf / vtysh)
  gobgp     gobgpd TOML                 openwrt   a shell script installing BIRD 2 on OpenWrt

Options:
  --for KIND        the router software (required)
  -f, --file PATH   manifests: BGPPeer, BGPAdvertisement, IPAddressPool, BFDProfile, Node (repeatable)
  -h, --help        this text

Warnings (a Node without an address, a peer that would accept nothing) go to stderr.
Exit status: 0 printed, 1 invalid configuration, 2 usage error.
`;

function isRouterKind(value: string): value is RouterKind {
  return (routerKinds as readonly string[]).includes(value);
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('router-config', args, {
    for: { type: 'string' },
    file: { type: 'string', short: 'f', multiple: true },
  });
  const kind = values.for;
  if (kind === undefined || !isRouterKind(kind)) {
    throw new UsageError(`router-config: --for must be one of ${routerKinds.join(', ')} (see 'airlb router-config --help')`);
  }
  const files = values.file ?? [];
  if (files.length === 0) throw new UsageError("router-config: at least one -f PATH is required (see 'airlb router-config --help')");
  const { config, issues } = loadConfig(await readConfigSources(files));
  if (issues.length > 0) {
    for (const issue of issues) io.stderr.write(`${formatIssue(issue)}\n`);
    return 1;
  }
  const { text, warnings } = routerConfig(kind, config);
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  io.stdout.write(text);
  return 0;
}

export const routerConfigCommand: Command = {
  name: 'router-config',
  help,
  run,
};
