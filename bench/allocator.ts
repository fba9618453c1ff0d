/**
 * Allocator benchmark: assigns N LoadBalancer Services across IPv4, IPv6 and dual-stack pools,
 * then reloads a config in which every pool is renamed and one grows (nothing may move), for
 * N = 10k, 100k and 1M, and prints one JSON object {benchmark, method, inputs, result, machine}.
 *
 * Run: node --import tsx --expose-gc bench/allocator.ts [N ...]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Allocator } from '../src/domain/allocator/allocator.js';
import type { IPAddressPool, Service } from '../src/domain/config/types.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc: node --import tsx --expose-gc bench/allocator.ts');
  process.exit(2);
}

function poolOf(name: string, addresses: string[], avoidBuggyIPs: boolean, priority: number | null): IPAddressPool {
  return {
    kind: 'IPAddressPool',
    apiVersion: 'metallb.io/v1beta1',
    metadata: { name, namespace: 'metallb-system', labels: {}, annotations: {} },
    origin: { file: 'bench', line: 1, fieldLines: new Map() },
    spec: {
      addresses,
      autoAssign: true,
      avoidBuggyIPs,
      serviceAllocation: priority === null ? null : { priority, namespaces: [], namespaceSelectors: [], serviceSelectors: [] },
    },
  };
}

/**
 * Pools large enough for 1M Services: IPv4 10.0.0.0/12 split in four (two avoid .0/.255), a
 * preferred small IPv4 pool that fills up first, two IPv6 pools, and a dual-stack pool.
 * `suffix` renames every pool; `grow` widens the last IPv6 pool (a reload that must move nothing).
 */
function pools(suffix: string, grow: boolean): IPAddressPool[] {
  return [
    poolOf(`small${suffix}`, ['192.168.0.0/24'], true, 1),
    poolOf(`v4a${suffix}`, ['10.0.0.0/14'], true, null),
    poolOf(`v4b${suffix}`, ['10.4.0.0/14'], false, null),
    poolOf(`v4c${suffix}`, ['10.8.0.0/14'], true, null),
    poolOf(`v4d${suffix}`, ['10.12.0.0/14'], false, null),
    poolOf(`v6a${suffix}`, ['fd00:a::/108'], false, null),
    poolOf(`v6b${suffix}`, [grow ? 'fd00:b::/96' : 'fd00:b::/104'], false, null),
    poolOf(`dual${suffix}`, ['172.16.0.0/12', 'fd00:d::/104'], false, 2),
  ];
}

type Kind = 'v4' | 'v6' | 'dual' | 'shared';

/** 70 % IPv4, 18 % IPv6, 10 % dual-stack, 2 % sharing an IPv4 address in pairs (TCP/80 + TCP/443). */
function kindOf(i: number): Kind {
  const m = i % 50;
  if (m < 35) return 'v4';
  if (m < 44) return 'v6';
  if (m < 49) return 'dual';
  return 'shared';
}

function services(n: number): Service[] {
  const port = (p: number) => ({ name: `p${p}`, protocol: 'TCP' as const, port: p, targetPort: null, nodePort: null });
  const base = {
    type: 'LoadBalancer' as const,
    selector: { app: 'bench' },
    clusterIPs: [],
    loadBalancerIP: null,
    loadBalancerClass: null,
    externalTrafficPolicy: 'Cluster' as const,
  };
  // Specs are shared between Services of a kind, as identical specs would be in a cluster cache.
  const specs = {
    v4: { ...base, ports: [port(80)], ipFamilies: ['IPv4' as const], ipFamilyPolicy: 'SingleStack' as const },
    v6: { ...base, ports: [port(80)], ipFamilies: ['IPv6' as const], ipFamilyPolicy: 'SingleStack' as const },
    dual: { ...base, ports: [port(80)], ipFamilies: ['IPv4' as const, 'IPv6' as const], ipFamilyPolicy: 'RequireDualStack' as const },
    shared80: { ...base, ports: [port(80)], ipFamilies: ['IPv4' as const], ipFamilyPolicy: 'SingleStack' as const },
    shared443: { ...base, ports: [port(443)], ipFamilies: ['IPv4' as const], ipFamilyPolicy: 'SingleStack' as const },
  };
  const origin = { file: 'bench', line: 1, fieldLines: new Map<string, number>() };
  const status = { loadBalancerIngress: [] };
  const out: Service[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kindOf(i);
    const annotations: Record<string, string> = kind === 'shared' ? { 'metallb.io/allow-shared-ip': `pair-${i >> 1}` } : {};
    const spec = kind === 'shared' ? (i % 2 === 0 ? specs.shared80 : specs.shared443) : specs[kind];
    out.push({
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name: `svc-${i}`, namespace: `ns-${i % 100}`, labels: {}, annotations },
      origin,
      spec,
      status,
    });
  }
  return out;
}

