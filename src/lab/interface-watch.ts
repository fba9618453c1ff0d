import type { Clock, Timer } from '../domain/clock.js';
import { describeError } from '../errors.js';
import type { Runner } from './exec.js';
import type { InterfaceObservation } from './state.js';

/**
 * Emulates the firmware's view of a node's WiFi interface: the real brcmfmac driver turns its ARP
 * offload off when the interface becomes promiscuous (brcmf_configure_arp_nd_offload(ifp,
 * !promisc)) and offloads exactly the addresses configured on it. nftables cannot test
 * IFF_PROMISC, so the lab polls each interface (`ip -d -j addr show`) and reports changes; the
 * lab then rebuilds the AP ruleset. Latency: one poll interval plus one `ip` and one `nft` run
 * (docs/lab.md has the measured figure).
 *
 * `promiscuity` (IFLA_PROMISCUITY) is the counter that packet sockets and tcpdump raise; the
 * PROMISC word in `ip link`'s flags shows only `ip link set promisc on`, so the counter is what
 * matches the driver's view.
 */
export interface WatchTarget {
  readonly node: string;
  readonly netns: string;
  readonly iface: string;
}

interface IpAddrJson {
  flags?: string[];
  promiscuity?: number;
  addr_info?: { family?: string; local?: string }[];
}

export function parseObservation(json: string): InterfaceObservation | null {
  const links = JSON.parse(json) as IpAddrJson[];
  const link = links[0];
  if (link === undefined) return null;
  return {
    promiscuous: (link.promiscuity ?? 0) > 0 || (link.flags ?? []).includes('PROMISC'),
    ipv4: (link.addr_info ?? []).filter((a) => a.family === 'inet' && a.local !== undefined).map((a) => a.local!),
  };
}

/** One look at an interface: its promiscuity and IPv4 addresses (null when it is gone). */
export async function observeInterface(runner: Runner, target: WatchTarget): Promise<InterfaceObservation | null> {
  const { code, stdout } = await runner.run(['ip', '-n', target.netns, '-d', '-j', 'addr', 'show', 'dev', target.iface], { allowFailure: true });
  return code === 0 ? parseObservation(stdout) : null;
}

function same(a: InterfaceObservation | undefined, b: InterfaceObservation): boolean {
  return a !== undefined && a.promiscuous === b.promiscuous && a.ipv4.join(',') === b.ipv4.join(',');
}

export class InterfaceWatcher {
  private readonly last = new Map<string, InterfaceObservation>();
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly runner: Runner,
    private readonly clock: Clock,
    /** Asked before every poll: the interfaces whose firmware filter is currently on. */
    private readonly targets: () => readonly WatchTarget[],
    private readonly intervalMs: number,
    private readonly onChange: (changes: ReadonlyMap<string, InterfaceObservation>) => Promise<void>,
  ) {}

  /** Takes a first observation of every target (reported as a change), then polls. */
  async start(): Promise<void> {
    await this.poll();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.running = this.poll()
        .catch((err: unknown) => this.runner.logger.warn('lab interface poll failed', { error: describeError(err) }))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.intervalMs);
  }

  private async poll(): Promise<void> {
    const changes = new Map<string, InterfaceObservation>();
    await Promise.all(
      this.targets().map(async (t) => {
        const seen = await observeInterface(this.runner, t);
        if (seen !== null && !same(this.last.get(t.node), seen)) changes.set(t.node, seen);
      }),
    );
    if (this.stopped || changes.size === 0) return;
    for (const [node, seen] of changes) this.last.set(node, seen);
    await this.onChange(changes);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }
}
