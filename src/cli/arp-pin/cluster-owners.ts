import type { Logger } from '../../io/logger.js';
import { probeArp } from '../../io/doctor/arp-probe.js';
import type { LocalInterface } from '../../io/doctor/local-interface.js';
import { systemClock } from '../../io/system-clock.js';
import { HttpTransport } from '../../k8s/http-transport.js';
import type { Connection } from '../../k8s/connection.js';
import { Informer } from '../../k8s/informer.js';
import { RESOURCES } from '../../k8s/resources.js';
import { chooseOwner, reportedOwners } from '../../k8s/vip-owner.js';

/**
 * arp-pin's view of the cluster: informers (list, then watch) on Services, ServiceL2Status objects
 * and Nodes, so a failover reaches it as soon as the new owner writes its ServiceL2Status, without
 * listing everything every interval. The owner's MAC is learned by ARP for its Node's InternalIP
 * from this machine: the Kubernetes objects carry no MAC, and the node answers for its own address
 * with the MAC it announces VIPs with on that network (an AP doing proxy ARP answers with the
 * station's MAC too).
 */
export class ClusterOwners {
  private readonly informers: readonly Informer[];
  private readonly services: Informer;
  private readonly l2Statuses: Informer;
  private readonly nodes: Informer;

  constructor(connection: Connection, namespace: string, logger: Logger) {
    // HttpTransport, as the speaker: arp-pin runs on small clients too (docs/kubernetes.md).
    const transport = new HttpTransport(connection, systemClock);
    const common = { transport, clock: systemClock, logger };
    this.services = new Informer({ ...common, type: RESOURCES.service });
    this.l2Statuses = new Informer({ ...common, type: RESOURCES.serviceL2Status, namespace });
    this.nodes = new Informer({ ...common, type: RESOURCES.node });
    this.informers = [this.services, this.l2Statuses, this.nodes];
    for (const i of this.informers) i.start();
  }

  /** Resolves once every informer listed once (or never, while the API server is unreachable). */
  get synced(): Promise<void> {
    return Promise.all(this.informers.map((i) => i.synced)).then(() => undefined);
  }

  /** The node announcing `vip` and its MAC, or null while that is unknown (no report, no MAC). */
  async owner(vip: string, from: LocalInterface): Promise<{ node: string; mac: string } | null> {
    const reported = reportedOwners(vip, this.services.list(), this.l2Statuses.list(), this.nodes.list());
    const known: { node: string; mac: string }[] = [];
    for (const r of reported) {
      if (r.address === null) continue;
      const probe = await probeArp({ from, target: r.address, count: 1, waitMs: 300 });
      if (probe.macs.length === 1) known.push({ node: r.node, mac: probe.macs[0]! });
    }
    if (known.length <= 1) return chooseOwner(known, null);
    // Two nodes report it (a takeover, or a dead speaker's leftover): ask who answers for the VIP.
    const vipProbe = await probeArp({ from, target: vip, count: 1, waitMs: 300 });
    return chooseOwner(known, vipProbe.macs);
  }

  close(): void {
    for (const i of this.informers) i.stop();
  }
}
