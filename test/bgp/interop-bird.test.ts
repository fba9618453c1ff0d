import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNetworkPrivileges } from '../support/root.js';
import {
  ROUTER_AS, ROUTER_V4, ROUTER_V6, SPEAKER_AS, SPEAKER_V4, SPEAKER_V6,
  SpeakerProcess, announcement, bfdProfile, bgpPeer, createLab, kill, run, sleep, tryInNs, waitFor, type Lab,
} from './lab.js';

/**
 * Interop with BIRD 2 (Debian's bird2): BIRD in one namespace with its own config, control
 * socket and pid file in a temp dir, airlb's speaker in the other. Two sessions: over IPv4
 * (carrying IPv4 and, by MP-BGP, IPv6 routes) and over IPv6. Routes are read back with
 * `birdc -s SOCK show route all`.
 */

let lab: Lab | undefined;
let dir = '';
let bird: ChildProcess | undefined;
let speaker: SpeakerProcess | undefined;

const V4_ROUTE = '198.51.100.10/32';
const V6_ROUTE = '2001:db8:100::10/128';
const V6_OVER_V4 = '2001:db8:100::20/128';

function birdConfig(password: string | null): string {
  const dev = lab!.routerDev;
  return [
    `router id ${ROUTER_V4};`,
    'protocol device { scan time 1; }',
    'protocol bfd {',
    `  interface "${dev}" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };`,
    `  neighbor ${SPEAKER_V4} dev "${dev}";`,
    '}',
    'protocol bgp airlb4 {',
    `  local ${ROUTER_V4} as ${ROUTER_AS};`,
    `  neighbor ${SPEAKER_V4} as ${SPEAKER_AS};`,
    '  connect retry time 1; error wait time 1, 4; connect delay time 1;',
    // With a key BIRD only listens, so our own signed connect (tcpMd5Connect) is what gets through.
    password === null ? '' : `  password "${password}"; passive on;`,
    '  ipv4 { import all; export none; };',
    '  ipv6 { import all; export none; };',
    '}',
    'protocol bgp airlb6 {',
    `  local ${ROUTER_V6} as ${ROUTER_AS};`,
    `  neighbor ${SPEAKER_V6} as ${SPEAKER_AS};`,
    '  connect retry time 1; error wait time 1, 4; connect delay time 1;',
    '  ipv6 { import all; export none; };',
    '}',
    '',
  ].join('\n');
}

function startBird(password: string | null): void {
  writeFileSync(join(dir, 'bird.conf'), birdConfig(password));
  // Root in its own namespace (its BFD needs CAP_NET_ADMIN); -s and -P keep it off the system's paths.
  bird = spawn('ip', ['netns', 'exec', lab!.routerNs, 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
}

function birdc(...args: string[]): string | null {
  return tryInNs(lab!.routerNs, ['birdc', '-s', join(dir, 'bird.ctl'), ...args]);
}

/** BIRD's `show route all` of one table, as blocks keyed by prefix (first line + attribute lines). */
function birdRoutes(table: 'master4' | 'master6'): Map<string, string> {
  const out = birdc('show', 'route', 'all', 'table', table) ?? '';
  const routes = new Map<string, string>();
  let current: string | null = null;
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f:.]+\/\d+)\s/.exec(line);
    if (m) {
      current = m[1]!;
      routes.set(current, (routes.get(current) ?? '') + line + '\n');
    } else if (current !== null && /^\s/.test(line)) {
      routes.set(current, routes.get(current)! + line + '\n');
    }
  }
  return routes;
}

function birdProtocolUp(name: string): boolean {
  return /Established/.test(birdc('show', 'protocols', name) ?? '');
}

const peers = [bgpPeer('bird4', { peerAddress: ROUTER_V4 }), bgpPeer('bird6', { peerAddress: ROUTER_V6 })];
const routes = [
  announcement(V4_ROUTE, ['bird4'], { communities: ['65000:100', '65535:65281', 'large:64500:1:2'] }),
  announcement(V6_ROUTE, ['bird6'], { communities: ['65000:200'] }),
  announcement(V6_OVER_V4, ['bird4']),
];

async function startSpeaker(peerList = peers): Promise<SpeakerProcess> {
  const s = await SpeakerProcess.start(lab!.speakerNs, {
    peers: peerList,
    bfdProfiles: [bfdProfile('fast')],
    routerId: SPEAKER_V4,
    nodeAddresses: { v4: SPEAKER_V4, v6: SPEAKER_V6 },
    listen: { address: '::', port: 179 },
  });
  return s;
}

