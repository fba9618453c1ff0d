import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { basename, join } from 'node:path';
import type { Clock, Timer } from '../domain/clock.js';
import { canonicalIp } from '../domain/net/ip.js';
import type { ClassifierOverrides, InterfaceAddress, InterfaceFacts } from '../domain/l2/interfaces.js';
import { AirlbError } from '../errors.js';
import { systemClock } from './system-clock.js';

/**
 * Reads the node's interfaces: link facts from /sys/class/net (the kernel's own view, no
 * subprocess, no netlink addon) and addresses from getifaddrs(3) through os.networkInterfaces().
 * Both are per network namespace — /sys because `ip netns exec` and a pod's hostNetwork mount the
 * namespace's sysfs — so run inside the namespace whose interfaces you want.
 */
export interface ReadInterfacesOptions {
  /** Default /sys/class/net. */
  readonly sysfsRoot?: string;
  /** Default os.networkInterfaces. */
  readonly addresses?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO';
}

/** Whether the entry is there; a link counts even if its target is not (presence is the marker). */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
}

async function linkTarget(path: string): Promise<string | null> {
  try {
    return basename(await readlink(path));
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

function devtypeOf(uevent: string): string | null {
  for (const line of uevent.split('\n')) {
    if (line.startsWith('DEVTYPE=')) return line.slice('DEVTYPE='.length).trim();
  }
  return null;
}

function addressesOf(infos: readonly NetworkInterfaceInfo[] | undefined): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const info of infos ?? []) {
    const address = canonicalIp(info.address);
    const slash = info.cidr?.lastIndexOf('/') ?? -1;
    if (address === null || info.cidr === null || slash < 0) continue;
    out.push({ address, prefixLength: Number(info.cidr.slice(slash + 1)) });
  }
  return out;
}

async function readOne(dir: string, name: string, addresses: readonly NetworkInterfaceInfo[] | undefined): Promise<InterfaceFacts> {
  const text = async (file: string): Promise<string> => (await readFile(join(dir, file), 'utf8')).trim();
  // Independent reads, issued together: a node with many pod veths has a hundred interfaces.
  const [ifindex, type, address, operstate, flags, uevent, hasWirelessDir, hasPhy80211, master, hasDevice] = await Promise.all([
    text('ifindex'),
    text('type'),
    text('address'),
    text('operstate'),
    text('flags'),
    text('uevent'),
    exists(join(dir, 'wireless')),
    exists(join(dir, 'phy80211')),
    linkTarget(join(dir, 'master')),
    exists(join(dir, 'device')),
  ]);
  return {
    name,
    ifindex: Number(ifindex),
    type: Number(type),
    mac: address.toLowerCase(),
    operstate,
    flags: parseInt(flags, 16),
    devtype: devtypeOf(uevent),
    hasWirelessDir,
    hasPhy80211,
    master,
    softwareDevice: !hasDevice,
    addresses: addressesOf(addresses),
  };
}

/** Every interface's facts, sorted by name. An interface that vanishes while being read is left out. */
export async function readInterfaceFacts(options: ReadInterfacesOptions = {}): Promise<InterfaceFacts[]> {
  const root = options.sysfsRoot ?? '/sys/class/net';
  const addresses = (options.addresses ?? networkInterfaces)();
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    throw new AirlbError('interfaces-unreadable', `cannot list ${root}: ${(err as Error).message}; airlb needs sysfs mounted (a pod needs hostNetwork)`, { cause: err });
  }
  const read = await Promise.all(
    names.sort().map(async (name) => {
      try {
        return await readOne(join(root, name), name, addresses[name]);
      } catch (err) {
        if (isGone(err)) return null;
        throw new AirlbError('interfaces-unreadable', `cannot read ${join(root, name)}: ${(err as Error).message}`, { cause: err });
      }
    }),
  );
  return read.filter((facts): facts is InterfaceFacts => facts !== null);
}

/**
 * Interfaces whose kind is forced, from the environment: AIRLB_WIRELESS_INTERFACES and
 * AIRLB_WIRED_INTERFACES, each a comma- or space-separated list of names. The lab sets the first
 * for its veth "WiFi" nodes; a user sets the second to rescue an uplink the rules call virtual.
 */
export function classifierOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): ClassifierOverrides {
  const list = (value: string | undefined): string[] => (value ?? '').split(/[\s,]+/).filter((s) => s !== '');
  return { wireless: list(env['AIRLB_WIRELESS_INTERFACES']), wired: list(env['AIRLB_WIRED_INTERFACES']) };
}

export interface InterfaceWatchOptions {
  /** Default 2000 ms. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly read?: () => Promise<InterfaceFacts[]>;
  /** Called with the first scan, then whenever anything in the facts changes. */
  readonly onChange: (facts: InterfaceFacts[]) => void;
  /** A failed scan; the watcher keeps polling. */
  readonly onError: (err: unknown) => void;
}

export interface InterfaceWatcher {
  close(): void;
}

/**
 * Rescans every `intervalMs` and reports changes (an address added, a link going down, a new
 * interface). Polling rather than netlink: Node has no netlink socket without another addon, and
 * `ip monitor` would be a child process to babysit; a scan is a few dozen small sysfs reads.
 */
export function watchInterfaces(options: InterfaceWatchOptions): InterfaceWatcher {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 2000;
  const read = options.read ?? (() => readInterfaceFacts());
  let last: string | null = null;
  let timer: Timer | null = null;
  let closed = false;
  const scan = async (): Promise<void> => {
    try {
      const facts = await read();
      const fingerprint = JSON.stringify(facts);
      if (!closed && fingerprint !== last) {
        last = fingerprint;
        options.onChange(facts);
      }
    } catch (err) {
      if (!closed) options.onError(err);
    }
    if (!closed) timer = clock.setTimeout(() => void scan(), intervalMs);
  };
  void scan();
  return {
    close(): void {
      closed = true;
      timer?.cancel();
    },
  };
}
