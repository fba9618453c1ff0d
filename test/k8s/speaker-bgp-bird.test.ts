import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JsonObject } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { cliCommand, repoRoot } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { FakeApiServer } from './fake-apiserver.js';
import { describeEvents, service, waitFor, writeKubeconfig } from './helpers.js';

/**
 * `airlb speaker` with BGP, end to end: the test API server and the speaker (the real CLI) in one
 * network namespace, BIRD 2 in another, joined by a veth pair. The BGPPeer's TCP MD5 key comes
 * from a basic-auth Secret, and BIRD has that key (passive, so only a signed connect gets in).
 * Proves, as BIRD sees it: a Service with a ready endpoint → the /32 from this node; endpoint not
 * ready → withdrawn; ready again → re-advertised; API server down → session and route stay; the
 * router drops the session → a sessionDown Event; Service deleted → withdrawn; a wrong key in the
 * Secret → no session. Every name starts with `ah5` + 4 hex and is removed at the end.
 */

const NS = 'metallb-system';
const ROUTER = '192.0.2.1';
const NODE_IP = '192.0.2.2';
const VIP = '198.51.100.10';
const ROUTE = `${VIP}/32`;
const PASSWORD = 'k8s-s3cret';

const prefix = `ah5${randomBytes(2).toString('hex')}`;
const routerNs = `${prefix}r`;
const speakerNs = `${prefix}s`;
let dir = '';
let bird: ChildProcess | undefined;
let speaker: ChildProcess | undefined;
let speakerLog = '';
let server: FakeApiServer | undefined;
let metricsPort = 0;

function run(args: readonly string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function inNs(ns: string, args: readonly string[]): string | null {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : null;
}

/** A listening TCP socket made inside `netns` by a helper process (sockets stay in the namespace they were made in). */
function listenIn(netns: string, host: string, port: number): Promise<NetServer> {
  const script = `const s=require('net').createServer();s.listen(${port},'${host}',()=>process.send('listening',s,()=>process.exit(0)))`;
  const helper = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    helper.once('message', (_m, handle) => resolve(handle as NetServer));
    helper.once('exit', (code) => reject(new Error(`the listener helper in ${netns} exited with ${code}`)));
  });
}

function birdc(...args: string[]): string {
  return inNs(routerNs, ['birdc', '-s', join(dir, 'bird.ctl'), ...args]) ?? '';
}

/** BIRD's route for the VIP, if it has one from the speaker's address. */
function birdHasRoute(): boolean {
  const out = birdc('show', 'route', ROUTE, 'all');
  return out.includes(ROUTE) && out.includes(`BGP.next_hop: ${NODE_IP}`);
}

function birdEstablished(): boolean {
  return /Established/.test(birdc('show', 'protocols', 'airlb'));
}

