// Resident memory of `airlb standalone` announcing 1,000 VIPs. Target: ≤ 80 MB.
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run (root): node --import tsx bench/speaker-rss.ts [vips] [--from-source]
//
// Method: one node namespace on a bridge with a client namespace; a config of N single-stack
// Services in one pool and one L2Advertisement. The speaker runs compiled, as installed: the bench
// compiles src/ with tsconfig.build.json (what `npm run build` does) into a temporary folder, so
// tsx's loader thread and esbuild are not counted (`--from-source` measures the tsx way the tests
// run it, for comparison). Status file on, log level warn. Once the status file
// shows every VIP claimed, VmRSS and VmHWM are read from /proc/PID/status every 250 ms for 10 s —
// through the end of the announcement burst and while the client keeps resolving VIPs — and the
// largest value is reported. `ip netns exec` execs the speaker, so the child's PID is the speaker's.
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { cliCommand, repoRoot } from '../test/support/cli.js';
import { run, Segment, waitFor } from '../test/standalone/netns.js';

/**
 * Compiles src/ into `dir`/dist beside links to build/ (the addon) and node_modules/, the layout
 * the compiled CLI expects. tsc exits non-zero on type errors anywhere but still emits; the run
 * only needs the CLI's own files, so success is the presence of dist/cli/main.js.
 */
async function compiled(dir: string): Promise<string[]> {
  const r = await run([join(repoRoot, 'node_modules/.bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], 300_000);
  await symlink(join(repoRoot, 'build'), join(dir, 'build'));
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  const main = join(dir, 'dist/cli/main.js');
  const check = await run([process.execPath, main, '--version']);
  if (check.code !== 0) throw new Error(`compiled CLI does not run (tsc: ${r.stdout.slice(0, 2000)}): ${check.stderr}`);
  return [process.execPath, main];
}

function config(vips: number): string {
  const docs = [
    `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lan, namespace: metallb-system }
spec:
  addresses: [10.213.16.0/20]
`,
    `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lan, namespace: metallb-system }
`,
  ];
  for (let i = 0; i < vips; i++) {
    docs.push(`apiVersion: v1
kind: Service
metadata: { name: svc-${i}, namespace: default }
spec:
  type: LoadBalancer
  ports: [{ port: 80, protocol: TCP }]
`);
  }
  return docs.join('---\n');
}

const SEMI_SPACE_CAP = '--max-semi-space-size=1';
/**
 * The command line docs/standalone.md (systemd) recommends. --optimize-for-size makes V8 grow the
 * old generation in smaller steps; Node refuses it in NODE_OPTIONS, so it goes on node's own
 * command line, before the script.
 */
const SMALL_HEAP_FLAGS = [SEMI_SPACE_CAP, '--optimize-for-size'];

async function memoryKb(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

/** One speaker run: start, wait for every VIP, sample memory for 10 s, stop. */
async function measure(seg: Segment, dir: string, vips: number, command: readonly string[], env: NodeJS.ProcessEnv) {
  const speaker = seg.speaker('n1', dir, ['--log-level', 'warn'], env, command);
  const started = Date.now();
  await waitFor(
    `${vips} VIPs claimed`,
    async () => {
      const s = await speaker.status();
      return s !== undefined && s.vips.length === vips && s.vips.every((v) => v.state === 'claimed') ? s : undefined;
    },
    120_000,
    250,
  );
  const claimedAfterMs = Date.now() - started;
  const pid = speaker.child.pid!;
  let peakRss = 0;
  let hwm = 0;
  let last = 0;
  for (let i = 0; i < 40; i++) {
    // Keep the responder busy too: the client resolves one of the VIPs each round.
    void seg.exec('client', ['arping', '-c', '1', '-w', '1', '-I', 'eth0', `10.213.16.${i + 1}`]);
    const m = await memoryKb(pid);
    last = m.rss;
    peakRss = Math.max(peakRss, m.rss);
    hwm = Math.max(hwm, m.hwm);
    await new Promise((r) => setTimeout(r, 250));
  }
  const status = (await speaker.status())!;
  const exitCode = await speaker.stop();
  return { peakRssMB: mb(peakRss), lastRssMB: mb(last), vmHwmMB: mb(hwm), claimedAfterMs, arpAnswered: status.counters.arp['owner'], exitCode };
}

/**
 * Three runs of the same CLI: Node's defaults; V8's young generation capped at 1 MB per semi-space
 * through NODE_OPTIONS (most of the growth with 1,000 VIPs is not live data, about 10 MB after a
 * full GC, but heap V8 grows to while the VIPs are set up and then keeps); and the command line
 * docs/standalone.md recommends, which also passes --optimize-for-size.
 */
async function main(vips: number, fromSource: boolean): Promise<void> {
  const seg = await Segment.create();
  const build = await mkdtemp(join(tmpdir(), 'airlb-rss-'));
  try {
    const cli = fromSource ? cliCommand() : await compiled(build);
    const [node, ...script] = cli;
    await seg.init();
    await seg.add('client', 10);
    await seg.add('n1', 11);
    const dir = await seg.configDir('config', { 'lan.yaml': config(vips) });
    const defaults = await measure(seg, dir, vips, cli, {});
    const capped = await measure(seg, dir, vips, cli, { NODE_OPTIONS: SEMI_SPACE_CAP });
    const recommended = await measure(seg, dir, vips, [node!, ...SMALL_HEAP_FLAGS, ...script], {});
    process.stdout.write(
      `${JSON.stringify({
        benchmark: 'speaker-rss',
        method:
          'airlb standalone in a netns announcing N VIPs on one veth, status file on, log level warn; VmRSS sampled from /proc/PID/status every 250 ms for 10 s after all VIPs were claimed, while a client resolves VIPs; peak reported, VmHWM alongside; once with Node defaults, once with NODE_OPTIONS=' + SEMI_SPACE_CAP + ', once as docs/standalone.md recommends: node ' + SMALL_HEAP_FLAGS.join(' ') + ' CLI',
        inputs: { vips, pool: '10.213.16.0/20', interfaces: 1, speaker: fromSource ? 'node --import tsx src/cli/main.ts (from source)' : 'node dist/cli/main.js (compiled by tsc -p tsconfig.build.json)' },
        result: { nodeDefaults: defaults, semiSpaceCap: capped, recommended, target: 'recommended.peakRssMB <= 80' },
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release() },
      })}\n`,
    );
  } finally {
    await seg.remove();
    await rm(build, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const count = args.find((a) => /^\d+$/.test(a));
await main(count === undefined ? 1000 : Number(count), args.includes('--from-source'));
