import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNetworkPrivileges } from '../support/root.js';
import { ROUTER_V4, ROUTER_V6, SPEAKER_AS, SPEAKER_V4, SPEAKER_V6, SpeakerProcess, announcement, bgpPeer, createLab, kill, sleep, tryInNs, waitFor, type Lab } from './lab.js';

/**
 * Interop with GoBGP (Debian's gobgpd) as an iBGP peer — so LOCAL_PREF and the empty AS_PATH are
 * checked too — over IPv4 (IPv4 and, by MP-BGP, IPv6 routes) and over IPv6. gobgpd runs in its
 * namespace with a TOML config in a temp dir and its gRPC API on the namespace's loopback; routes
 * are read back with `gobgp global rib -j` (and `-a ipv6`).
 */

let lab: Lab | undefined;
let dir = '';
let gobgpd: ChildProcess | undefined;
let speaker: SpeakerProcess | undefined;
const API_PORT = '50151';

const V4_ROUTE = '198.51.100.10/32';
const V6_ROUTE = '2001:db8:100::10/128';
const V6_OVER_V4 = '2001:db8:100::20/128';

function config(password: string | null): string {
  const neighbor = (address: string, families: string[]) =>
    [
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${address}"`,
      `    peer-as = ${SPEAKER_AS}`,
      ...(password === null ? [] : [`    auth-password = "${password}"`]),
      '  [neighbors.timers.config]',
      '    connect-retry = 1',
      ...families.flatMap((f) => ['  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}"`]),
    ].join('\n');
  return [
    '[global.config]',
    `  as = ${SPEAKER_AS}`,
    `  router-id = "${ROUTER_V4}"`,
    neighbor(SPEAKER_V4, ['ipv4-unicast', 'ipv6-unicast']),
    neighbor(SPEAKER_V6, ['ipv6-unicast']),
    '',
  ].join('\n');
}

function startGobgpd(password: string | null): void {
  writeFileSync(join(dir, 'gobgpd.toml'), config(password));
  gobgpd = spawn('ip', ['netns', 'exec', lab!.routerNs, 'gobgpd', '-f', join(dir, 'gobgpd.toml'), '--api-hosts', `127.0.0.1:${API_PORT}`, '--pprof-disable', '--disable-stdlog'], { stdio: 'ignore' });
}

interface GobgpPath {
  readonly nlri: { readonly prefix: string };
  readonly attrs: readonly ({ readonly type: number } & Record<string, unknown>)[];
  readonly 'neighbor-ip'?: string;
}

/** `gobgp global rib -j`: prefix → paths; empty when gobgpd does not answer yet. */
function rib(family: 'ipv4' | 'ipv6'): Record<string, GobgpPath[]> {
  const out = tryInNs(lab!.routerNs, ['gobgp', '-u', '127.0.0.1', '-p', API_PORT, 'global', 'rib', '-a', family, '-j']);
  if (out === null || out.trim() === '') return {};
  return JSON.parse(out) as Record<string, GobgpPath[]>;
}

function neighborState(address: string): string | null {
  const out = tryInNs(lab!.routerNs, ['gobgp', '-u', '127.0.0.1', '-p', API_PORT, 'neighbor', address, '-j']);
  if (out === null) return null;
  return (JSON.parse(out) as { state?: { session_state?: number | string } }).state?.session_state?.toString() ?? null;
}

const attr = (path: GobgpPath, type: number) => path.attrs.find((a) => a.type === type);

const peers = [bgpPeer('gobgp4', { peerAddress: ROUTER_V4, peerASN: SPEAKER_AS }), bgpPeer('gobgp6', { peerAddress: ROUTER_V6, peerASN: SPEAKER_AS })];
const routes = [
  announcement(V4_ROUTE, ['gobgp4'], { communities: ['65000:100', 'large:64500:1:2'], localPref: 250 }),
  announcement(V6_ROUTE, ['gobgp6'], { localPref: 120 }),
  announcement(V6_OVER_V4, ['gobgp4']),
];

function startSpeaker(peerList = peers): Promise<SpeakerProcess> {
  return SpeakerProcess.start(lab!.speakerNs, { peers: peerList, routerId: SPEAKER_V4, nodeAddresses: { v4: SPEAKER_V4, v6: SPEAKER_V6 }, listen: { address: '::', port: 179 } });
}

describe('BGP interop with GoBGP', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'gobgpd', 'gobgp']);
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), `${lab.prefix}-`));
    startGobgpd(null);
  });

  after(async () => {
    await speaker?.stop().catch(() => undefined);
    await kill(speaker?.child);
    await kill(gobgpd);
    lab?.teardown();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('establishes iBGP sessions over IPv4 and IPv6, and GoBGP receives the /32 and /128 routes with our attributes', async () => {
    speaker = await startSpeaker();
    speaker.setRoutes(routes);
    await speaker.waitEstablished('gobgp4', 20_000);
    await speaker.waitEstablished('gobgp6', 20_000);

    const v4 = await waitFor(`${V4_ROUTE} in GoBGP`, () => rib('ipv4')[V4_ROUTE]?.[0], 10_000);
    assert.equal(attr(v4, 1)?.value, 0, 'ORIGIN IGP');
    assert.deepEqual(attr(v4, 2)?.as_paths ?? [], [], 'empty AS_PATH towards an iBGP peer');
    assert.equal(attr(v4, 3)?.nexthop, SPEAKER_V4);
    assert.equal(attr(v4, 5)?.value, 250, 'LOCAL_PREF from the BGPAdvertisement');
    assert.deepEqual(attr(v4, 8)?.communities, [65000 * 65536 + 100]);
    assert.deepEqual(JSON.stringify(attr(v4, 32)?.value), JSON.stringify([{ ASN: 64500, LocalData1: 1, LocalData2: 2 }]));

    const v6 = await waitFor('both IPv6 routes in GoBGP', () => {
      const r = rib('ipv6');
      return r[V6_ROUTE] && r[V6_OVER_V4] ? r : null;
    }, 10_000);
    const direct = v6[V6_ROUTE]![0]!;
    assert.equal(direct['neighbor-ip'], SPEAKER_V6);
    assert.equal(attr(direct, 5)?.value, 120);
    assert.deepEqual((attr(direct, 14) as { nexthop?: string } | undefined)?.nexthop, SPEAKER_V6, 'MP_REACH next hop');
    const overV4 = v6[V6_OVER_V4]![0]!;
    assert.equal(overV4['neighbor-ip'], SPEAKER_V4, 'carried by MP-BGP over the IPv4 session');
    assert.equal(attr(overV4, 5)?.value, 100, 'the customary LOCAL_PREF when none is configured');
  });

  it('withdraws a route when its Service goes', async () => {
    speaker!.setRoutes(routes.filter((r) => r.prefix !== V4_ROUTE && r.prefix !== V6_ROUTE));
    await waitFor('the withdrawn routes gone from GoBGP', () => !(V4_ROUTE in rib('ipv4')) && !(V6_ROUTE in rib('ipv6')), 10_000);
    assert.ok(V6_OVER_V4 in rib('ipv6'));
    speaker!.setRoutes(routes);
    await waitFor('the routes back', () => V4_ROUTE in rib('ipv4') && V6_ROUTE in rib('ipv6'), 10_000);
  });

  it('re-advertises every route after gobgpd is killed and restarted', async () => {
    await kill(gobgpd);
    startGobgpd(null);
    await waitFor('GoBGP to relearn all routes', () => {
      const six = rib('ipv6');
      return V4_ROUTE in rib('ipv4') && V6_ROUTE in six && V6_OVER_V4 in six;
    }, 30_000, 200);
    assert.ok(speaker!.states.some((s) => s.peer === 'gobgp4' && s.from === 'Established'), 'the session went down in between');
  });

  it('closes the session of a removed BGPPeer, which drops its routes, and starts it again when the peer comes back', async () => {
    await speaker!.setPeers([peers[0]!]);
    await waitFor(`${V6_ROUTE} gone with its session`, () => !(V6_ROUTE in rib('ipv6')), 10_000);
    assert.ok(V6_OVER_V4 in rib('ipv6'), 'the other session is untouched');
    assert.deepEqual((await speaker!.status()).map((s) => s.peer), ['gobgp4']);
    await speaker!.setPeers(peers);
    await waitFor(`${V6_ROUTE} back`, () => V6_ROUTE in rib('ipv6'), 20_000);
  });

  it('establishes with the right TCP MD5 key (RFC 2385) and never with a wrong one', async () => {
    await speaker!.stop();
    await kill(gobgpd);
    startGobgpd('s3cret');
    speaker = await startSpeaker([bgpPeer('gobgp4', { peerAddress: ROUTER_V4, peerASN: SPEAKER_AS, password: 's3cret' })]);
    speaker.setRoutes(routes);
    await speaker.waitEstablished('gobgp4', 20_000);
    await waitFor(`${V4_ROUTE} in GoBGP over the signed session`, () => V4_ROUTE in rib('ipv4'), 10_000);
    await speaker.stop();

    speaker = await startSpeaker([bgpPeer('gobgp4', { peerAddress: ROUTER_V4, peerASN: SPEAKER_AS, password: 'wrong' })]);
    await sleep(6000);
    assert.notEqual(await speaker.stateOf('gobgp4'), 'Established');
    // apipb.PeerState.SessionState: 6 is ESTABLISHED.
    const state = neighborState(SPEAKER_V4);
    assert.ok(state !== null && state !== '6', `GoBGP's session state: ${state}`);
    assert.ok(!speaker.states.some((s) => s.to === 'Established'));
  });
});
