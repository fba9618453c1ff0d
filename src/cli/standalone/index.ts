import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { classifyInterface, withOverrides } from '../../domain/l2/interfaces.js';
import { parseIp } from '../../domain/net/ip.js';
import { UsageError } from '../../errors.js';
import { classifierOverridesFromEnv } from '../../io/interfaces.js';
import { createLogger, isLogFormat, isLogLevel } from '../../io/logger.js';
import { isArpOffloadMode, packetLinkLayer, requirePacketAccess } from '../../standalone/packet-link.js';
import { ConfigRejectedError, StandaloneSpeaker } from '../../standalone/speaker.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';
import { terminated } from '../controller/signals.js';

const help = `Usage: airlb standalone -f PATH [-f PATH ...] [--node NAME] [options]

Answers ARP (IPv4) and Neighbor Discovery (IPv6) for the VIPs this node should announce, from a
folder of YAML instead of a Kubernetes API server. It reads the kinds 'airlb plan' reads
(IPAddressPool, L2Advertisement, Service, Node, Namespace), allocates addresses, elects the
announcing node per VIP as MetalLB does (L2Advertisement nodeSelectors against the Node objects'
labels) and announces this node's VIPs on the interfaces the advertisements allow. Without Node
objects this node announces every VIP. Needs CAP_NET_RAW (root, or a pod with hostNetwork).

BGP mode: with BGPPeer and BGPAdvertisement manifests it also opens a session to every BGPPeer
whose nodeSelectors select this node and announces the routes MetalLB would (every selected node
announces every VIP: the router spreads traffic, ECMP); a reload withdraws what went away, SIGTERM
closes the sessions with Cease. The router ID and next hops come from the Node's status.addresses
(or the host's first address). The MD5 key must be in spec.password (passwordSecret is rejected:
there are no Secrets here). 'airlb router-config' prints the router's side.

Options:
  -f, --file PATH        a manifest file or a folder of *.yaml/*.yml/*.json (recursive);
                         repeatable; watched: a change reloads after 300 ms of quiet
  --node NAME            this node's name among the Node objects (default: the hostname)
  --state FILE           keeps allocations here (JSON, atomic writes) so addresses survive
                         restarts; without it they are recomputed from the files on each start
  --status-file FILE     JSON written on every change: VIPs and their state, interfaces,
                         promiscuous memberships, conflicts, counters (see docs/standalone.md)
  --wireless IFNAME      treat IFNAME as a WiFi interface (repeatable); also the env var
                         AIRLB_WIRELESS_INTERFACES (comma- or space-separated); AIRLB_WIRED_INTERFACES
                         forces interfaces to count as wired
  --no-wifi-promiscuous  do not hold promiscuous mode on WiFi interfaces (by default airlb does,
                         to turn off the Raspberry Pi firmware's ARP filter while it runs)
  --no-verify-announcements
                         do not probe other nodes' VIPs nor move a VIP nobody hears (by default
                         airlb does; without it the election is MetalLB's, liveness only)
  --bgp-listen ADDR:PORT where BGP accepts the peers' connections (default [::]:179); 'off'
                         only connects out (when another BGP daemon owns port 179)
  --arp-offload M        who answers ARP for this node's VIPs: 'auto' (default) an eBPF program at
                         tc ingress, attached by a TCX link that the kernel removes when the
                         speaker dies (Linux 6.6+, CAP_BPF and CAP_NET_ADMIN), else the addon's
                         fast path, with the reason logged; 'kernel' the eBPF program or nothing
                         (an interface where it cannot attach is not used); 'native' the addon's
                         fast path in the speaker
  --log-format F         json or text (default text), to stderr
  --log-level L          debug, info, warn or error (default info)
  -h, --help             this text

Signals:
  SIGHUP                 reload the files now; an invalid configuration is rejected with its
                         problems logged and the running one stays
  SIGTERM, SIGINT        stop answering, close BGP sessions (Cease), close sockets, write the
                         final status, exit 0

Exit status: 0 after SIGTERM/SIGINT, 1 when the first configuration is invalid or unreadable
or the process lacks CAP_NET_RAW, 2 for wrong usage.
`;

