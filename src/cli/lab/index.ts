import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AirlbError, UsageError } from '../../errors.js';
import { createLogger, isLogLevel, type Logger } from '../../io/logger.js';
import { renderStepJson, renderStepText, renderSummaryText } from '../../lab/demo/render.js';
import { runDemo } from '../../lab/demo/run.js';
import { stepSpecs } from '../../lab/demo/steps.js';
import { Lab } from '../../lab/lab.js';
import { defaultPrefix, defaultStateDir } from '../../lab/naming.js';
import { statePath } from '../../lab/state.js';
import type { LabStatus } from '../../lab/status.js';
import { defaultTopology, parseTopology, type Topology } from '../../lab/topology.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';

/** Its own default, so the demo never collides with a lab the user brought up by hand. */
const demoPrefix = 'airlbdemo';

const help = `Usage: airlb lab SUBCOMMAND [options]

The home-lab emulator: a router, a WiFi AP (a bridge in its own network namespace), Pi nodes and
clients, each in a namespace named PREFIX-NAME. Nothing is configured in the host's namespace.
Needs root, iproute2 and nftables. docs/lab.md describes the topology file and the behaviours.

Subcommands:
  up [-f FILE] [--detach]   build the lab (default topology unless -f); stays in the foreground
                            watching promiscuous flags for the firmware filter, and removes the
                            lab on Ctrl-C. --detach: build and exit (the firmware filter then
                            keeps the state it had at start-up)
  status [--json]           nodes, addresses, MACs, ports, behaviours (exit 1 if parts are missing)
  exec NODE -- CMD...       run CMD in NODE's namespace (NODE "ap" is the AP's); exits with CMD's status
  down                      remove the lab by prefix, even after a crash; idempotent
  demo [--keep]             the field guide's story, live (about 30 s): builds the default lab,
                            runs 'airlb standalone' on pi1-pi3 and a web server behind the VIP,
                            shows the VIP unreachable from the desktop while WiFi pi2 announces
                            it, then each fix (static ARP, wired node, AP proxy ARP off, airlb's
                            WiFi handling, BGP) with its evidence. Removes the lab at the end;
                            --keep leaves it running. Exit 0 when every step behaved as
                            expected. Default prefix "${demoPrefix}" (docs/lab.md, Demo)

Options:
  --prefix P        names the lab's namespaces P-* (default "${defaultPrefix}"); two labs need two prefixes
  --json            machine-readable output (up, status, down; demo: one object per step)
  --log-level L     debug shows every command the lab runs (default info, to stderr)
  -h, --help        this text
`;

function loggerFor(io: CommandIo, level: string | undefined): Logger {
  const chosen = level ?? 'info';
  if (!isLogLevel(chosen)) throw new UsageError(`lab: --log-level must be debug, info, warn or error`);
  return createLogger({ format: 'text', level: chosen, write: (line) => io.stderr.write(line) });
}

