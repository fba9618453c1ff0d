import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { classifyInterface, withOverrides } from '../../domain/l2/interfaces.js';
import { UsageError } from '../../errors.js';
import { classifierOverridesFromEnv } from '../../io/interfaces.js';
import { systemClock } from '../../io/system-clock.js';
import { EventRecorder } from '../../k8s/events.js';
import { loadConnection } from '../../k8s/connection.js';
import { HttpTransport } from '../../k8s/http-transport.js';
import { KubeSpeaker } from '../../k8s/speaker.js';
import { registerBgpMetrics } from '../../metrics/bgp-metrics.js';
import { registerMembershipMetrics } from '../../metrics/membership-metrics.js';
import { registerSpeakerMetrics } from '../../metrics/speaker-metrics.js';
import { isArpOffloadMode, packetLinkLayer } from '../../standalone/packet-link.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';
import { daemonOptions, daemonSettings, processRegistry, serveMetrics } from '../controller/daemon.js';
import { terminated } from '../controller/signals.js';

const help = `Usage: airlb speaker [--kubeconfig FILE] [--node NAME] [options]

MetalLB's speaker for a Kubernetes cluster: answers ARP (IPv4) and Neighbor Discovery (IPv6) for
the addresses the election gives this node, from the Services' published addresses
(status.loadBalancer.ingress, written by 'airlb controller'), the L2Advertisements, Nodes and
EndpointSlices; and announces them over BGP to the BGPPeers that select this node, per the
BGPAdvertisements, while the Service has a ready endpoint (BGP listens on port 179; a
passwordSecret is read from a kubernetes.io/basic-auth Secret in --namespace). Writes
ServiceL2Status objects and Events (nodeAssigned, conflict, notHeard, sessionDown), and labels
its Node airlb.io/uplink=wired|wireless. Watches the other speakers with BFD on the Nodes'
InternalIPs and probes the VIPs they announce (docs/failover.md). If the API server becomes
unreachable it keeps announcing what it last knew, over layer 2 and BGP. Needs CAP_NET_RAW and
the host network. See docs/kubernetes.md.

Options:
  --kubeconfig FILE          use this kubeconfig instead of the pod's service account
  --node NAME                this node's name (default: env NODE_NAME, else the hostname)
  --namespace NS             where the metallb.io resources live (default: metallb-system,
                             or the env var METALLB_NAMESPACE)
  --lb-class NAME            also handle Services with spec.loadBalancerClass NAME
  --metrics-bind HOST:PORT   Prometheus /metrics, /healthz and /readyz (default :7472)
  --wireless IFNAME          treat IFNAME as a WiFi interface (repeatable; also the env vars
                             AIRLB_WIRELESS_INTERFACES / AIRLB_WIRED_INTERFACES)
  --no-wifi-promiscuous      do not hold promiscuous mode on WiFi interfaces
  --no-uplink-label          do not label the Node with airlb.io/uplink
  --no-membership            no BFD between the speakers: a dead node is replaced only once its
                             Node is NotReady (40 s by default); see docs/failover.md
  --no-verify-announcements  do not probe the VIPs other nodes announce (no notHeard moves)
  --arp-offload M            who answers ARP: 'auto' (default) an eBPF program attached by a TCX
                             link that dies with the speaker (Linux 6.6+, CAP_BPF and
                             CAP_NET_ADMIN), else the addon's fast path with the reason logged;
                             'kernel' the eBPF program or nothing; 'native' the addon's fast path
  --log-format F             json or text (default text), to stderr
  --log-level L              debug, info, warn or error (default info)
  -h, --help                 this text

Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start (kubeconfig, port), 2 for wrong usage.
`;

const options = {
  ...daemonOptions,
  node: { type: 'string' },
  wireless: { type: 'string', multiple: true },
  'no-wifi-promiscuous': { type: 'boolean' },
  'no-uplink-label': { type: 'boolean' },
  'no-membership': { type: 'boolean' },
  'no-verify-announcements': { type: 'boolean' },
  'arp-offload': { type: 'string' },
} as const;

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('speaker', args, options);
  const { logger, listen, namespace } = daemonSettings('speaker', values, io);
  const node = values.node ?? io.env['NODE_NAME'] ?? hostname();
  if (node === '') throw new UsageError('speaker: --node must not be empty');
  const arpOffload = values['arp-offload'] ?? 'auto';
  if (!isArpOffloadMode(arpOffload)) throw new UsageError(`speaker: --arp-offload must be auto, kernel or native, not '${arpOffload}'`);

  // Not the official client: it alone would add ≈80 MB of RSS on every node (docs/kubernetes.md).
  const transport = new HttpTransport(loadConnection(values.kubeconfig === undefined ? null : resolve(io.cwd, values.kubeconfig), io.env), systemClock);
  const fromEnv = classifierOverridesFromEnv(io.env as NodeJS.ProcessEnv);
  const classifier = withOverrides((f) => classifyInterface(f), {
    wireless: [...(fromEnv.wireless ?? []), ...(values.wireless ?? [])],
    wired: fromEnv.wired ?? [],
  });
  const registry = processRegistry();
  let takeover: () => void = () => undefined;
  const speaker = new KubeSpeaker({
    transport,
    node,
    namespace,
    loadBalancerClass: values['lb-class'] ?? null,
    clock: systemClock,
    random: Math.random,
    logger,
    link: packetLinkLayer((ifname, err) => logger.warn('packet socket error', { ifname, error: err.message, errno: err.errno }), { mode: arpOffload, logger }),
    classifier,
    wifiPromiscuous: values['no-wifi-promiscuous'] !== true,
    labelUplink: values['no-uplink-label'] !== true,
    events: new EventRecorder(transport, 'airlb-speaker', node, logger),
    onTakeover: () => takeover(),
    ...(values['no-membership'] === true ? {} : { membership: { verify: values['no-verify-announcements'] !== true } }),
    onFailover: (h) => membershipMetrics.failovers.inc({ reason: h.reason }),
    onVerificationFailure: () => membershipMetrics.verificationFailures.inc(),
  });
  const { takeovers } = registerSpeakerMetrics(registry, {
    node,
    counters: () => speaker.engineStatus().counters,
    announced: () => [
      ...speaker.announced().flatMap((v) => v.services.map((service) => ({ service, ip: v.ip }))),
      ...speaker.bgpAnnounced().map((a) => ({ ...a, protocol: 'bgp' as const })),
    ],
    uplink: () => speaker.uplinkKind,
    apiConnected: () => speaker.apiConnected,
  });
  takeover = () => takeovers.inc();
  const membershipMetrics = registerMembershipMetrics(registry, { node, status: () => speaker.membershipStatus() });
  registerBgpMetrics(registry, { sessions: () => speaker.bgpStatus().sessions });
  const stop = terminated();
  const metrics = await serveMetrics(listen, registry, () => speaker.ready);
  speaker.start();
  logger.info('starting', { node, namespace, metricsPort: metrics.port, pid: process.pid });
  const signal = await stop;
  logger.info('stopping', { signal });
  await speaker.stop();
  await metrics.close();
  return 0;
}

export const speakerCommand: Command = {
  name: 'speaker',
  help,
  run,
};
