import { ownerOf, type SpeakerStatusView } from '../../domain/doctor/speaker-status.js';
import { loadConfig, formatIssue } from '../../domain/config/index.js';
import { parseIp } from '../../domain/net/ip.js';
import { AirlbError, UsageError } from '../../errors.js';
import { readConfigSources } from '../../io/config-files.js';
import { probeArp } from '../../io/doctor/arp-probe.js';
import { localInterfaceFor } from '../../io/doctor/local-interface.js';
import { readSpeakerStatuses } from '../../io/doctor/status-files.js';
import { tcpConnect } from '../../io/doctor/tcp-connect.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';
import { buildPlan } from '../plan/build-plan.js';

const help = `Usage: airlb verify VIP [--port N] [-f PATH ...] [--status-file FILE ...] [--expect-mac MAC] [--json]

The field guide's "Verifying Your Fix", as one command run from a machine in the LAN (root /
CAP_NET_RAW: it sends ARP itself):
  arp       ARP for VIP is answered by exactly one MAC
  owner     that MAC is the expected one: --expect-mac, or the interface the speaker that claimed the
            VIP answers on (--status-file)
  node      the node answering is the one the configuration elects (-f) and the one whose speaker
            says it claimed the VIP (--status-file)
  tcp       a TCP connection to VIP:PORT succeeds (--port)

Options:
  --port N            TCP port to connect to
  -f, --file PATH     configuration (repeatable): which node should announce the VIP
  --status-file FILE  speakers' status files (repeatable): who claimed it, and every node's MACs
  --expect-mac MAC    the MAC that must answer
  --interface IFACE   probe from this interface (default: the one on the VIP's subnet)
  --count N           ARP requests (default 3)
  --json              print {"vip", "ok", "checks": [{"id", "status", "detail"}]}
  -h, --help          this text

Exit status: 0 every check that ran passed, 1 one failed, 2 usage error.
`;

type Status = 'ok' | 'problem' | 'not-run';
interface VerifyCheck {
  readonly id: 'arp' | 'owner' | 'node' | 'tcp';
  readonly status: Status;
  readonly detail: string;
}

async function electedNode(files: readonly string[], vip: string): Promise<string | null | undefined> {
  if (files.length === 0) return undefined;
  const { config, issues } = loadConfig(await readConfigSources(files));
  if (issues.length > 0) throw new AirlbError('config-invalid', `the configuration has problems:\n${issues.map(formatIssue).join('\n')}`);
  return buildPlan(config).l2.find((a) => a.ip === vip)?.node ?? null;
}

function nodeOfMac(mac: string, statuses: readonly SpeakerStatusView[]): string | null {
  return statuses.find((s) => s.interfaces.some((i) => i.mac === mac))?.node ?? null;
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(
    'verify',
    args,
    {
      port: { type: 'string' },
      file: { type: 'string', short: 'f', multiple: true },
      'status-file': { type: 'string', multiple: true },
      'expect-mac': { type: 'string' },
      interface: { type: 'string' },
      count: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  const vip = positionals[0];
  if (vip === undefined || positionals.length > 1 || parseIp(vip)?.family !== 4) throw new UsageError("verify: give exactly one IPv4 VIP (see 'airlb verify --help')");
  const port = values.port === undefined ? null : Number(values.port);
  if (port !== null && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new UsageError(`verify: --port takes 1-65535, not '${values.port}'`);
  const count = values.count === undefined ? 3 : Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`verify: --count takes a whole number ≥ 1, not '${values.count}'`);
  const expectMac = values['expect-mac']?.toLowerCase() ?? null;
  if (expectMac !== null && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(expectMac)) throw new UsageError(`verify: --expect-mac takes a MAC like 02:00:5e:10:00:01, not '${values['expect-mac']}'`);

  const statuses = await readSpeakerStatuses(values['status-file'] ?? []);
  const elected = await electedNode(values.file ?? [], vip);
  const owner = ownerOf(vip, statuses)[0] ?? null;
  const probe = await probeArp({ from: localInterfaceFor(vip, values.interface ?? null), target: vip, count });
  const checks: VerifyCheck[] = [];
  const mac = probe.macs.length === 1 ? probe.macs[0]! : null;
  checks.push({
    id: 'arp',
    status: mac !== null ? 'ok' : 'problem',
    detail: probe.macs.length === 0 ? `no ARP reply for ${vip} (${probe.sent} requests)` : `${probe.replies}/${probe.sent} replies from ${probe.macs.join(', ')}${probe.macs.length > 1 ? ': more than one MAC answers' : ''}`,
  });
  const expected = expectMac ?? owner?.mac ?? null;
  if (expected === null) checks.push({ id: 'owner', status: 'not-run', detail: 'no expected MAC (give --expect-mac or --status-file)' });
  else checks.push({ id: 'owner', status: mac === expected ? 'ok' : 'problem', detail: mac === expected ? `${mac} is the expected MAC` : `expected ${expected}${owner !== null && expectMac === null ? ` (${owner.node} ${owner.interface})` : ''}, got ${mac ?? (probe.macs.join(', ') || 'nothing')}` });
  const answering = mac === null ? null : nodeOfMac(mac, statuses);
  const says = [elected === undefined ? null : `the configuration elects ${elected ?? 'nobody'}`, owner === null ? (statuses.length > 0 ? 'no speaker claims it' : null) : `${owner.node}'s speaker claims it`].filter((s): s is string => s !== null);
  if (says.length === 0) checks.push({ id: 'node', status: 'not-run', detail: 'no configuration or status file to compare with (-f, --status-file)' });
  else {
    const agree = (elected === undefined || (elected !== null && (owner === null || owner.node === elected))) && (statuses.length === 0 || (owner !== null && answering === owner.node));
    checks.push({ id: 'node', status: agree ? 'ok' : 'problem', detail: `${says.join('; ')}; the MAC answering belongs to ${answering ?? 'no known node'}` });
  }
  if (port === null) checks.push({ id: 'tcp', status: 'not-run', detail: 'no --port given' });
  else {
    const tcp = await tcpConnect(vip, port);
    checks.push({ id: 'tcp', status: tcp.ok ? 'ok' : 'problem', detail: tcp.ok ? `connected to ${vip}:${port} in ${tcp.ms} ms` : `cannot connect to ${vip}:${port}: ${tcp.error}` });
  }
  const ok = checks.every((c) => c.status !== 'problem');
  if (values.json === true) io.stdout.write(`${JSON.stringify({ vip, ok, checks }, null, 2)}\n`);
  else {
    const lines = checks.map((c) => `  ${c.status === 'ok' ? 'ok     ' : c.status === 'problem' ? 'FAILED ' : '-      '}  ${c.id.padEnd(5)}  ${c.detail}`);
    io.stdout.write(`airlb verify ${vip}: ${ok ? 'OK' : 'FAILED'}\n${lines.join('\n')}\n`);
  }
  return ok ? 0 : 1;
}

export const verifyCommand: Command = {
  name: 'verify',
  help,
  run,
};
