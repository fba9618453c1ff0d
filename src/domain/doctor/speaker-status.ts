import type { AllocationFacts, AnnouncementFacts, DoctorFacts, Uplink } from './facts.js';
import { bool, fail, object, str, strings, strOrNull, type Json } from './json-read.js';
import { allocationFacts } from './recording.js';

/**
 * The part of a standalone speaker's status file (`airlb standalone --status-file`, format in
 * docs/standalone.md) the doctor, `verify` and `arp-pin` read: which node it is, which VIPs it
 * has claimed and on which interfaces, and each interface's MAC and kind.
 */
export interface SpeakerStatusView {
  readonly node: string;
  readonly running: boolean;
  readonly vips: readonly { readonly ip: string; readonly state: string; readonly answeringOn: readonly string[] }[];
  readonly interfaces: readonly { readonly name: string; readonly kind: string; readonly mac: string }[];
  readonly allocations: readonly AllocationFacts[];
  readonly elsewhere: readonly { readonly ip: string; readonly node: string | null; readonly reason: string }[];
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, 'a list');
  return value;
}

export function parseSpeakerStatus(value: unknown, source: string): SpeakerStatusView {
  const o = object(value, source);
  const each = <T>(key: string, read: (e: Json, path: string) => T): T[] => list(o[key], `${source}.${key}`).map((e, i) => read(object(e, `${source}.${key}[${i}]`), `${source}.${key}[${i}]`));
  return {
    node: str(o['node'], `${source}.node`),
    running: bool(o['running'], `${source}.running`),
    vips: each('vips', (e, p) => ({ ip: str(e['ip'], `${p}.ip`), state: str(e['state'], `${p}.state`), answeringOn: strings(e['answeringOn'] ?? [], `${p}.answeringOn`) })),
    interfaces: each('interfaces', (e, p) => ({ name: str(e['name'], `${p}.name`), kind: str(e['kind'], `${p}.kind`), mac: str(e['mac'], `${p}.mac`).toLowerCase() })),
    allocations: each('allocations', allocationFacts),
    elsewhere: each('elsewhere', (e, p) => ({ ip: str(e['ip'], `${p}.ip`), node: strOrNull(e['node'], `${p}.node`), reason: str(e['reason'], `${p}.reason`) })),
  };
}

/** The running speaker that has claimed `vip`, and the interface and MAC it answers with. */
export function ownerOf(vip: string, statuses: readonly SpeakerStatusView[]): { readonly node: string; readonly interface: string; readonly mac: string; readonly kind: string }[] {
  const owners = [];
  for (const s of statuses) {
    if (!s.running) continue;
    const v = s.vips.find((x) => x.ip === vip && x.state === 'claimed');
    for (const name of v?.answeringOn ?? []) {
      const iface = s.interfaces.find((i) => i.name === name);
      if (iface !== undefined) owners.push({ node: s.node, interface: name, mac: iface.mac, kind: iface.kind });
    }
  }
  return owners;
}

const uplinkOf = (kind: string): Uplink => (kind === 'wired' || kind === 'wireless' ? kind : 'unknown');

/**
 * Facts with the speakers' own word merged in: every interface MAC names its node; the speaker
 * that claimed the VIP is the announcer (live state beats the offline plan); a speaker that says
 * another node announces it, or nobody and why, fills in an announcement the plan did not give.
 */
export function mergeSpeakerStatuses(facts: DoctorFacts, statuses: readonly SpeakerStatusView[]): DoctorFacts {
  const nodeMacs: Record<string, string> = { ...facts.nodeMacs };
  for (const s of statuses) for (const i of s.interfaces) if (i.mac !== '') nodeMacs[i.mac] = s.node;
  const vip = facts.vip;
  if (vip === null) return { ...facts, nodeMacs };
  const owner = ownerOf(vip, statuses)[0];
  const nodeIp = (node: string | null): string | null => (facts.announcement?.node === node ? facts.announcement?.nodeIp ?? null : null);
  let announcement: AnnouncementFacts | null = facts.announcement;
  if (owner !== undefined) {
    announcement = { node: owner.node, reason: 'claimed', interface: owner.interface, mac: owner.mac, uplink: uplinkOf(owner.kind), nodeIp: nodeIp(owner.node) };
  } else if (announcement === null) {
    const elsewhere = statuses.flatMap((s) => s.elsewhere).find((e) => e.ip === vip);
    if (elsewhere !== undefined) announcement = { node: elsewhere.node, reason: elsewhere.reason, interface: null, mac: null, uplink: 'unknown', nodeIp: null };
  }
  const allocation = facts.allocation ?? statuses.flatMap((s) => s.allocations).find((a) => a.ips.includes(vip)) ?? null;
  return { ...facts, nodeMacs, announcement, allocation };
}
