// BGP benchmark: 10,000 Services (one /32 each) announced by the airlb speaker to BIRD and to
// GoBGP, each router in its own network namespace: wall time from handing the speaker the route
// set until the router's table holds every route (target ≤ 1 s), the same for withdrawing them
// all, and the UPDATE messages and octets sent. Needs root, bird2 and gobgpd (like the interop tests).
// Prints one JSON object {benchmark, method, inputs, result, machine}.
// Run: node --import tsx bench/bgp.ts [runs]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROUTER_AS, ROUTER_V4, SPEAKER_AS, SPEAKER_V4, SpeakerProcess, announcement, bgpPeer, createLab, kill, type Lab } from '../test/bgp/lab.js';

const SERVICES = 10_000;
const RUNS = Number(process.argv[2] ?? 3);
const POLL_MS = 10;
const TIMEOUT_MS = 60_000;

interface Router {
  readonly name: string;
  start(lab: Lab, dir: string): ChildProcess;
  /** Routes in the router's IPv4 table, or -1 when it does not answer yet. */
  count(lab: Lab, dir: string): number;
}

function inNs(ns: string, args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : '';
}

const bird: Router = {
  name: 'bird',
  start(lab, dir) {
    const conf = join(dir, 'bird.conf');
    writeFileSync(
      conf,
      [
        `router id ${ROUTER_V4};`,
        'protocol device { }',
        'protocol bgp airlb {',
        `  local ${ROUTER_V4} as ${ROUTER_AS}; neighbor ${SPEAKER_V4} as ${SPEAKER_AS};`,
        '  connect retry time 1; error wait time 1, 4;',
        '  ipv4 { import all; export none; };',
        '}',
        '',
      ].join('\n'),
    );
    return spawn('ip', ['netns', 'exec', lab.routerNs, 'bird', '-f', '-c', conf, '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
  },
  count(lab, dir) {
    const m = /(\d+) of \d+ routes/.exec(inNs(lab.routerNs, ['birdc', '-s', join(dir, 'bird.ctl'), 'show', 'route', 'count', 'table', 'master4']));
    return m ? Number(m[1]) : -1;
  },
};

const gobgp: Router = {
  name: 'gobgp',
  start(lab, dir) {
    const conf = join(dir, 'gobgpd.toml');
    writeFileSync(
      conf,
      [
        '[global.config]',
        `  as = ${ROUTER_AS}`,
        `  router-id = "${ROUTER_V4}"`,
        '[[neighbors]]',
        '  [neighbors.config]',
        `    neighbor-address = "${SPEAKER_V4}"`,
        `    peer-as = ${SPEAKER_AS}`,
        '  [neighbors.timers.config]',
        '    connect-retry = 1',
        '',
      ].join('\n'),
    );
    return spawn('ip', ['netns', 'exec', lab.routerNs, 'gobgpd', '-f', conf, '--api-hosts', '127.0.0.1:50151', '--pprof-disable', '--disable-stdlog'], { stdio: 'ignore' });
  },
  count(lab) {
    const m = /Destination: (\d+)/.exec(inNs(lab.routerNs, ['gobgp', '-u', '127.0.0.1', '-p', '50151', 'global', 'rib', 'summary', '-a', 'ipv4']));
    return m ? Number(m[1]) : -1;
  },
};

async function until(what: string, check: () => boolean): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > TIMEOUT_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return performance.now() - start;
}

const routes = Array.from({ length: SERVICES }, (_, i) => announcement(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`, ['router'], { communities: ['65000:100'] }));

async function measure(router: Router) {
  const lab = createLab();
  const dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-`));
  let daemon: ChildProcess | undefined;
  let speaker: SpeakerProcess | undefined;
  try {
    daemon = router.start(lab, dir);
    speaker = await SpeakerProcess.start(lab.speakerNs, { peers: [bgpPeer('router', {})], routerId: SPEAKER_V4, listen: { address: '::', port: 179 } });
    await speaker.waitEstablished('router', 30_000);
    await until(`${router.name} to answer`, () => router.count(lab, dir) === 0);
    const runs: { announceMs: number; withdrawMs: number; updates: number; octets: number; withdrawUpdates: number; withdrawOctets: number }[] = [];
    for (let r = 0; r < RUNS; r++) {
      const before = (await speaker.status())[0]!;
      speaker.setRoutes(routes);
      const announceMs = await until(`all ${SERVICES} routes in ${router.name}`, () => router.count(lab, dir) === SERVICES);
      const mid = (await speaker.status())[0]!;
      speaker.setRoutes([]);
      const withdrawMs = await until(`${router.name} to drop every route`, () => router.count(lab, dir) === 0);
      const after = (await speaker.status())[0]!;
      runs.push({
        announceMs: Math.round(announceMs),
        withdrawMs: Math.round(withdrawMs),
        updates: mid.updatesSent - before.updatesSent,
        octets: mid.updateBytesSent - before.updateBytesSent,
        withdrawUpdates: after.updatesSent - mid.updatesSent,
        withdrawOctets: after.updateBytesSent - mid.updateBytesSent,
      });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    return {
      router: router.name,
      medianAnnounceMs: median(runs.map((r) => r.announceMs)),
      medianWithdrawMs: median(runs.map((r) => r.withdrawMs)),
      runs,
    };
  } finally {
    await speaker?.stop().catch(() => undefined);
    await kill(speaker?.child);
    await kill(daemon);
    lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [await measure(bird), await measure(gobgp)];
console.log(
  JSON.stringify({
    benchmark: 'bgp',
    method:
      `airlb speaker (child process, its own namespace) with one eBGP session to the router over a veth pair; ${SERVICES} /32s with one community handed over at once as BgpAnnouncements, ` +
      `then withdrawn at once; time from writing the route set to the speaker's stdin until the router's table count (birdc show route count / gobgp global rib summary, polled every ${POLL_MS} ms plus the CLI's own run time) reaches the target; ` +
      `UPDATE messages/octets from the speaker's session counters; median of ${RUNS} runs`,
    inputs: { services: SERVICES, runs: RUNS, routers: ['bird ' + spawnSync('bird', ['--version'], { encoding: 'utf8' }).stderr.trim(), 'gobgpd'], targetMs: 1000 },
    result: Object.fromEntries(results.map((r) => [r.router, r])),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  }),
);
process.exit(0);
