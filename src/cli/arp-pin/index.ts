import { resolve } from 'node:path';
import { ownerOf } from '../../domain/doctor/speaker-status.js';
import { parseIp } from '../../domain/net/ip.js';
import { describeError, UsageError } from '../../errors.js';
import { probeArp } from '../../io/doctor/arp-probe.js';
import { localInterfaceFor, type LocalInterface } from '../../io/doctor/local-interface.js';
import { pinNeighbour, unpinNeighbour } from '../../io/doctor/neighbours.js';
import { readSpeakerStatuses } from '../../io/doctor/status-files.js';
import { createLogger } from '../../io/logger.js';
import { loadConnection } from '../../k8s/connection.js';
import { parseCommandArgs } from '../args.js';
import { ClusterOwners } from './cluster-owners.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';

const help = `Usage: airlb arp-pin --vip IP [--vip IP ...] [--kubeconfig FILE | --in-cluster | --status-file FILE ...]
                     [--interval-ms N] [--json]

The static-ARP fix (field guide Solution 1) that survives failover: keeps this machine's neighbour
(ARP) entry for each VIP pointing at the MAC of the node that owns it now, re-pins it when the VIP
moves, and removes every entry it made on exit (SIGINT, SIGTERM). Needs root (CAP_NET_ADMIN to
change the ARP table, CAP_NET_RAW to probe).

Where the owner comes from, every interval:
  --kubeconfig FILE   Kubernetes mode: the node whose ServiceL2Status reports the Service holding
  --in-cluster        the VIP (watched, so a failover shows at once), and the MAC that node's
                      InternalIP answers ARP with from here; --in-cluster uses the pod's service
                      account (needs get/list/watch on services, nodes and servicel2statuses)
  --status-file FILE  standalone mode: the speakers' status files (repeatable; e.g. on a shared
                      folder or synced by a timer): the speaker that claimed the VIP and its MAC
  otherwise           an ARP probe from this machine; exactly one MAC must answer (when ARP for the
                      VIP is blocked altogether, only the cluster or status files can tell)
While no owner is known the last pin stays: a failover in progress must not leave the VIP unreachable.

Options:
  --vip IP            a VIP to pin (repeatable)
  --interface IFACE   the interface the entries go on (default: the one on each VIP's subnet)
  --namespace NS      where the ServiceL2Status objects live (default: metallb-system, or the env
                      var METALLB_NAMESPACE)
  --interval-ms N     how often to look (default 1000)
  --json              one JSON object per line: {"event": "pinned"|"unpinned"|"unknown", "vip", "mac", "node"}
  -h, --help          this text

Exit status: 0 after a clean stop, 1 when pinning failed, 2 usage error.
`;

interface Owner {
  readonly mac: string;
  readonly node: string | null;
}

/** Sleeps `ms`, or less when `signal` aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

async function currentOwner(vip: string, from: LocalInterface, statusFiles: readonly string[], cluster: ClusterOwners | null): Promise<Owner | null> {
  if (cluster !== null) return cluster.owner(vip, from);
  if (statusFiles.length > 0) {
    const statuses = await readSpeakerStatuses(statusFiles).catch(() => []);
    const owner = ownerOf(vip, statuses)[0];
    return owner === undefined ? null : { mac: owner.mac, node: owner.node };
  }
  const probe = await probeArp({ from, target: vip, count: 1, waitMs: 500 });
  return probe.macs.length === 1 ? { mac: probe.macs[0]!, node: null } : null;
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('arp-pin', args, {
    vip: { type: 'string', multiple: true },
    'status-file': { type: 'string', multiple: true },
    kubeconfig: { type: 'string' },
    'in-cluster': { type: 'boolean' },
    namespace: { type: 'string' },
    interface: { type: 'string' },
    'interval-ms': { type: 'string' },
    json: { type: 'boolean' },
  });
  const vips = values.vip ?? [];
  if (vips.length === 0) throw new UsageError("arp-pin: give at least one --vip IP (see 'airlb arp-pin --help')");
  for (const vip of vips) if (parseIp(vip)?.family !== 4) throw new UsageError(`arp-pin: --vip takes an IPv4 address, not '${vip}'`);
  const intervalMs = values['interval-ms'] === undefined ? 1000 : Number(values['interval-ms']);
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new UsageError(`arp-pin: --interval-ms takes a whole number ≥ 10, not '${values['interval-ms']}'`);
  const statusFiles = values['status-file'] ?? [];
  const kubernetes = values.kubeconfig !== undefined || values['in-cluster'] === true;
  if (values.kubeconfig !== undefined && values['in-cluster'] === true) throw new UsageError('arp-pin: give --kubeconfig or --in-cluster, not both');
  if (kubernetes && statusFiles.length > 0) throw new UsageError('arp-pin: the owner comes from the cluster or from --status-file, not both');
  const connection = kubernetes ? loadConnection(values.kubeconfig === undefined ? null : resolve(io.cwd, values.kubeconfig), io.env) : null;
  const locals = new Map(vips.map((vip) => [vip, localInterfaceFor(vip, values.interface ?? null)]));
  const say = (event: string, vip: string, owner: Owner | null, text: string): void => {
    io.stdout.write(values.json === true ? `${JSON.stringify({ event, vip, mac: owner?.mac ?? null, node: owner?.node ?? null })}\n` : `${text}\n`);
  };

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pinned = new Map<string, Owner>();
  const unknown = new Set<string>();
  let failed = false;
  const logger = createLogger({ format: 'text', level: 'warn', write: (line) => io.stderr.write(line) });
  const cluster = connection === null ? null : new ClusterOwners(connection, values.namespace ?? io.env['METALLB_NAMESPACE'] ?? 'metallb-system', logger);
  try {
    // Nothing is known before the first list: "owner unknown" then would only be noise.
    if (cluster !== null) await Promise.race([cluster.synced, new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }))]);
    while (!stop.signal.aborted) {
      for (const vip of vips) {
        const local = locals.get(vip)!;
        const owner = await currentOwner(vip, local, statusFiles, cluster);
        if (stop.signal.aborted) break;
        if (owner === null) {
          if (!unknown.has(vip)) say('unknown', vip, pinned.get(vip) ?? null, `${vip}: owner unknown${pinned.has(vip) ? `, keeping ${pinned.get(vip)!.mac}` : ''}`);
          unknown.add(vip);
          continue;
        }
        unknown.delete(vip);
        if (pinned.get(vip)?.mac === owner.mac) continue;
        await pinNeighbour(vip, owner.mac, local.ifname);
        pinned.set(vip, owner);
        say('pinned', vip, owner, `${vip} → ${owner.mac}${owner.node === null ? '' : ` (${owner.node})`} on ${local.ifname}`);
      }
      await sleep(intervalMs, stop.signal);
    }
  } catch (err) {
    io.stderr.write(`airlb arp-pin: ${describeError(err)}\n`);
    failed = true;
  } finally {
    cluster?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const [vip, owner] of pinned) {
      await unpinNeighbour(vip, locals.get(vip)!.ifname);
      say('unpinned', vip, owner, `${vip}: entry removed`);
    }
  }
  return failed ? 1 : 0;
}

export const arpPinCommand: Command = {
  name: 'arp-pin',
  help,
  run,
};
