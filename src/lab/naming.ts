import { createHash } from 'node:crypto';
import { AirlbError } from '../errors.js';

/**
 * How a lab names what it creates. Everything lives in namespaces called `<prefix>-<name>`, so
 * `lab down` can find a crashed run's leftovers by prefix alone. The prefix has no dash, which
 * keeps `<prefix>-` unambiguous: prefix `lab` never sweeps the namespaces of prefix `lab2`.
 */
export const defaultPrefix = 'airlb';
const prefixPattern = /^[a-z][a-z0-9]{0,11}$/;

export function checkPrefix(prefix: string): string {
  if (!prefixPattern.test(prefix)) {
    throw new AirlbError('lab-bad-prefix', `lab prefix '${prefix}' must be 1-12 lowercase letters and digits starting with a letter (no dashes)`);
  }
  return prefix;
}

/** The namespace of a node, or of the AP for the name `ap`. */
export function netnsName(prefix: string, name: string): string {
  return `${prefix}-${name}`;
}

export function apNetns(prefix: string): string {
  return netnsName(prefix, 'ap');
}

/** True when `netns` belongs to the lab with this prefix. */
export function ownsNetns(prefix: string, netns: string): boolean {
  return netns.startsWith(`${prefix}-`);
}

/** The bridge that plays the AP, inside the AP's namespace. */
export const bridgeName = 'br0';

/** The nftables table (bridge family, in the AP namespace) holding every per-port filter. */
export function apTableName(prefix: string): string {
  return `${prefix}_ap`;
}

/**
 * A stable, locally administered unicast MAC for node number `index` (IEEE 802 §8.2: bit 1 of
 * the first octet set = local, bit 0 clear = unicast). Derived from the prefix so two labs differ
 * and a test can predict each node's MAC.
 */
export function macFor(prefix: string, index: number): string {
  const h = createHash('sha256').update(prefix).digest();
  const bytes = [0x02, 0xa1, h[0]!, h[1]!, h[2]!, index & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Where a lab records what it created, so status/exec/down work from another process. */
export const defaultStateDir = '/run/airlb-lab';
