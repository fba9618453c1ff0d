import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNetworkPrivileges } from '../support/root.js';
import { ROUTER_AS, ROUTER_V4, SPEAKER_AS, SPEAKER_V4, SPEAKER_V6, SpeakerProcess, announcement, bgpPeer, createLab, kill, sleep, tryInNs, waitFor, type Lab } from './lab.js';

/**
 * Interop with FRR's bgpd (Debian's frr) as an eBGP peer. bgpd runs alone in its namespace
 * without zebra (-Z: nothing is installed in a kernel table, which the test does not need), as
 * root there (-S), with its config, pid file and vty socket in a temp dir and no vty TCP port;
 * routes are read back with `vtysh --vty_socket DIR -d bgpd -c '... json'`.
 */

let lab: Lab | undefined;
let dir = '';
let bgpd: ChildProcess | undefined;
let speaker: SpeakerProcess | undefined;

const V4_ROUTE = '198.51.100.10/32';
const V6_ROUTE = '2001:db8:100::10/128';

function config(password: string | null): string {
  return [
    'frr defaults traditional',
    'hostname airlb-interop',
    'router bgp ' + ROUTER_AS,
    ` bgp router-id ${ROUTER_V4}`,
    ' no bgp ebgp-requires-policy',
    ` neighbor ${SPEAKER_V4} remote-as ${SPEAKER_AS}`,
    ` neighbor ${SPEAKER_V4} timers connect 1`,
    ...(password === null ? [] : [` neighbor ${SPEAKER_V4} password ${password}`]),
    ' address-family ipv6 unicast',
    `  neighbor ${SPEAKER_V4} activate`,
    ' exit-address-family',
    '',
  ].join('\n');
}

function startBgpd(password: string | null): void {
  writeFileSync(join(dir, 'bgpd.conf'), config(password));
  bgpd = spawn(
    'ip',
    ['netns', 'exec', lab!.routerNs, '/usr/lib/frr/bgpd', '-Z', '-S', '-P', '0', '-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), '--vty_socket', dir],
    { stdio: 'ignore' },
  );
}

function vtysh(command: string): unknown {
  const out = tryInNs(lab!.routerNs, ['vtysh', '--vty_socket', dir, '-d', 'bgpd', '-c', command]);
  if (out === null || out.trim() === '') return null;
  try {
    return JSON.parse(out);
  } catch {
    return null;
  }
}

interface FrrPath {
  readonly aspath?: { readonly string: string };
  readonly origin?: string;
  readonly community?: { readonly string: string };
  readonly largeCommunity?: { readonly string: string };
  readonly nexthops?: readonly { readonly ip: string }[];
  readonly valid?: boolean;
}

/** `show bgp <afi> unicast <prefix> json`: the path learned for a prefix, or null. */
function route(afi: 'ipv4' | 'ipv6', prefix: string): FrrPath | null {
  const r = vtysh(`show bgp ${afi} unicast ${prefix} json`) as { paths?: FrrPath[] } | null;
  return r?.paths?.[0] ?? null;
}

function peerState(): string | null {
  const r = vtysh(`show bgp neighbors ${SPEAKER_V4} json`) as Record<string, { bgpState?: string }> | null;
  return r?.[SPEAKER_V4]?.bgpState ?? null;
}

const peers = [bgpPeer('frr', { peerAddress: ROUTER_V4 })];
const routes = [
  announcement(V4_ROUTE, ['frr'], { communities: ['65000:100', 'large:64500:1:2'] }),
  announcement(V6_ROUTE, ['frr'], { communities: ['65000:200'] }),
];

function startSpeaker(peerList = peers): Promise<SpeakerProcess> {
  return SpeakerProcess.start(lab!.speakerNs, { peers: peerList, routerId: SPEAKER_V4, nodeAddresses: { v4: SPEAKER_V4, v6: SPEAKER_V6 }, listen: { address: '::', port: 179 } });
}

describe('BGP interop with FRR bgpd', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'vtysh', '/usr/lib/frr/bgpd']);
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-`));
    chmodSync(dir, 0o755);
    startBgpd(null);
  });

  after(async () => {
    await speaker?.stop().catch(() => undefined);
    await kill(speaker?.child);
    await kill(bgpd);
    lab?.teardown();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('establishes a session and FRR receives the /32 and (by MP-BGP) the /128 with our attributes', async () => {
    speaker = await startSpeaker();
    speaker.setRoutes(routes);
    await speaker.waitEstablished('frr', 20_000);
    await waitFor('FRR to show the session Established', () => peerState() === 'Established', 10_000);

    const v4 = await waitFor(`${V4_ROUTE} in FRR`, () => route('ipv4', V4_ROUTE), 10_000);
    assert.equal(v4.aspath?.string, String(SPEAKER_AS));
    assert.equal(v4.origin, 'IGP');
    assert.equal(v4.nexthops?.[0]?.ip, SPEAKER_V4);
    assert.equal(v4.community?.string, '65000:100');
    assert.equal(v4.largeCommunity?.string, '64500:1:2');

    const v6 = await waitFor(`${V6_ROUTE} in FRR`, () => route('ipv6', V6_ROUTE), 10_000);
    assert.equal(v6.nexthops?.[0]?.ip, SPEAKER_V6);
    assert.equal(v6.community?.string, '65000:200');
  });

  it('withdraws a route when its Service goes', async () => {
    speaker!.setRoutes(routes.filter((r) => r.prefix !== V4_ROUTE));
    await waitFor(`${V4_ROUTE} gone from FRR`, () => route('ipv4', V4_ROUTE) === null, 10_000);
    assert.notEqual(route('ipv6', V6_ROUTE), null);
    speaker!.setRoutes(routes);
    await waitFor(`${V4_ROUTE} back`, () => route('ipv4', V4_ROUTE), 10_000);
  });

  it('re-advertises every route after bgpd is killed and restarted', async () => {
    await kill(bgpd);
    startBgpd(null);
    await waitFor('FRR to relearn all routes', () => route('ipv4', V4_ROUTE) !== null && route('ipv6', V6_ROUTE) !== null, 30_000, 200);
    assert.ok(speaker!.states.some((s) => s.from === 'Established'), 'the session went down in between');
  });

  it('establishes with the right TCP MD5 key (RFC 2385) and never with a wrong one', async () => {
    await speaker!.stop();
    await kill(bgpd);
    startBgpd('s3cret');
    speaker = await startSpeaker([bgpPeer('frr', { peerAddress: ROUTER_V4, password: 's3cret' })]);
    speaker.setRoutes(routes);
    await speaker.waitEstablished('frr', 20_000);
    await waitFor(`${V4_ROUTE} in FRR over the signed session`, () => route('ipv4', V4_ROUTE), 10_000);
    await speaker.stop();

    speaker = await startSpeaker([bgpPeer('frr', { peerAddress: ROUTER_V4, password: 'wrong' })]);
    await sleep(6000);
    assert.notEqual(await speaker.stateOf('frr'), 'Established');
    const state = peerState();
    assert.ok(state !== null && state !== 'Established', `FRR's view of the session: ${state}`);
    assert.ok(!speaker.states.some((s) => s.to === 'Established'));
  });
});
