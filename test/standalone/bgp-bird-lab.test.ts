import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { startLab } from '../lab/support.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { NODES, NodeSpeaker, VIP_A, VIP_B, manifests, routerConfig, services, waitFor, writeConfig } from './bgp-support.js';

/**
 * `airlb standalone` in BGP mode against BIRD, in the lab: pi1 (wired) and pi2 (WiFi, behind the
 * AP's proxy ARP and the Pi firmware filter) run `airlb standalone` with the field guide's BGP
 * manifests; the lab's router runs BIRD with the config `airlb router-config --for bird` generates
 * from the same folder. The VIPs are /32s on the nodes' `lo` with arp_ignore=1, so nobody answers
 * ARP for them: the desktop (wired client, default route via the router) reaches them only through
 * the router's BGP routes.
 */

const PORT = 8080;
let lab: Lab | undefined;
let cleanup: (() => Promise<void>) | undefined;
let dir = '';
let folder = '';
let bird: ChildProcess | undefined;
const speakers = new Map<string, NodeSpeaker>();

function birdc(...args: string[]): Promise<string> {
  return lab!.exec('router', ['birdc', '-s', join(dir, 'bird.ctl'), ...args]).then((r) => r.stdout);
}

/** The next hops of the router's kernel route for a VIP (`ip route`), sorted; [] when there is none. */
async function kernelNextHops(vip: string): Promise<string[]> {
  const out = (await lab!.exec('router', ['ip', '-4', 'route', 'show', 'exact', `${vip}/32`])).stdout;
  return [...out.matchAll(/via (\S+)/g)].map((m) => m[1]!).sort();
}

/** A server on VIP:PORT that answers with the node's name, like the demo's web server. */
const server = "require('node:net').createServer((s) => s.end(process.argv[1])).listen(Number(process.argv[2]), process.argv[3])";

/** Opens `n` TCP connections from the desktop to VIP:PORT and returns who answered each (or the error). */
const client = `
const net = require('node:net');
const [vip, port, n] = process.argv.slice(1);
(async () => {
  const out = [];
  for (let i = 0; i < Number(n); i++) {
    out.push(await new Promise((resolve) => {
      const s = net.connect({ host: vip, port: Number(port), timeout: 2000 });
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => resolve(data));
      s.on('timeout', () => { s.destroy(); resolve('timeout'); });
      s.on('error', (e) => resolve(e.code));
    }));
  }
  console.log(JSON.stringify(out));
})();`;

async function connectFromDesktop(vip: string, n: number): Promise<string[]> {
  const r = await lab!.exec('desktop', [process.execPath, '-e', client, vip, String(PORT), String(n)], { timeoutMs: 30_000 });
  return JSON.parse(r.stdout) as string[];
}