async function loadTopology(io: CommandIo, file: string | undefined): Promise<Topology> {
  if (file === undefined) return defaultTopology();
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AirlbError('lab-topology-unreadable', `cannot read topology ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseTopology(text, file);
}

function behaviourWords(node: LabStatus['nodes'][number]): string {
  const b = node.behaviours;
  const words: string[] = [];
  if (node.partitioned) words.push('PARTITIONED');
  if (b === null) return words.length > 0 ? words.join(' ') : '-';
  if (b.proxyArp) words.push('proxyArp');
  if (b.isolation) words.push('isolation');
  if (b.garpFilter) words.push('garpFilter');
  if (b.loss > 0) words.push(`loss=${b.loss}%`);
  if (b.firmwareFilter) words.push(`firmwareFilter(${node.firmwareFilter})`);
  return words.length > 0 ? words.join(' ') : 'none';
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function renderStatus(status: LabStatus): string {
  const owner = status.ownerAlive ? `owner pid ${status.ownerPid} running` : `owner pid ${status.ownerPid} gone (firmware filter not watched)`;
  const rows = [
    ['NODE', 'ROLE', 'PORT', 'NETNS', 'IFACE', 'MAC', 'ADDRESSES', 'BEHAVIOURS'],
    ['ap', 'ap', '-', status.ap.netns, status.ap.bridge, status.ap.mac ?? 'MISSING', status.ap.addresses.join(' '), '-'],
    ...status.nodes.map((n) => [n.name, n.role, n.port, n.netns, n.iface, n.present ? n.mac ?? '?' : 'MISSING', n.addresses.join(' '), behaviourWords(n)]),
  ];
  return `lab ${status.prefix}: up since ${status.createdAt}, ${owner}${status.vipPool ? `, VIP pool ${status.vipPool}` : ''}\n${table(rows)}\n`;
}

function complete(status: LabStatus): boolean {
  return status.ap.present && status.nodes.every((n) => n.present);
}

async function up(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs('lab up', args, {
    file: { type: 'string', short: 'f' },
    prefix: { type: 'string' },
    detach: { type: 'boolean' },
    json: { type: 'boolean' },
    'log-level': { type: 'string' },
  });
  const logger = loggerFor(io, values['log-level']);
  const topology = await loadTopology(io, values.file);
  const prefix = values.prefix ?? defaultPrefix;
  const lab = await Lab.up(topology, { prefix, logger, watchIntervalMs: values.detach ? 0 : undefined });
  if (values.detach) {
    await lab.close();
    const status = await lab.status();
    io.stdout.write(values.json ? `${JSON.stringify(status)}\n` : `${renderStatus(status)}lab ${prefix} is up; remove it with 'airlb lab down --prefix ${prefix}'\n`);
    return 0;
  }
  // Stay up until asked to stop, then clean up (a SIGKILL skips this: `lab down` sweeps). The
  // handlers go in before anything is printed: whoever reads the output may signal at once.
  // `lab down` from another shell removes the state file: then there is nothing left to watch.
  const stateFile = statePath(defaultStateDir, prefix);
  const reason = new Promise<string>((done) => {
    const stop = (why: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearInterval(poll);
      done(why);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const poll = setInterval(() => {
      if (!existsSync(stateFile)) stop('removed by another process');
    }, 1000);
  });
  const status = await lab.status();
  io.stdout.write(values.json ? `${JSON.stringify(status)}\n` : `${renderStatus(status)}lab ${prefix} is up; Ctrl-C removes it\n`);
  const why = await reason;
  logger.info('lab stopping', { prefix, reason: why });
  await lab.down();
  return 0;
}

async function status(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs('lab status', args, { prefix: { type: 'string' }, json: { type: 'boolean' } });
  const lab = await Lab.attach({ prefix: values.prefix });
  const report = await lab.status();
  io.stdout.write(values.json ? `${JSON.stringify(report)}\n` : renderStatus(report));
  return complete(report) ? 0 : 1;
}

async function exec(args: readonly string[], io: CommandIo): Promise<number> {
  const dashes = args.indexOf('--');
  const own = dashes < 0 ? args : args.slice(0, dashes);
  const command = dashes < 0 ? [] : args.slice(dashes + 1);
  const { values, positionals } = parseCommandArgs('lab exec', own, { prefix: { type: 'string' } }, true);
  if (positionals.length !== 1 || command.length === 0) throw new UsageError(`lab exec: expected NODE -- CMD... (see 'airlb lab --help')`);
  const lab = await Lab.attach({ prefix: values.prefix });
  const result = await lab.exec(positionals[0]!, command, { timeoutMs: 24 * 3600_000 });
  io.stdout.write(result.stdout);
  io.stderr.write(result.stderr);
  return result.code;
}

async function down(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs('lab down', args, { prefix: { type: 'string' }, json: { type: 'boolean' }, 'log-level': { type: 'string' } });
  const prefix = values.prefix ?? defaultPrefix;
  const report = await Lab.down({ prefix, logger: loggerFor(io, values['log-level']) });
  if (values.json) io.stdout.write(`${JSON.stringify({ prefix, ...report })}\n`);
  else if (report.namespaces.length === 0) io.stdout.write(`lab ${prefix}: nothing to remove\n`);
  else io.stdout.write(`lab ${prefix}: removed ${report.namespaces.length} namespaces (${report.namespaces.join(', ')}), killed ${report.killed} processes\n`);
  return 0;
}

async function demo(args: readonly string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs('lab demo', args, {
    prefix: { type: 'string' },
    json: { type: 'boolean' },
    keep: { type: 'boolean' },
    'log-level': { type: 'string' },
  });
  const prefix = values.prefix ?? demoPrefix;
  const logger = loggerFor(io, values['log-level']);
  if (!values.json) io.stdout.write(`airlb lab demo: the field guide's WiFi ARP problem and its fixes, in lab '${prefix}'\n`);
  // Ctrl-C removes the lab under the running step (its processes included), which makes that
  // step fail at once; the demo then cleans up and reports as for any other failure.
  const interrupt = (): void => {
    io.stderr.write(`airlb lab demo: interrupted; removing lab '${prefix}'\n`);
    void Lab.down({ prefix }).catch(() => undefined);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let index = 0;
  const result = await runDemo({
    prefix,
    keep: values.keep === true,
    logger,
    onStep: (step) => {
      index += 1;
      io.stdout.write(values.json ? renderStepJson(step) : renderStepText(step, index, stepSpecs.length));
    },
  }).finally(() => {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  });
  if (!values.json) io.stdout.write(renderSummaryText(result, prefix));
  return result.ok ? 0 : 1;
}

const subcommands: Readonly<Record<string, (args: readonly string[], io: CommandIo) => Promise<number>>> = { up, status, exec, down, demo };

export const labCommand: Command = {
  name: 'lab',
  help,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === 'help' || wantsHelp([sub])) {
      io.stdout.write(help);
      return sub === undefined ? 2 : 0;
    }
    const handler = subcommands[sub];
    if (handler === undefined) throw new UsageError(`lab: unknown subcommand '${sub}' (expected up, status, exec, down or demo; see 'airlb lab --help')`);
    // After `--` a -h belongs to the command `lab exec` runs, not to airlb.
    if (wantsHelp(rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--')))) {
      io.stdout.write(help);
      return 0;
    }
    return handler(rest, io);
  },
};