interface Run {
  services: number;
  allocationsPerSecond: number;
  allocateMs: number;
  failures: number;
  bytesPerAllocation: number;
  reloadMs: number;
  reloadReleased: number;
  reassignAllMs: number;
  reassignMoved: number;
  /** 1000 new Services after the reload: includes each rebuilt pool cursor stepping over used addresses once. */
  newAfterReloadMs: number;
}

function run(n: number): Run {
  const svcs = services(n);
  gc!();
  const heapBefore = process.memoryUsage().heapUsed;
  const allocator = new Allocator();
  allocator.setPools(pools('', false), []);
  let failures = 0;
  const t0 = performance.now();
  for (const s of svcs) if (!allocator.assign(s).ok) failures++;
  const allocateMs = performance.now() - t0;
  gc!();
  const bytesPerAllocation = (process.memoryUsage().heapUsed - heapBefore) / n;
  const before = allocator.assignments();

  const t1 = performance.now();
  const reload = allocator.setPools(pools('-renamed', true), []);
  const reloadMs = performance.now() - t1;
  const t2 = performance.now();
  for (const s of svcs) allocator.assign(s);
  const reassignAllMs = performance.now() - t2;
  const after = allocator.assignments();
  let moved = 0;
  for (let i = 0; i < before.length; i++) if (before[i]!.ips.join() !== after[i]!.ips.join()) moved++;
  const extra = services(n + 1000).slice(n);
  const t3 = performance.now();
  for (const s of extra) if (!allocator.assign(s).ok) failures++;
  const newAfterReloadMs = performance.now() - t3;
  return {
    services: n,
    allocationsPerSecond: Math.round(n / (allocateMs / 1000)),
    allocateMs: round(allocateMs),
    failures,
    bytesPerAllocation: Math.round(bytesPerAllocation),
    reloadMs: round(reloadMs),
    reloadReleased: reload.released.length,
    reassignAllMs: round(reassignAllMs),
    reassignMoved: moved,
    newAfterReloadMs: round(newAfterReloadMs),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const ns = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000];
run(100_000); // warm-up: lets the JIT compile the hot paths before anything is measured
/** Median of 5 runs up to 100k Services (short runs are noisy), a single run above. */
function measured(n: number): Run {
  if (n > 100_000) return run(n);
  const reps = Array.from({ length: 5 }, () => run(n)).sort((x, y) => x.allocateMs - y.allocateMs);
  return reps[2]!;
}
const runs = ns.map(measured);
const first = runs[0]!;
console.log(
  JSON.stringify(
    {
      benchmark: 'allocator',
      method:
        'Allocator.assign for N Services (70% IPv4, 18% IPv6, 10% RequireDualStack, 2% sharing an IPv4 address in pairs) over 8 pools (IPv4 with and without avoidBuggyIPs, IPv6, dual-stack, one small prioritized pool that fills first); then setPools with every pool renamed and one grown, then assign of all N again (must move nothing), then 1000 new Services. Heap measured after global.gc(), Services excluded. One warm-up run of 100k first; sizes up to 100k report the run with the median allocation time of 5.',
      inputs: { sizes: ns, pools: pools('', false).map((p) => ({ name: p.metadata.name, addresses: p.spec.addresses })) },
      result: {
        runs,
        scaling: runs.map((r) => ({
          services: r.services,
          allocateMicrosecondsPerService: Math.round((r.allocateMs / r.services) * 100_000) / 100,
          reloadMsPer100k: round((r.reloadMs / r.services) * 100_000),
          reassignAllMsPer100k: round((r.reassignAllMs / r.services) * 100_000),
          timeRatioVsFirst: round(r.allocateMs / first.allocateMs),
          sizeRatioVsFirst: r.services / first.services,
        })),
      },
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        memoryBytes: os.totalmem(),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
    },
    null,
    2,
  ),
);