describe('airlb standalone in BGP mode, with BIRD on the lab router', () => {
  before(async () => {
    requireNetworkPrivileges(['ip', 'nft', 'bird', 'birdc']);
    ({ lab, cleanup } = await startLab());
    dir = await mkdtemp(join(tmpdir(), `${lab.prefix}-`));
    folder = await writeConfig(dir, manifests(lab), services([['web', VIP_A], ['web2', VIP_B]]));
    const conf = await routerConfig('bird', folder);
    await writeFile(join(dir, 'bird.conf'), conf);
    // The router spreads flows by ports too (L4 hash), and sends no ICMP redirects: a redirect
    // would make the desktop bypass the router and pin every later connection to one node.
    for (const key of ['net.ipv4.fib_multipath_hash_policy=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.eth0.send_redirects=0']) {
      assert.equal((await lab.exec('router', ['sysctl', '-qw', key])).code, 0, key);
    }
    bird = lab.spawn('router', ['bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')]);
    for (const node of NODES) {
      for (const argv of [
        ['sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'],
        ['ip', 'addr', 'add', `${VIP_A}/32`, 'dev', 'lo'],
        ['ip', 'addr', 'add', `${VIP_B}/32`, 'dev', 'lo'],
      ]) {
        const r = await lab.exec(node, argv);
        assert.equal(r.code, 0, `${argv.join(' ')} on ${node}: ${r.stderr}`);
      }
      lab.spawn(node, [process.execPath, '-e', server, node, String(PORT), VIP_A]);
      speakers.set(node, NodeSpeaker.start(lab, node, folder, dir));
    }
  });

  after(async () => {
    if (process.env.BGP_TEST_LOGS === '1') for (const s of speakers.values()) console.log(`--- ${s.name}\n${s.logs}`);
    for (const s of speakers.values()) await s.stop().catch(() => undefined);
    bird?.kill('SIGKILL');
    await cleanup?.();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('opens a session from each node to BIRD running the generated config, which installs each VIP with both nodes as ECMP next hops', async () => {
    const started = Date.now();
    for (const node of NODES) {
      const status = await speakers.get(node)!.waitSession('home-router', 2);
      assert.deepEqual(status.bgp.routes.map((r) => r.prefix), [`${VIP_A}/32`, `${VIP_B}/32`]);
      assert.equal(status.bgp.routerId, lab!.node(node).ipv4, "the router ID is the Node's InternalIP");
    }
    const hops = NODES.map((n) => lab!.node(n).ipv4).sort();
    for (const vip of [VIP_A, VIP_B]) {
      await waitFor(`${vip} with next hops ${hops.join(', ')} in the router's kernel table`, async () => JSON.stringify(await kernelNextHops(vip)) === JSON.stringify(hops), 10_000);
    }
    console.log(`both sessions Established and both VIPs installed with 2 next hops ${Date.now() - started} ms after the speakers started`);
    const table = await birdc('show', 'route', 'for', `${VIP_A}/32`, 'all');
    for (const node of NODES) assert.match(table, new RegExp(`airlb_home_router_${node}`), `BIRD has ${node}'s path`);
    assert.match(table, /BGP\.as_path: 64500/);
  });

  it('lets the desktop reach the VIP through the router, with connections served by both nodes', async () => {
    const answers = await connectFromDesktop(VIP_A, 20);
    assert.ok(answers.every((a) => a === 'pi1' || a === 'pi2'), `every connection answered by a node: ${answers.join(',')}`);
    assert.ok(answers.includes('pi1') && answers.includes('pi2'), `both nodes served (ECMP): ${answers.join(',')}`);
  });

  it('withdraws the route of a Service removed from the YAML and keeps the other', async () => {
    await writeFile(join(folder, 'services.yaml'), services([['web', VIP_A]]));
    await waitFor(`${VIP_B} gone from the router's kernel table`, async () => (await kernelNextHops(VIP_B)).length === 0, 10_000);
    assert.doesNotMatch(await birdc('show', 'route', 'for', `${VIP_B}/32`), new RegExp(VIP_B.replace(/\./g, '\\.')));
    assert.equal((await kernelNextHops(VIP_A)).length, 2, `${VIP_A} keeps both next hops`);
    for (const node of NODES) {
      const status = await speakers.get(node)!.waitSession('home-router', 1);
      assert.deepEqual(status.bgp.routes.map((r) => r.prefix), [`${VIP_A}/32`]);
    }
  });

  it('applies a BFDProfile added to the BGPPeer on reload, and BIRD running the regenerated config has BFD Up with both nodes', async () => {
    const bfd = 'apiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata: {name: fast, namespace: metallb-system}\nspec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}\n';
    await writeFile(join(folder, 'bgp.yaml'), `${manifests(lab!, '  bfdProfile: fast\n')}---\n${bfd}`);
    await writeFile(join(dir, 'bird.conf'), await routerConfig('bird', folder));
    assert.match(await birdc('configure'), /Reconfigur/);
    await waitFor('BIRD to show BFD Up with both nodes', async () => {
      const out = await birdc('show', 'bfd', 'sessions');
      return NODES.every((n) => new RegExp(`${lab!.node(n).ipv4.replace(/\./g, '\\.')}\\s+\\S+\\s+Up`).test(out));
    }, 15_000);
    for (const node of NODES) {
      await speakers.get(node)!.waitSession('home-router', 1);
      assert.match(speakers.get(node)!.logs, /the BFDProfiles changed: restarting the BGP sessions/);
    }
    await waitFor(`${VIP_A} back with both next hops`, async () => (await kernelNextHops(VIP_A)).length === 2, 10_000);
  });

  it('closes the session with Cease / Administrative Shutdown on SIGTERM, leaving the router one next hop', async () => {
    assert.equal(await speakers.get('pi2')!.stop(), 0);
    await waitFor(`${VIP_A} down to pi1 alone`, async () => JSON.stringify(await kernelNextHops(VIP_A)) === JSON.stringify([lab!.node('pi1').ipv4]), 10_000);
    const protocol = await birdc('show', 'protocols', 'all', 'airlb_home_router_pi2');
    assert.match(protocol, /Received: Administrative shutdown/, protocol);
    const final = await speakers.get('pi2')!.status();
    assert.equal(final?.running, false);
    assert.deepEqual(final?.bgp.sessions, [], 'the final status shows no session left open');
    assert.deepEqual(await connectFromDesktop(VIP_A, 3), ['pi1', 'pi1', 'pi1']);
  });
});
