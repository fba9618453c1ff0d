import { firmwareAnswers } from './apply-behaviours.js';
import { nodeMac } from './apply-topology.js';
import type { Runner } from './exec.js';
import { apNetns, bridgeName, netnsName } from './naming.js';
import type { LabState } from './state.js';
import type { ApBehaviours, NodeRole, PortKind } from './topology.js';

/** What `airlb lab status` reports: the recorded lab, checked against what really exists. */
export type FirmwareFilterState = 'off' | 'filtering' | 'lifted (promiscuous)';

export interface InterfaceStatus {
  readonly present: boolean;
  readonly mac: string | null;
  /** ADDRESS/PREFIXLEN, IPv4 then IPv6, as the kernel lists them. */
  readonly addresses: readonly string[];
}

export interface NodeStatus extends InterfaceStatus {
  readonly name: string;
  readonly role: NodeRole;
  readonly port: PortKind;
  readonly netns: string;
  readonly iface: string;
  /** The MAC the lab assigned; `mac` is what the interface has now. */
  readonly assignedMac: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly behaviours: ApBehaviours | null;
  readonly partitioned: boolean;
  readonly firmwareFilter: FirmwareFilterState;
  /** Addresses the emulated firmware still answers ARP for (when filtering). */
  readonly firmwareAnswers: readonly string[];
}

export interface LabStatus {
  readonly prefix: string;
  readonly createdAt: string;
  readonly ownerPid: number;
  /** Whether the process that ran `up` (and watches promiscuous flags) is still running. */
  readonly ownerAlive: boolean;
  readonly vipPool: string | null;
  readonly ap: InterfaceStatus & { readonly netns: string; readonly bridge: string };
  readonly nodes: readonly NodeStatus[];
}

interface IpAddrJson {
  address?: string;
  addr_info?: { local?: string; prefixlen?: number; family?: string; scope?: string }[];
}

async function interfaceStatus(runner: Runner, netns: string, dev: string): Promise<InterfaceStatus> {
  const result = await runner.run(['ip', '-n', netns, '-j', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (result.code !== 0 || result.stdout.trim() === '') return { present: false, mac: null, addresses: [] };
  const link = (JSON.parse(result.stdout) as IpAddrJson[])[0];
  const infos = (link?.addr_info ?? []).filter((a) => a.scope !== 'link' && a.local !== undefined);
  const ordered = [...infos.filter((a) => a.family === 'inet'), ...infos.filter((a) => a.family !== 'inet')];
  return { present: link !== undefined, mac: link?.address ?? null, addresses: ordered.map((a) => `${a.local}/${a.prefixlen}`) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function collectStatus(runner: Runner, state: LabState): Promise<LabStatus> {
  const { prefix, topology } = state;
  const ap = apNetns(prefix);
  const [apIface, ...nodeIfaces] = await Promise.all([
    interfaceStatus(runner, ap, bridgeName),
    ...topology.nodes.map((n) => interfaceStatus(runner, netnsName(prefix, n.name), n.iface)),
  ]);
  const nodes = topology.nodes.map((n, i): NodeStatus => {
    const runtime = state.runtime[n.name];
    const behaviours = runtime?.behaviours ?? null;
    const answers = firmwareAnswers(behaviours, state.observed[n.name], n.ipv4);
    const firmwareFilter: FirmwareFilterState = !behaviours?.firmwareFilter ? 'off' : answers === null ? 'lifted (promiscuous)' : 'filtering';
    return {
      name: n.name,
      role: n.role,
      port: n.port,
      netns: netnsName(prefix, n.name),
      iface: n.iface,
      assignedMac: nodeMac(prefix, topology, n),
      labels: n.labels,
      behaviours,
      partitioned: runtime?.partitioned ?? false,
      firmwareFilter,
      firmwareAnswers: answers ?? [],
      ...nodeIfaces[i]!,
    };
  });
  return {
    prefix,
    createdAt: state.createdAt,
    ownerPid: state.ownerPid,
    ownerAlive: processAlive(state.ownerPid),
    vipPool: topology.vipPool,
    ap: { netns: ap, bridge: bridgeName, ...apIface! },
    nodes,
  };
}