const options = {
  file: { type: 'string', short: 'f', multiple: true },
  node: { type: 'string' },
  state: { type: 'string' },
  'status-file': { type: 'string' },
  wireless: { type: 'string', multiple: true },
  'no-wifi-promiscuous': { type: 'boolean' },
  'no-verify-announcements': { type: 'boolean' },
  'bgp-listen': { type: 'string' },
  'arp-offload': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--bgp-listen`: "off", "[ADDR]:PORT" or "ADDR:PORT" (IPv4). */
function parseBgpListen(text: string | undefined): { address: string; port: number } | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'off') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  const address = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (address === undefined || parseIp(address) === null || !(port >= 1 && port <= 65535)) {
    throw new UsageError(`standalone: --bgp-listen must be 'off', ADDR:PORT or [IPV6]:PORT, not '${text}'`);
  }
  return { address, port };
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('standalone', args, options);
  const paths = (values.file ?? []).map((p) => resolve(io.cwd, p));
  if (paths.length === 0) throw new UsageError(`standalone: -f PATH is required (see 'airlb standalone --help')`);
  const format = values['log-format'] ?? 'text';
  const level = values['log-level'] ?? 'info';
  if (!isLogFormat(format)) throw new UsageError(`standalone: --log-format must be json or text, not '${format}'`);
  if (!isLogLevel(level)) throw new UsageError(`standalone: --log-level must be debug, info, warn or error, not '${level}'`);
  const node = values.node ?? hostname();
  const bgpListen = parseBgpListen(values['bgp-listen']);
  if (node === '') throw new UsageError('standalone: --node must not be empty');
  const arpOffload = values['arp-offload'] ?? 'auto';
  if (!isArpOffloadMode(arpOffload)) throw new UsageError(`standalone: --arp-offload must be auto, kernel or native, not '${arpOffload}'`);

  const logger = createLogger({ format, level, write: (line) => io.stderr.write(line) }).child({ node });
  const fromEnv = classifierOverridesFromEnv(io.env as NodeJS.ProcessEnv);
  const classifier = withOverrides((f) => classifyInterface(f), {
    wireless: [...(fromEnv.wireless ?? []), ...(values.wireless ?? [])],
    wired: fromEnv.wired ?? [],
  });

  await requirePacketAccess();
  const stop = terminated();
  let speaker: StandaloneSpeaker;
  try {
    speaker = await StandaloneSpeaker.start({
      paths,
      node,
      statePath: values.state === undefined ? null : resolve(io.cwd, values.state),
      statusPath: values['status-file'] === undefined ? null : resolve(io.cwd, values['status-file']),
      logger,
      link: packetLinkLayer((ifname, err) => logger.warn('packet socket error', { ifname, error: err.message, errno: err.errno }), { mode: arpOffload, logger }),
      classifier,
      wifiPromiscuous: values['no-wifi-promiscuous'] !== true,
      verifyAnnouncements: values['no-verify-announcements'] !== true,
      ...(bgpListen === undefined ? {} : { bgpListen }),
    });
  } catch (err) {
    if (err instanceof ConfigRejectedError) {
      for (const issue of err.issues) io.stderr.write(`${issue}\n`);
      io.stderr.write(`airlb standalone: the configuration has ${err.issues.length} problem(s); nothing is announced\n`);
      return 1;
    }
    throw err;
  }
  logger.info('running', { pid: process.pid, files: paths.join(',') });
  const signal = await stop;
  logger.info('stopping', { signal });
  await speaker.stop();
  logger.info('stopped');
  return 0;
}

export const standaloneCommand: Command = {
  name: 'standalone',
  help,
  run,
};
