import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlbError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../io/state-file.js';
import type { ApBehaviours, Topology } from './topology.js';

/**
 * What a running lab is, on disk (/run/airlb-lab/<prefix>.json): the topology it was built from
 * and what changed at run time. Any process can read it to run `status`, `exec` or `down`, and
 * any process that changes a behaviour writes it back, so the nft ruleset can always be rebuilt
 * from this file alone.
 */
export interface NodeRuntime {
  /** The WiFi port's current behaviours (null for wired ports). */
  readonly behaviours: ApBehaviours | null;
  readonly partitioned: boolean;
}

/** What the lab last saw on a firmware-filtered interface. */
export interface InterfaceObservation {
  /** IFF_PROMISC in the device's real flags: set by `ip link set promisc on` or by any packet socket's PACKET_MR_PROMISC. */
  readonly promiscuous: boolean;
  /** IPv4 addresses on the interface, in the kernel's order. */
  readonly ipv4: readonly string[];
}

export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly createdAt: string;
  /** The process that ran `up` (and watches promiscuous flags while it lives). */
  readonly ownerPid: number;
  readonly topology: Topology;
  readonly runtime: Readonly<Record<string, NodeRuntime>>;
  readonly observed: Readonly<Record<string, InterfaceObservation>>;
}

export function statePath(stateDir: string, prefix: string): string {
  return join(stateDir, `${prefix}.json`);
}

export async function writeState(stateDir: string, state: LabState): Promise<void> {
  await writeJsonAtomic(statePath(stateDir, state.prefix), state);
}

/** The lab's state, or undefined when no lab with this prefix is recorded. */
export async function readState(stateDir: string, prefix: string): Promise<LabState | undefined> {
  const path = statePath(stateDir, prefix);
  const raw = await readJsonIfExists(path);
  if (raw === undefined) return undefined;
  const candidate = raw as Partial<LabState>;
  if (candidate.version !== 1 || candidate.prefix !== prefix || typeof candidate.topology !== 'object' || typeof candidate.runtime !== 'object') {
    throw new AirlbError('lab-state-corrupt', `${path} is not a lab state file of this airlb version; run 'airlb lab down --prefix ${prefix}' to sweep the lab by prefix`);
  }
  return { ...candidate, observed: candidate.observed ?? {} } as LabState;
}

export async function removeState(stateDir: string, prefix: string): Promise<void> {
  await rm(statePath(stateDir, prefix), { force: true });
}
