import type { PlanEntry, PreviousAssignment } from '../domain/allocator/plan.js';
import { AirlbError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../io/state-file.js';

/**
 * The standalone state file: which addresses each Service holds, so a restart (or a reload that
 * reorders Services) gives every Service the address it had. Format, version 1:
 *
 *   { "version": 1, "services": { "NAMESPACE/NAME": { "ips": ["192.168.1.240"], "pool": "lan" } } }
 *
 * Written atomically (src/io/state-file.ts), only when the allocations changed. A file of a newer
 * version is refused rather than guessed at: silently dropping it would move every VIP.
 */
export const STATE_VERSION = 1;

export interface StateFile {
  readonly version: typeof STATE_VERSION;
  readonly services: Readonly<Record<string, { readonly ips: readonly string[]; readonly pool: string }>>;
}

/** The state to persist for the allocations: Services that got addresses, keyed and sorted. */
export function stateOf(allocations: readonly PlanEntry[]): StateFile {
  const services: Record<string, { ips: readonly string[]; pool: string }> = {};
  const held = allocations.filter((e) => e.ips.length > 0 && e.pool !== null);
  held.sort((a, b) => {
    const x = `${a.namespace}/${a.name}`;
    const y = `${b.namespace}/${b.name}`;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  for (const e of held) services[`${e.namespace}/${e.name}`] = { ips: [...e.ips], pool: e.pool! };
  return { version: STATE_VERSION, services };
}

function corrupt(path: string, what: string): AirlbError {
  return new AirlbError('state-corrupt', `state file ${path}: ${what}; fix it, or move it away to start with fresh allocations`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a parsed state file and returns its assignments; `path` is for messages only. */
export function decodeState(value: unknown, path: string): PreviousAssignment[] {
  if (!isRecord(value)) throw corrupt(path, 'it is not a JSON object');
  if (value.version !== STATE_VERSION) {
    if (typeof value.version === 'number' && value.version > STATE_VERSION) {
      throw new AirlbError(
        'state-too-new',
        `state file ${path} is version ${value.version}, written by a newer airlb (this one reads version ${STATE_VERSION}); upgrade airlb or move the file away`,
      );
    }
    throw corrupt(path, `"version" must be ${STATE_VERSION}`);
  }
  if (!isRecord(value.services)) throw corrupt(path, '"services" must be an object keyed by "namespace/name"');
  const out: PreviousAssignment[] = [];
  for (const [key, entry] of Object.entries(value.services)) {
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) throw corrupt(path, `service key "${key}" is not "namespace/name"`);
    if (!isRecord(entry) || !Array.isArray(entry.ips) || !entry.ips.every((ip): ip is string => typeof ip === 'string')) {
      throw corrupt(path, `services["${key}"].ips must be a list of addresses`);
    }
    out.push({ namespace: key.slice(0, slash), name: key.slice(slash + 1), ips: entry.ips });
  }
  return out;
}

/** The assignments recorded at `path`; none when the file does not exist yet. */
export async function loadState(path: string): Promise<PreviousAssignment[]> {
  const value = await readJsonIfExists(path);
  return value === undefined ? [] : decodeState(value, path);
}

/** Same content, as JSON text: the state is rewritten only when this changes. */
export function sameState(a: StateFile, b: StateFile): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function saveState(path: string, state: StateFile): Promise<void> {
  await writeJsonAtomic(path, state);
}