describe('BGP interop with BIRD 2', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'nft', 'bird', 'birdc']);
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-`));
    startBird(null);
  });

  after(async () => {
    await speaker?.stop().catch(() => undefined);
    await kill(speaker?.child);
    await kill(bird);
    lab?.teardown();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('establishes an IPv4 and an IPv6 session, and BIRD receives the /32 and /128 routes with our attributes', async () => {
    speaker = await startSpeaker();
    speaker.setRoutes(routes);
    await speaker.waitEstablished('bird4', 20_000);
    await speaker.waitEstablished('bird6', 20_000);
    await waitFor('BIRD to show both protocols Established', () => birdProtocolUp('airlb4') && birdProtocolUp('airlb6'), 10_000);

    const v4 = await waitFor(`${V4_ROUTE} in BIRD`, () => birdRoutes('master4').get(V4_ROUTE), 10_000);
    assert.match(v4, /BGP\.origin: IGP/);
    assert.match(v4, new RegExp(`BGP\\.as_path: ${SPEAKER_AS}\\n`));
    assert.match(v4, new RegExp(`BGP\\.next_hop: ${SPEAKER_V4.replace(/\./g, '\\.')}\\n`));
    assert.match(v4, /BGP\.community: \(65000,100\) \(65535,65281\)/);
    assert.match(v4, /BGP\.large_community: \(64500, 1, 2\)/);

    const v6 = await waitFor('both IPv6 routes in BIRD', () => {
      const t = birdRoutes('master6');
      return t.has(V6_ROUTE) && t.has(V6_OVER_V4) ? t : null;
    }, 10_000);
    assert.match(v6.get(V6_ROUTE)!, /BGP\.next_hop: 2001:db8::2/);
    assert.match(v6.get(V6_ROUTE)!, /BGP\.community: \(65000,200\)/);
    assert.match(v6.get(V6_ROUTE)!, /\[airlb6 /, 'the /128 for the IPv6 peer came over the IPv6 session');
    assert.match(v6.get(V6_OVER_V4)!, /\[airlb4 /, 'the other /128 came over the IPv4 session by MP-BGP');
    assert.match(v6.get(V6_OVER_V4)!, /BGP\.next_hop: 2001:db8::2/);

    const status = await speaker.status();
    assert.deepEqual(status.map((s) => [s.peer, s.prefixesSent]).sort(), [['bird4', 2], ['bird6', 1]]);
  });

  it('withdraws a route when its Service goes, keeping the others', async () => {
    speaker!.setRoutes(routes.filter((r) => r.prefix !== V4_ROUTE));
    await waitFor(`${V4_ROUTE} gone from BIRD`, () => !birdRoutes('master4').has(V4_ROUTE), 10_000);
    assert.ok(birdRoutes('master6').has(V6_OVER_V4), 'the IPv6 route on the same session stays');
    speaker!.setRoutes(routes);
    await waitFor(`${V4_ROUTE} back in BIRD`, () => birdRoutes('master4').has(V4_ROUTE), 10_000);
  });

  it('re-advertises every route after BIRD is killed and restarted', async () => {
    await kill(bird);
    startBird(null);
    await waitFor('BIRD to relearn all routes', () => {
      const four = birdRoutes('master4');
      const six = birdRoutes('master6');
      return four.has(V4_ROUTE) && six.has(V6_ROUTE) && six.has(V6_OVER_V4);
    }, 30_000, 200);
    assert.ok(speaker!.states.some((s) => s.peer === 'bird4' && s.from === 'Established'), 'the session went down in between');
  });

  it('takes the BGP session down within the BFD detection time when BFD packets stop', async () => {
    await speaker!.stop();
    speaker = await startSpeaker([bgpPeer('bird4', { peerAddress: ROUTER_V4, bfdProfile: 'fast' }), peers[1]!]);
    speaker.setRoutes(routes);
    await speaker.waitEstablished('bird4', 20_000);
    await waitFor('BIRD to show the BFD session Up', () => /Up/.test((birdc('show', 'bfd', 'sessions') ?? '').split('\n').find((l) => l.includes(SPEAKER_V4)) ?? ''), 15_000);
    await sleep(500);
    const table = `${lab!.prefix}bfd`;
    run('ip', ['netns', 'exec', lab!.speakerNs, 'nft', `add table inet ${table}; add chain inet ${table} in { type filter hook input priority 0; }; add rule inet ${table} in udp dport 3784 drop`]);
    const cut = Date.now();
    try {
      const down = await waitFor('the BGP session to drop', () => speaker!.states.find((s) => s.peer === 'bird4' && s.from === 'Established'), 5000, 10);
      const tookMs = Date.now() - cut;
      console.log(`BGP session with BIRD dropped ${tookMs} ms after BFD packets were cut (BFD detection 300 ms, BGP hold time 9 s): ${down.reason}`);
      assert.match(down.reason, /BFD/);
      assert.ok(tookMs < 2000, `took ${tookMs} ms`);
    } finally {
      run('ip', ['netns', 'exec', lab!.speakerNs, 'nft', 'delete', 'table', 'inet', table]);
    }
  });

  it('establishes with the right TCP MD5 key (RFC 2385) and never with a wrong one', async () => {
    await speaker!.stop();
    await kill(bird);
    startBird('s3cret');
    speaker = await startSpeaker([bgpPeer('bird4', { peerAddress: ROUTER_V4, password: 's3cret' })]);
    speaker.setRoutes(routes);
    await speaker.waitEstablished('bird4', 20_000);
    await waitFor(`${V4_ROUTE} in BIRD over the signed session`, () => birdRoutes('master4').has(V4_ROUTE), 10_000);
    await speaker.stop();

    speaker = await startSpeaker([bgpPeer('bird4', { peerAddress: ROUTER_V4, password: 'wrong' })]);
    speaker.setRoutes(routes);
    await sleep(6000);
    assert.notEqual(await speaker.stateOf('bird4'), 'Established');
    assert.ok(!birdProtocolUp('airlb4'), 'BIRD does not establish with a wrong key either');
    assert.ok(!speaker.states.some((s) => s.to === 'Established'));
  });
});
