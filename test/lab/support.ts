import { randomBytes } from 'node:crypto';
import { Lab, type LabOptions } from '../../src/lab/lab.js';
import { defaultTopology, type Topology } from '../../src/lab/topology.js';

/** A prefix no other test or lab uses: `alb` + 4 random hex digits (docs/architecture.md). */
export function uniquePrefix(): string {
  return `alb${randomBytes(2).toString('hex')}`;
}

/**
 * Brings a lab up for one test file. `cleanup` removes it even when `up` failed half-way or a
 * test threw: it sweeps by prefix, not through the Lab object.
 */
export async function startLab(topology: Topology = defaultTopology(), options: LabOptions = {}): Promise<{ lab: Lab; cleanup: () => Promise<void> }> {
  const prefix = options.prefix ?? uniquePrefix();
  let lab: Lab | undefined;
  const cleanup = async (): Promise<void> => {
    await lab?.close();
    await Lab.down({ prefix });
  };
  try {
    lab = await Lab.up(topology, { ...options, prefix });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { lab, cleanup };
}

/** How many ARP replies `arping` from `from` gets for `ip` (one probe, 1 s at most). */
export async function arpReplies(lab: Lab, from: string, ip: string): Promise<number> {
  const result = await lab.exec(from, ['arping', '-c', '1', '-w', '1', '-I', lab.node(from).iface, ip]);
  const match = /Received (\d+) response/.exec(result.stdout);
  if (match === null) throw new Error(`unexpected arping output: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

/** Whether one ping from `from` to `ip` gets an answer within a second. */
export async function pings(lab: Lab, from: string, ip: string): Promise<boolean> {
  return (await lab.exec(from, ['ping', '-c', '1', '-W', '1', ip])).code === 0;
}

/** Adds an address (a VIP-like extra IP) to a node's LAN interface. */
export async function addAddress(lab: Lab, node: string, cidr: string): Promise<void> {
  const r = await lab.exec(node, ['ip', 'addr', 'add', cidr, 'dev', lab.node(node).iface, ...(cidr.includes(':') ? ['nodad'] : [])]);
  if (r.code !== 0) throw new Error(`ip addr add ${cidr} on ${node}: ${r.stderr}`);
}

export async function removeAddress(lab: Lab, node: string, cidr: string): Promise<void> {
  await lab.exec(node, ['ip', 'addr', 'del', cidr, 'dev', lab.node(node).iface]);
}
