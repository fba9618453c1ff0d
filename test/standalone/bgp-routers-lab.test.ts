import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { startLab } from '../lab/support.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { NODES, NodeSpeaker, VIP_A, VIP_B, manifests, routerConfig, services, waitFor, writeConfig } from './bgp-support.js';

/**
 * The same two `airlb standalone` nodes as bgp-bird-lab.test.ts, with GoBGP and then FRR's bgpd on
 * the lab router, each running the config `airlb router-config` generates for it, and a BGPPeer
 * `password` (TCP MD5) on both sides. They prove the generated configs accept the nodes' sessions
 * and routes: both VIPs arrive from both nodes. Neither
 * daemon installs routes here (gobgpd without zebra, bgpd with -Z), so reachability is BIRD's test.
 */

const API_PORT = '50152';
let lab: Lab | undefined;
let cleanup: (() => Promise<void>) | undefined;
let dir = '';
let daemon: ChildProcess | undefined;
const speakers = new Map<string, NodeSpeaker>();

async function inRouter(argv: readonly string[]): Promise<unknown> {
  const r = await lab!.exec('router', argv);
  if (r.code !== 0) return null;
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    return null;
  }
}

async function stopDaemon(): Promise<void> {
  const child = daemon;
  daemon = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const hops = (): string[] => NODES.map((n) => lab!.node(n).ipv4).sort();

describe('airlb standalone in BGP mode, with GoBGP and FRR on the lab router', () => {
  before(async () => {
    requireNetworkPrivileges(['ip', 'nft', 'gobgpd', 'gobgp', 'vtysh', '/usr/lib/frr/bgpd']);
    ({ lab, cleanup } = await startLab());
    dir = await mkdtemp(join(tmpdir(), `${lab.prefix}-`));
    // bgpd (-S) and vtysh meet on a socket in this folder.
    await chmod(dir, 0o755);
    // connectTime 2s: the nodes retry quickly when the router's daemon is swapped between tests.
    // password: every session is TCP MD5 signed (RFC 2385), with the key the generated configs carry.
    const folder = await writeConfig(dir, manifests(lab, '  connectTime: 2s\n  password: s3cret\n'), services([['web', VIP_A], ['web2', VIP_B]]));
    const gobgp = await routerConfig('gobgp', folder);
    const frr = await routerConfig('frr', folder);
    assert.match(gobgp, /auth-password = "s3cret"/);
    assert.match(frr, /neighbor AIRLB-home_router password s3cret/);
    await writeFile(join(dir, 'gobgpd.toml'), gobgp);
    await writeFile(join(dir, 'bgpd.conf'), frr);
    daemon = lab.spawn('router', ['gobgpd', '-f', join(dir, 'gobgpd.toml'), '--api-hosts', `127.0.0.1:${API_PORT}`, '--pprof-disable', '--disable-stdlog']);
    for (const node of NODES) speakers.set(node, NodeSpeaker.start(lab, node, folder, dir));
  });

  after(async () => {
    if (process.env.BGP_TEST_LOGS === '1') for (const s of speakers.values()) console.log(`--- ${s.name}\n${s.logs}`);
    for (const s of speakers.values()) await s.stop().catch(() => undefined);
    await stopDaemon();
    await cleanup?.();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('GoBGP running the generated TOML receives both VIPs from both nodes over MD5-signed sessions', async () => {
    for (const node of NODES) await speakers.get(node)!.waitSession('home-router', 2);
    for (const vip of [VIP_A, VIP_B]) {
      await waitFor(`${vip}/32 from both nodes in gobgpd's RIB`, async () => {
        const rib = (await inRouter(['gobgp', '-u', '127.0.0.1', '-p', API_PORT, 'global', 'rib', '-a', 'ipv4', '-j'])) as Record<string, { 'neighbor-ip'?: string }[]> | null;
        const from = (rib?.[`${vip}/32`] ?? []).map((p) => p['neighbor-ip'] ?? '').sort();
        return JSON.stringify(from) === JSON.stringify(hops());
      }, 10_000);
    }
  });

  it("FRR's bgpd running the generated frr.conf receives both VIPs from both nodes, as multipath", async () => {
    await stopDaemon();
    daemon = lab!.spawn('router', ['/usr/lib/frr/bgpd', '-Z', '-S', '-P', '0', '-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), '--vty_socket', dir]);
    for (const vip of [VIP_A, VIP_B]) {
      const paths = await waitFor(`${vip}/32 from both nodes in FRR`, async () => {
        const r = (await inRouter(['vtysh', '--vty_socket', dir, '-d', 'bgpd', '-c', `show bgp ipv4 unicast ${vip}/32 json`])) as {
          paths?: { nexthops?: { ip: string }[]; multipath?: boolean; bestpath?: { overall?: boolean } }[];
        } | null;
        const from = (r?.paths ?? []).map((p) => p.nexthops?.[0]?.ip ?? '').sort();
        // Until bgpd has run its best-path selection the paths carry no flags ("processScheduled").
        const decided = (r?.paths ?? []).every((p) => p.multipath === true || p.bestpath?.overall === true);
        return JSON.stringify(from) === JSON.stringify(hops()) && decided ? r!.paths! : undefined;
      }, 20_000);
      assert.equal(paths.filter((p) => p.multipath === true).length, 2, `both paths are multipath (maximum-paths): ${JSON.stringify(paths)}`);
    }
    for (const node of NODES) await speakers.get(node)!.waitSession('home-router', 2);
  });
});
