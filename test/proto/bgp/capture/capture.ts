/**
 * Records what real BGP daemons send, as hex fixtures for the codec tests. Run by hand, as root:
 *
 *   node --import tsx test/proto/bgp/capture/capture.ts bird|gobgp|frr
 *
 * It creates two namespaces joined by a veth pair (every name starts with `alb` + 4 random hex
 * digits; all removed at the end, crash included), starts the daemon unprivileged (`nobody`; FRR as `frr`) in one of them
 * (with net.ipv4.ip_unprivileged_port_start=179 there, DESIGN.md §4), and in the other runs this
 * same file in `record` mode: a tiny BGP listener that answers with an OPEN and KEEPALIVEs and
 * writes down every message the daemon sends. The daemon announces two IPv4 and one IPv6 static
 * route with MED and (large) communities, then is told to shut the session down so the
 * NOTIFICATION is captured too. Output: test/fixtures/bgp/DAEMON.hex, one message per line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BgpFramer, MessageType, decodeHeader, encodeKeepalive, encodeOpen, makeOpen, IPV4_UNICAST, IPV6_UNICAST } from '../../../../src/proto/bgp/index.js';

const RECORDER_AS = 64513;
const DAEMON_V4 = '10.179.0.1';
const RECORDER_V4 = '10.179.0.2';
const DAEMON_V6 = 'fd00:179::1';
const TIMEOUT_MS = 60_000;

/** `record` mode: runs inside the recorder namespace, prints one hex message per line on stdout. */
function record(): void {
  const server = createServer((socket) => {
    const framer = new BgpFramer();
    const open = makeOpen({
      asn: RECORDER_AS,
      holdTime: 90,
      bgpId: 0x0ab30002,
      capabilities: {
        multiprotocol: [IPV4_UNICAST, IPV6_UNICAST],
        routeRefresh: true,
        gracefulRestart: { restarting: false, notification: false, restartTime: 120, families: [] },
        other: [],
      },
    });
    socket.write(encodeOpen(open));
    const keepalive = setInterval(() => socket.write(encodeKeepalive()), 10_000);
    socket.on('data', (chunk: Buffer) => {
      for (const msg of framer.push(chunk)) {
        process.stdout.write(`${msg.toString('hex')}\n`);
        const type = decodeHeader(msg).type;
        if (type === MessageType.open) socket.write(encodeKeepalive());
        if (type === MessageType.notification) socket.end();
      }
    });
    socket.on('close', () => {
      clearInterval(keepalive);
      server.close();
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(179, RECORDER_V4);
  setTimeout(() => process.exit(3), TIMEOUT_MS).unref();
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** First line a tool prints about its version (BIRD prints it on stderr). */
function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Daemon {
  version(): string;
  config: string;
  start(ns: string, dir: string): ChildProcess;
  /** Sends the daemon's own "shut the session down" command. */
  shutdown(ns: string, dir: string): void;
  /** Called once the session is up, for daemons that take routes over their API. */
  addRoutes?(ns: string, dir: string): void;
}

const asNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

const daemons: Record<string, Daemon> = {
  bird: {
    version: () => versionOf('bird', ['--version']),
    config: `router id ${DAEMON_V4};
protocol device {}
protocol static s4 { ipv4; route 198.51.100.0/24 blackhole; route 203.0.113.128/25 blackhole; }
protocol static s6 { ipv6; route 2001:db8:100::/48 blackhole; }
protocol bgp rec {
  local ${DAEMON_V4} as 64512;
  neighbor ${RECORDER_V4} as ${RECORDER_AS};
  graceful restart on;
  ipv4 { import none; export filter { bgp_med = 50; bgp_community.add((64512,100)); bgp_large_community.add((64512,1,2)); accept; }; };
  ipv6 { import none; next hop address ${DAEMON_V6}; export filter { bgp_community.add((64512,600)); accept; }; };
}
`,
    start: (ns, dir) =>
      spawn('ip', ['netns', 'exec', ns, 'bird', '-f', '-c', join(dir, 'daemon.conf'), '-s', join(dir, 'bird.ctl'), '-u', 'nobody', '-g', 'nogroup'], { stdio: 'inherit' }),
    shutdown: (ns, dir) => {
      sh('ip', ['netns', 'exec', ns, 'birdc', '-s', join(dir, 'bird.ctl'), 'disable rec "airlb capture done"']);
    },
  },
  gobgp: {
    version: () => versionOf('gobgpd', ['--version']),
    config: `[global.config]
  as = 4200000001
  router-id = "${DAEMON_V4}"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${RECORDER_V4}"
    peer-as = ${RECORDER_AS}
  [neighbors.transport.config]
    local-address = "${DAEMON_V4}"
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`,
    start: (ns, dir) =>
      spawn('ip', ['netns', 'exec', ns, ...asNobody, 'gobgpd', '-f', join(dir, 'daemon.conf'), '--api-hosts', '127.0.0.1:50051', '-l', 'warn'], { stdio: 'inherit' }),
    addRoutes: (ns) => {
      const gobgp = (args: string[]) => sh('ip', ['netns', 'exec', ns, 'gobgp', '-p', '50051', ...args]);
      gobgp(['global', 'rib', 'add', '-a', 'ipv4', '198.51.100.0/24', 'nexthop', DAEMON_V4, 'med', '50', 'community', '64512:100', 'large-community', '4200000001:1:2']);
      gobgp(['global', 'rib', 'add', '-a', 'ipv4', '203.0.113.128/25', 'nexthop', DAEMON_V4, 'origin', 'incomplete']);
      gobgp(['global', 'rib', 'add', '-a', 'ipv6', '2001:db8:100::/48', 'nexthop', DAEMON_V6, 'community', '64512:600']);
    },
    shutdown: (ns) => {
      sh('ip', ['netns', 'exec', ns, 'gobgp', '-p', '50051', 'neighbor', RECORDER_V4, 'disable', '--reason', 'airlb capture done']);
    },
  },
  frr: {
    version: () => `FRR ${versionOf('/usr/lib/frr/bgpd', ['-v'])}`,
    config: `frr defaults traditional
hostname capture
router bgp 64514
 bgp router-id ${DAEMON_V4}
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor ${RECORDER_V4} remote-as ${RECORDER_AS}
 neighbor ${RECORDER_V4} update-source ${DAEMON_V4}
 address-family ipv4 unicast
  network 198.51.100.0/24 route-map COMM
  network 203.0.113.128/25
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:100::/48
  neighbor ${RECORDER_V4} activate
  neighbor ${RECORDER_V4} route-map NH6 out
 exit-address-family
route-map COMM permit 10
 set metric 50
 set community 64514:100
 set large-community 64514:1:2
route-map NH6 permit 10
 set ipv6 next-hop global ${DAEMON_V6}
`,
    // bgpd refuses a user outside its vty group (frrvty), so it runs as FRR's own unprivileged
    // `frr` user rather than `nobody`.
    start: (ns, dir) =>
      spawn(
        'ip',
        ['netns', 'exec', ns, '/usr/lib/frr/bgpd', '-f', join(dir, 'daemon.conf'), '-i', join(dir, 'bgpd.pid'), '--vty_socket', dir, '-Z', '-n', '-p', '0', '-u', 'frr', '-g', 'frr', '-P', '0'],
        { stdio: 'inherit' },
      ),
    shutdown: (ns, dir) => {
      sh('ip', ['netns', 'exec', ns, 'vtysh', '--vty_socket', dir, '-d', 'bgpd', '-c', 'configure terminal', '-c', 'router bgp 64514', '-c', `neighbor ${RECORDER_V4} shutdown message airlb capture done`]);
    },
  },
};

async function capture(name: string): Promise<void> {
  const daemon = daemons[name];
  if (daemon === undefined) throw new Error(`unknown daemon '${name}': bird, gobgp or frr`);
  const prefix = `alb${randomBytes(2).toString('hex')}`;
  const nsDaemon = `${prefix}d`;
  const nsRecorder = `${prefix}r`;
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o777);
  const children: ChildProcess[] = [];
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', nsDaemon]);
    spawnSync('ip', ['netns', 'del', nsRecorder]);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    sh('ip', ['netns', 'add', nsDaemon]);
    sh('ip', ['netns', 'add', nsRecorder]);
    sh('ip', ['link', 'add', `${prefix}d0`, 'netns', nsDaemon, 'type', 'veth', 'peer', 'name', `${prefix}r0`, 'netns', nsRecorder]);
    const inNs = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);
    for (const [ns, link, v4, v6] of [
      [nsDaemon, `${prefix}d0`, `${DAEMON_V4}/30`, `${DAEMON_V6}/64`],
      [nsRecorder, `${prefix}r0`, `${RECORDER_V4}/30`, 'fd00:179::2/64'],
    ] as const) {
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      inNs(ns, 'ip', 'addr', 'add', v4, 'dev', link);
      inNs(ns, 'ip', '-6', 'addr', 'add', v6, 'dev', link, 'nodad');
      inNs(ns, 'ip', 'link', 'set', link, 'up');
    }
    inNs(nsDaemon, 'sysctl', '-qw', 'net.ipv4.ip_unprivileged_port_start=179');
    writeFileSync(join(dir, 'daemon.conf'), daemon.config);
    chmodSync(join(dir, 'daemon.conf'), 0o644);

    const recorder = spawn('ip', ['netns', 'exec', nsRecorder, process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), 'record'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(recorder);
    let out = '';
    recorder.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const recorded = new Promise<void>((resolve) => recorder.on('exit', () => resolve()));
    await sleep(1500); // the recorder is listening before the daemon dials
    children.push(daemon.start(nsDaemon, dir));

    const deadline = Date.now() + TIMEOUT_MS;
    const lines = () => out.split('\n').filter((l) => l.length > 0);
    // Established once the daemon's KEEPALIVE (type 4) arrived; then give it time to send routes.
    while (!lines().some((l) => l.slice(36, 38) === '04')) {
      if (Date.now() > deadline) throw new Error(`${name}: no session within ${TIMEOUT_MS} ms; got ${lines().length} messages`);
      await sleep(200);
    }
    daemon.addRoutes?.(nsDaemon, dir);
    await sleep(6000);
    daemon.shutdown(nsDaemon, dir);
    await Promise.race([recorded, sleep(10_000)]);
    const header = [
      `# Captured from ${daemon.version()} by test/proto/bgp/capture/capture.ts ${name}`,
      `# (${new Date().toISOString().slice(0, 10)}): session over IPv4 ${DAEMON_V4} -> ${RECORDER_V4}, eBGP to AS ${RECORDER_AS}.`,
      '# One message per line, as sent by the daemon. Daemon config:',
      ...daemon.config.trimEnd().split('\n').map((l) => `#   ${l}`),
    ];
    const target = fileURLToPath(new URL(`../../../fixtures/bgp/${name}.hex`, import.meta.url));
    writeFileSync(target, `${[...header, ...lines()].join('\n')}\n`);
    console.log(`${name}: ${lines().length} messages -> ${target}`);
  } finally {
    cleanup();
  }
}

const mode = process.argv[2] ?? '';
if (mode === 'record') record();
else await capture(mode);