/** The speaker's /metrics, fetched from inside its namespace. */
function metrics(): string {
  const script = `fetch('http://127.0.0.1:${metricsPort}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return inNs(speakerNs, [process.execPath, '-e', script]) ?? '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asserts `check` stays true for `ms` (sampled every 200 ms). */
async function holds(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.ok(check(), what);
    await sleep(200);
  }
}

function endpointSlice(ready: boolean): JsonObject {
  return {
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready }, nodeName: 'pi1' }],
  };
}

function secret(password: string): JsonObject {
  return { metadata: { name: 'bgp-auth', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: Buffer.from(password).toString('base64') } };
}

describe('airlb speaker announces Services over BGP to BIRD', () => {
  before(async () => {
    requireNetworkPrivileges(['ip', 'bird', 'birdc']);
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    run(['ip', 'netns', 'add', routerNs]);
    run(['ip', 'netns', 'add', speakerNs]);
    run(['ip', 'link', 'add', `${prefix}vr`, 'netns', routerNs, 'type', 'veth', 'peer', 'name', `${prefix}vs`, 'netns', speakerNs]);
    for (const [ns, dev, ip] of [[routerNs, `${prefix}vr`, ROUTER], [speakerNs, `${prefix}vs`, NODE_IP]] as const) {
      run(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
      run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up']);
    }
    writeFileSync(
      join(dir, 'bird.conf'),
      [
        `router id ${ROUTER};`,
        'protocol device { scan time 1; }',
        'protocol bgp airlb {',
        `  local ${ROUTER} as 64501;`,
        `  neighbor ${NODE_IP} as 64500;`,
        '  connect retry time 1; error wait time 1, 4; connect delay time 1;',
        // With a key BIRD only listens: the speaker's own signed connect is what gets through.
        `  password "${PASSWORD}"; passive on;`,
        '  ipv4 { import all; export none; };',
        '}',
        '',
      ].join('\n'),
    );
    bird = spawn('ip', ['netns', 'exec', routerNs, 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });

    // The API server listens on the speaker namespace's loopback, where the speaker reaches it.
    server = await FakeApiServer.start({ bookmarkMs: 500, listen: { handle: await listenIn(speakerNs, '127.0.0.1', 6443), url: 'http://127.0.0.1:6443' } });
    const s = server;
    s.put(RESOURCES.namespace, { metadata: { name: 'default' } });
    s.put(RESOURCES.node, {
      metadata: { name: 'pi1', labels: { 'kubernetes.io/hostname': 'pi1' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: NODE_IP }] },
    });
    s.put(RESOURCES.ipAddressPool, { metadata: { name: 'bgp-pool', namespace: NS }, spec: { addresses: ['198.51.100.0/24'] } });
    s.put(RESOURCES.bgpAdvertisement, { metadata: { name: 'bgp', namespace: NS }, spec: { ipAddressPools: ['bgp-pool'] } });
    s.put(RESOURCES.secret, secret(PASSWORD));
    s.put(RESOURCES.bgpPeer, {
      metadata: { name: 'bird', namespace: NS },
      spec: { myASN: 64500, peerASN: 64501, peerAddress: ROUTER, holdTime: '9s', connectTime: '2s', passwordSecret: { name: 'bgp-auth', namespace: NS } },
    });
    s.put(RESOURCES.service, { ...service('default', 'web', { annotations: { 'metallb.io/ip-allocated-from-pool': 'bgp-pool' } }), status: { loadBalancer: { ingress: [{ ip: VIP }] } } });
    s.put(RESOURCES.endpointSlice, endpointSlice(true));

    const kubeconfig = writeKubeconfig(dir, s.url);
    speaker = spawn('ip', ['netns', 'exec', speakerNs, ...cliCommand(), 'speaker', '--kubeconfig', kubeconfig, '--node', 'pi1', '--namespace', NS, '--metrics-bind', '127.0.0.1:0', '--log-format', 'json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    speaker.stderr!.setEncoding('utf8').on('data', (d: string) => (speakerLog += d));
    await waitFor('the speaker to start', () => /"msg":"starting"/.test(speakerLog), 20_000);
    metricsPort = Number(/"metricsPort":(\d+)/.exec(speakerLog)![1]);
  });

  after(async () => {
    if (speaker !== undefined && speaker.exitCode === null) {
      const exited = new Promise((r) => speaker!.once('exit', r));
      speaker.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      speaker.kill('SIGKILL');
    }
    bird?.kill('SIGKILL');
    await server?.close();
    for (const ns of [routerNs, speakerNs]) spawnSync('ip', ['netns', 'del', ns]);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    if (process.env['SPEAKER_LOGS'] === '1') console.log(speakerLog);
  });

  it('brings the MD5 session up with the key from the Secret and gives BIRD the /32 of the Service with a ready endpoint', async () => {
    await waitFor('BIRD to have the route', birdHasRoute, 30_000);
    assert.ok(birdEstablished());
    const text = metrics();
    assert.match(text, new RegExp(`^metallb_bgp_session_up\\{peer="${ROUTER}"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^metallb_bgp_announced_prefixes_total\\{peer="${ROUTER}"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^metallb_speaker_announced\\{ip="${VIP}",node="pi1",protocol="bgp",service="default/web"\\} 1$`, 'm'));
    await waitFor('the nodeAssigned Event', () => describeEvents(server!.list(RESOURCES.event), 'web').length > 0);
    assert.deepEqual(describeEvents(server!.list(RESOURCES.event), 'web'), ['Normal nodeAssigned: announcing from node "pi1" with protocol "bgp"']);
  });

  it('withdraws the route while the endpoint is not ready and announces it again when it is', async () => {
    server!.put(RESOURCES.endpointSlice, endpointSlice(false));
    await waitFor('the route to be withdrawn', () => !birdHasRoute(), 10_000);
    assert.ok(birdEstablished(), 'only the route went, not the session');
    server!.put(RESOURCES.endpointSlice, endpointSlice(true));
    await waitFor('the route to be back', birdHasRoute, 10_000);
  });

  it('keeps the session and the route while the API server is unreachable', async () => {
    server!.setAvailable(false);
    try {
      await waitFor('the speaker to notice', () => /airlb_k8s_api_connected 0/.test(metrics()), 10_000);
      await holds('the route and the session stay while the API server is down', () => birdHasRoute() && birdEstablished(), 4000);
    } finally {
      server!.setAvailable(true);
    }
    await waitFor('the speaker to reconnect', () => /airlb_k8s_api_connected 1/.test(metrics()), 15_000);
    assert.ok(birdHasRoute());
  });

  it('records a sessionDown Event on the BGPPeer when the router drops the session, and announces again once it is back', async () => {
    birdc('disable', 'airlb');
    const peerEvents = () => describeEvents(server!.list(RESOURCES.event), 'bird');
    await waitFor('the sessionDown Event', () => peerEvents().some((e) => e.startsWith('Warning sessionDown: BGP session down: 192.0.2.1 from node "pi1"')), 10_000);
    assert.match(speakerLog, /"msg":"BGP session down".*"event":"sessionDown"/);
    birdc('enable', 'airlb');
    await waitFor('the route after the session came back', birdHasRoute, 20_000);
  });

  it('withdraws the route when the Service is deleted', async () => {
    server!.remove(RESOURCES.service, 'default', 'web');
    await waitFor('the route to be withdrawn', () => !birdHasRoute(), 10_000);
    assert.ok(birdEstablished());
    assert.match(metrics(), new RegExp(`^metallb_bgp_announced_prefixes_total\\{peer="${ROUTER}"\\} 0$`, 'm'));
  });

  it('has no session once the Secret holds another key: the key really comes from the Secret', async () => {
    server!.put(RESOURCES.secret, secret('not-the-key'));
    await waitFor('the session to go down', () => !birdEstablished(), 10_000);
    await holds('no session with a wrong key', () => !birdEstablished(), 5000);
    assert.match(metrics(), new RegExp(`^metallb_bgp_session_up\\{peer="${ROUTER}"\\} 0$`, 'm'));
    server!.put(RESOURCES.secret, secret(PASSWORD));
    await waitFor('the session with the right key again', birdEstablished, 20_000);
  });
});
