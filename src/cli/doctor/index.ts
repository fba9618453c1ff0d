import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { questionText, type Answer, type TreeAnswers } from '../../domain/doctor/decision-tree.js';
import { diagnose, type Diagnosis } from '../../domain/doctor/index.js';
import { parseFacts } from '../../domain/doctor/recording.js';
import { parseIp } from '../../domain/net/ip.js';
import { AirlbError, UsageError } from '../../errors.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';
import { runAgent } from './agent.js';
import { collectFacts, defaultCtx, fromConfig, type Collected } from './collect.js';
import { renderHuman, renderJson } from './render.js';

const help = `Usage: airlb doctor [--vip IP] [-f PATH ... | --kubeconfig FILE] [--status-file FILE ...] [--json]
       airlb doctor --capture-on IFACE --vip IP [--node NAME] [--peer NAME=IP ...]   (on the node)

Finds out why a LoadBalancer address (VIP) does not answer on a WiFi LAN and names the cause with
its evidence, then the fix (field guide decision tree). Run it on a machine in the same LAN as the
VIP (it sends ARP requests itself; needs root / CAP_NET_RAW). docs/doctor.md explains every check.

What it reads:
  -f, --file PATH         MetalLB config + Services + Nodes (repeatable): allocation, which node
                          announces the VIP, node addresses and labels
  --kubeconfig FILE       the same read from a cluster, plus kube-proxy's mode (IPVS strictARP)
                          and MetalLB's ServiceL2Status (who announces now)
  --status-file FILE      an airlb standalone speaker's status file (repeatable): who claimed the
                          VIP on which interface and MAC
  --node-mac NAME=MAC     a node's MAC, to tell nodes from strangers (repeatable)
  --node-command CMD      a shell command that runs the node side on the announcing node, e.g.
                          "ssh pi2 sudo airlb doctor --capture-on wlan0 --vip 192.168.1.200 --node pi2"
                          (captures what arrives there while this side keeps asking)
  --facts FILE            diagnose recorded facts instead of collecting (see --facts-out); with
                          -f/--kubeconfig the configuration still names the pool and wired nodes

Options:
  --vip IP                the address to diagnose (default: a pending Service, or the only VIP)
  --interface IFACE       send probes from this interface (default: the one on the VIP's subnet)
  --count N               ARP requests per probe (default 3)
  --no-probe              do not send anything (configuration and status checks only)
  --facts-out FILE        write the collected facts as JSON (a recording for --facts)
  --can-wire yes|no, --can-configure-ap yes|no, --router-bgp yes|no
                          answers to the decision tree; asked on a terminal when missing
  --json                  print {"vip", "verdict": {"cause", "evidence"}, "checks", "fix", "notes", "facts"}
  -h, --help              this text

Node side (--capture-on IFACE): captures ARP for the VIP on IFACE for --window-ms (default 1500)
as the interface runs, then as long again promiscuous; pings --peer NAME=IP and --gateway IP;
prints JSON lines ({"event":"ready"}, {"event":"report",...}) for the LAN side.

Exit status: 0 healthy, 1 a problem (or no cause found), 2 usage error.
`;

function answer(value: string | undefined, flag: string): Answer {
  if (value === undefined) return null;
  if (value === 'yes' || value === 'no') return value === 'yes';
  throw new UsageError(`doctor: ${flag} takes yes or no, not '${value}'`);
}

function pairs(values: readonly string[], flag: string, check: (right: string) => boolean): [string, string][] {
  return values.map((v) => {
    const eq = v.indexOf('=');
    const left = v.slice(0, eq);
    const right = v.slice(eq + 1);
    if (eq <= 0 || !check(right)) throw new UsageError(`doctor: ${flag} takes NAME=VALUE, got '${v}'`);
    return [left, right];
  });
}

function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`doctor: ${flag} takes a whole number ≥ 1, not '${value}'`);
  return n;
}

const isIpv4 = (text: string): boolean => parseIp(text)?.family === 4;
const isMac = (text: string): boolean => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text);

