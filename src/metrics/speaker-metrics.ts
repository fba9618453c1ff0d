import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineCounters } from '../standalone/engine.js';

/** What the speaker metrics read at scrape time. */
export interface SpeakerMetricsSource {
  readonly node: string;
  counters(): EngineCounters;
  /** service "namespace/name" and ip of every announcement this node makes (protocol default layer2). */
  announced(): readonly { readonly service: string; readonly ip: string; readonly protocol?: 'layer2' | 'bgp' }[];
  uplink(): 'wired' | 'wireless' | null;
  apiConnected(): boolean;
}

function sum(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * The speaker's metrics, read from the engine when Prometheus scrapes (nothing is counted twice).
 * MetalLB names where MetalLB has the metric: metallb_speaker_announced keeps its labels;
 * airlb's layer-2 counters are per node rather than per address (the engine counts by reason,
 * not by VIP), so the metallb_layer2_* series carry no ip label.
 */
export function registerSpeakerMetrics(registry: Registry, source: SpeakerMetricsSource): { takeovers: Counter } {
  const registers = [registry];
  const totalOf = (name: string, help: string, read: (c: EngineCounters) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(source.counters()));
      },
    });
  };
  new Gauge({
    name: 'metallb_speaker_announced',
    help: 'Services being announced from this node (1 per service and address)',
    labelNames: ['ip', 'node', 'protocol', 'service'],
    registers,
    collect() {
      this.reset();
      for (const a of source.announced()) this.set({ ip: a.ip, node: source.node, protocol: a.protocol ?? 'layer2', service: a.service }, 1);
    },
  });
  totalOf('metallb_layer2_requests_received', 'ARP requests and neighbor solicitations received (every decision, answered or not)', (c) => sum(c.arp) + sum(c.ns));
  totalOf('metallb_layer2_responses_sent', 'ARP replies and neighbor advertisements sent in answer to a request', (c) => c.sent.reply);
  totalOf('metallb_layer2_gratuitous_sent', 'Gratuitous ARP and unsolicited neighbor advertisements sent', (c) => c.sent.gratuitous);
  totalOf('airlb_l2_conflicts_total', 'Times another host claimed an address this node announces', (c) => c.conflicts);
  totalOf('airlb_l2_send_errors_total', 'Frames the packet socket refused to send', (c) => c.sendErrors);
  totalOf('airlb_l2_malformed_frames_total', 'Received frames that failed to decode', (c) => c.malformed);
  new Gauge({
    name: 'airlb_uplink_info',
    help: 'The uplink kind of this node (1 for the detected kind; absent while unknown)',
    labelNames: ['node', 'kind'],
    registers,
    collect() {
      this.reset();
      const kind = source.uplink();
      if (kind !== null) this.set({ node: source.node, kind }, 1);
    },
  });
  new Gauge({
    name: 'airlb_k8s_api_connected',
    help: '1 when every informer has a working watch on the API server',
    registers,
    collect() {
      this.set(source.apiConnected() ? 1 : 0);
    },
  });
  const takeovers = new Counter({ name: 'airlb_l2_takeovers_total', help: 'Services this node started announcing (failovers to it, and first elections)', registers });
  return { takeovers };
}
