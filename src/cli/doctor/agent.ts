import { hostname } from 'node:os';
import type { AgentReport } from '../../domain/doctor/agent-report.js';
import type { Uplink } from '../../domain/doctor/facts.js';
import { classifyInterface, withOverrides } from '../../domain/l2/interfaces.js';
import { AirlbError } from '../../errors.js';
import { startArpCapture } from '../../io/doctor/arp-capture.js';
import { sendGratuitousArp } from '../../io/doctor/garp.js';
import { localInterfaceFor } from '../../io/doctor/local-interface.js';
import { pings } from '../../io/doctor/ping.js';
import { classifierOverridesFromEnv, readInterfaceFacts } from '../../io/interfaces.js';
import type { CommandIo } from '../command.js';

/**
 * The doctor's node side (`airlb doctor --capture-on IFACE --vip IP`): run on the node that
 * announces the VIP while the doctor on a LAN machine probes it. It captures twice for
 * `windowMs` — first the interface as it runs, then held promiscuous (which switches a Pi's
 * firmware ARP offload off) — announces the VIP by gratuitous ARP if it answers for it, pings its
 * peers, and prints one JSON line per event on stdout:
 * `{"event":"ready"}` when the first capture is armed, `{"event":"report", ...AgentReport}` at the end.
 */
export interface AgentOptions {
  readonly vip: string;
  readonly ifname: string;
  readonly node: string | null;
  readonly windowMs: number;
  readonly peers: readonly { readonly name: string; readonly ip: string }[];
  readonly gateway: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function uplinkOf(ifname: string, env: CommandIo['env']): Promise<Uplink> {
  const facts = (await readInterfaceFacts()).find((f) => f.name === ifname);
  if (facts === undefined) throw new AirlbError('doctor-no-interface', `no interface ${ifname} in this network namespace`);
  const kind = withOverrides(classifyInterface, classifierOverridesFromEnv(env))(facts).kind;
  return kind === 'virtual' ? 'unknown' : kind;
}

export async function runAgent(options: AgentOptions, io: CommandIo): Promise<AgentReport> {
  const local = localInterfaceFor(options.vip, options.ifname);
  const uplink = await uplinkOf(options.ifname, io.env);
  const normal = await startArpCapture(options.ifname, options.vip, false);
  io.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
  await sleep(options.windowMs);
  const capture = await normal.stop();
  const promiscuous = await startArpCapture(options.ifname, options.vip, true);
  await sleep(options.windowMs);
  const capturePromiscuous = await promiscuous.stop();
  const answers = (capture.repliesForVip ?? 0) + (capturePromiscuous.repliesForVip ?? 0) > 0;
  const garpSent = answers ? await sendGratuitousArp(options.ifname, options.vip) : 0;
  const peers = await Promise.all(options.peers.map(async (p) => ({ ...p, reachable: await pings(p.ip) })));
  const gateway = options.gateway === null ? null : { ip: options.gateway, reachable: await pings(options.gateway) };
  const report: AgentReport = {
    node: options.node ?? hostname(),
    interface: options.ifname,
    mac: local.mac,
    ipv4: local.ipv4,
    uplink,
    capture,
    capturePromiscuous,
    peers,
    gateway,
    garpSent,
  };
  io.stdout.write(`${JSON.stringify({ event: 'report', ...report })}\n`);
  return report;
}