/** Asks the open decision-tree questions on a terminal, one at a time, until the tree ends. */
async function askOnTerminal(d: Diagnosis, answers: TreeAnswers, again: (a: TreeAnswers) => Diagnosis, io: CommandIo): Promise<Diagnosis> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    let current = d;
    let given = answers;
    while (current.fix.question !== null) {
      const q = current.fix.question;
      let reply: string;
      try {
        reply = (await rl.question(`${questionText[q]} [y/n] `)).trim().toLowerCase();
      } catch {
        // Ctrl+D / Ctrl+C at the prompt: stop asking and show the open question with the rest.
        break;
      }
      if (reply !== 'y' && reply !== 'yes' && reply !== 'n' && reply !== 'no') continue;
      given = { ...given, [q]: reply.startsWith('y') };
      current = again(given);
    }
    io.stderr.write('\n');
    return current;
  } finally {
    rl.close();
  }
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('doctor', args, {
    vip: { type: 'string' },
    file: { type: 'string', short: 'f', multiple: true },
    kubeconfig: { type: 'string' },
    'status-file': { type: 'string', multiple: true },
    'node-mac': { type: 'string', multiple: true },
    'node-command': { type: 'string' },
    facts: { type: 'string' },
    'facts-out': { type: 'string' },
    interface: { type: 'string' },
    count: { type: 'string' },
    'no-probe': { type: 'boolean' },
    'can-wire': { type: 'string' },
    'can-configure-ap': { type: 'string' },
    'router-bgp': { type: 'string' },
    json: { type: 'boolean' },
    'capture-on': { type: 'string' },
    node: { type: 'string' },
    peer: { type: 'string', multiple: true },
    gateway: { type: 'string' },
    'window-ms': { type: 'string' },
  });
  const vip = values.vip ?? null;
  if (vip !== null && !isIpv4(vip)) throw new UsageError(`doctor: --vip takes an IPv4 address, not '${vip}' (ARP is IPv4's; IPv6 VIPs are not diagnosed yet)`);
  const windowMs = positiveInt(values['window-ms'], 1500, '--window-ms');

  if (values['capture-on'] !== undefined) {
    if (vip === null) throw new UsageError('doctor: --capture-on needs --vip IP');
    const gateway = values.gateway ?? null;
    if (gateway !== null && !isIpv4(gateway)) throw new UsageError(`doctor: --gateway takes an IPv4 address, not '${gateway}'`);
    const peers = pairs(values.peer ?? [], '--peer', isIpv4).map(([name, ip]) => ({ name, ip }));
    await runAgent({ vip, ifname: values['capture-on'], node: values.node ?? null, windowMs, peers, gateway }, io);
    return 0;
  }

  const answers: TreeAnswers = {
    canWireNode: answer(values['can-wire'], '--can-wire'),
    canConfigureAp: answer(values['can-configure-ap'], '--can-configure-ap'),
    routerSpeaksBgp: answer(values['router-bgp'], '--router-bgp'),
  };
  let collected: Collected;
  if (values.facts !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(values.facts, 'utf8'));
    } catch (err) {
      throw new AirlbError('doctor-facts-unreadable', `cannot read recorded facts from ${values.facts}: ${(err as Error).message}`, { cause: err });
    }
    const facts = parseFacts(json);
    // The configuration, when given, still names the pool and the wired nodes for the fix.
    const fromFiles = (values.file ?? []).length > 0 || values.kubeconfig !== undefined;
    const ctx = fromFiles ? (await fromConfig({ files: values.file ?? [], kubeconfig: values.kubeconfig ?? null, vip: facts.vip }, io.env)).ctx : defaultCtx;
    collected = { facts, ctx, notes: [] };
  } else {
    const nodeMacs: Record<string, string> = {};
    for (const [name, mac] of pairs(values['node-mac'] ?? [], '--node-mac', isMac)) nodeMacs[mac.toLowerCase()] = name;
    collected = await collectFacts({
      vip,
      files: values.file ?? [],
      kubeconfig: values.kubeconfig ?? null,
      statusFiles: values['status-file'] ?? [],
      nodeMacs,
      ifname: values.interface ?? null,
      count: positiveInt(values.count, 3, '--count'),
      nodeCommand: values['node-command'] ?? null,
      windowMs,
      probe: values['no-probe'] !== true,
    }, io.env);
  }
  const { facts, ctx, notes } = collected;
  if (values['facts-out'] !== undefined) await writeFile(values['facts-out'], `${JSON.stringify(facts, null, 2)}\n`);
  const again = (a: TreeAnswers): Diagnosis => diagnose(facts, a, ctx);
  let d = again(answers);
  const interactive = values.json !== true && process.stdin.isTTY === true && io.stdout.isTTY === true;
  if (d.fix.question !== null && interactive) d = await askOnTerminal(d, answers, again, io);
  io.stdout.write(values.json === true ? renderJson(d, facts, notes) : renderHuman(d, facts.vip, notes));
  return d.verdict.cause === 'healthy' ? 0 : 1;
}

export const doctorCommand: Command = {
  name: 'doctor',
  help,
  run,
};
