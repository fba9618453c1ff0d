import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BgpSession, type BgpSessionConfig } from '../../src/io/bgp-session.js';
import { SUPPORTED_FAMILIES } from '../../src/domain/bgp/fsm.js';
import type { BgpRoute } from '../../src/domain/bgp/route.js';
import { createLogger } from '../../src/io/logger.js';
import { systemClock } from '../../src/io/system-clock.js';
import {
  BgpFramer,
  CeaseSubcode,
  ErrorCode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  decodeMessage,
  encodeKeepalive,
  encodeOpen,
  encodeRouteRefresh,
  makeOpen,
  shutdownCommunication,
  updatePrefixes,
  type BgpMessage,
} from '../../src/proto/bgp/index.js';
import { formatCidr, parseCidr } from '../../src/domain/net/ip.js';

/**
 * BgpSession over a real net.Socket, without any IP traffic: the peer's end is the other side of
 * a Unix domain socket, driven by the test with the codec. Covers what the FSM and Adj-RIB-Out
 * tests cannot: that the session wires them to a socket correctly.
 */

let dir = '';
let server: net.Server;
let pending: ((s: net.Socket) => void) | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlb-bgp-session-'));
  server = net.createServer((s) => pending?.(s));
  await new Promise<void>((resolve) => server.listen(join(dir, 'peer.sock'), resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The test's side of a BGP connection: sends raw messages, collects decoded ones. */
class FakePeer {
  readonly received: BgpMessage[] = [];
  private readonly framer = new BgpFramer();
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.framer.push(chunk)) this.received.push(decodeMessage(m, { fourOctetAs: true }));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  async waitFor<T>(what: string, check: () => T | undefined | false): Promise<T> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Prefixes announced and withdrawn since index `from` of `received`. */
  prefixes(from = 0): { announced: string[]; withdrawn: string[] } {
    const announced: string[] = [];
    const withdrawn: string[] = [];
    for (const m of this.received.slice(from)) {
      if (m.kind !== 'update') continue;
      const p = updatePrefixes(m.update);
      announced.push(...p.announced.map(formatCidr));
      withdrawn.push(...p.withdrawn.map(formatCidr));
    }
    return { announced: announced.sort(), withdrawn: withdrawn.sort() };
  }

  endOfRibs(): number {
    return this.received.filter((m) => m.kind === 'update' && m.update.endOfRib !== null).length;
  }
}

const config: BgpSessionConfig = {
  name: 'peer',
  peerAddress: '192.0.2.1',
  peerPort: 179,
  sourceAddress: null,
  password: null,
  ebgpMultiHop: false,
  fsm: {
    localAsn: 64500,
    peerAsn: 64500,
    bgpId: 0x0a000001,
    holdTimeS: 90,
    keepaliveS: null,
    families: SUPPORTED_FAMILIES,
    gracefulRestartS: null,
    connectRetryMs: 5000,
    idleHoldInitialMs: 1000,
    passive: true,
  },
  nextHopV4: '192.0.2.2',
  nextHopV6: '2001:db8::2',
};

const route = (p: string): BgpRoute => ({ prefix: parseCidr(p, true)!, communities: [], largeCommunities: [], localPref: null });

/** Hands `session` one more connection; returns the test's peer on the other end of it. */
async function connectTo(session: BgpSession): Promise<FakePeer> {
  const accepted = new Promise<net.Socket>((resolve) => (pending = resolve));
  const ours = net.connect(join(dir, 'peer.sock'));
  await new Promise<void>((resolve) => ours.once('connect', () => resolve()));
  const peer = new FakePeer(await accepted);
  session.accept(ours);
  return peer;
}

/** A passive session handed one connection, and the test's peer on the other end of it. */
async function connectedPair(gracefulRestart = false): Promise<{ session: BgpSession; peer: FakePeer }> {
  const session = new BgpSession(
    { ...config, fsm: { ...config.fsm, gracefulRestartS: gracefulRestart ? 120 : null } },
    { clock: systemClock, logger: createLogger({ format: 'text', level: 'error', write: () => {} }), native: null },
  );
  session.start();
  return { session, peer: await connectTo(session) };
}

async function establish(peer: FakePeer, gracefulRestart = false): Promise<void> {
  await peer.waitFor('our OPEN', () => peer.received.find((m) => m.kind === 'open'));
  const gr = gracefulRestart ? { restarting: false, notification: false, restartTime: 120, families: [] } : null;
  peer.send(encodeOpen(makeOpen({ asn: 64500, holdTime: 30, bgpId: 0x0a000009, capabilities: { multiprotocol: [IPV4_UNICAST, IPV6_UNICAST], routeRefresh: true, gracefulRestart: gr, other: [] } })));
  peer.send(encodeKeepalive());
  await peer.waitFor('our KEEPALIVE', () => peer.received.some((m) => m.kind === 'keepalive'));
}

describe('BGP session over a socket', () => {
  it('sends the routes set before Established once the session is up, then End-of-RIB for both families', async () => {
    const { session, peer } = await connectedPair();
    session.set([route('198.51.100.1/32'), route('2001:db8:1::1/128')]);
    await establish(peer);
    await peer.waitFor('two End-of-RIB markers', () => peer.endOfRibs() === 2);
    assert.deepEqual(peer.prefixes().announced, ['198.51.100.1/32', '2001:db8:1::1/128']);
    const status = session.status();
    assert.equal(status.state, 'Established');
    assert.equal(status.prefixesSent, 2);
    assert.equal(status.negotiated?.holdTimeS, 30);
    await session.stop();
  });

  it('sends only the difference when the route set changes, and everything again on ROUTE-REFRESH', async () => {
    const { session, peer } = await connectedPair();
    session.set([route('198.51.100.1/32'), route('198.51.100.2/32')]);
    await establish(peer);
    await peer.waitFor('End-of-RIB', () => peer.endOfRibs() === 2);
    const mark = peer.received.length;
    session.set([route('198.51.100.2/32'), route('198.51.100.3/32')]);
    await peer.waitFor('the change', () => peer.prefixes(mark).announced.length === 1 && peer.prefixes(mark).withdrawn.length === 1);
    assert.deepEqual(peer.prefixes(mark), { announced: ['198.51.100.3/32'], withdrawn: ['198.51.100.1/32'] });

    const refreshMark = peer.received.length;
    peer.send(encodeRouteRefresh({ ...IPV4_UNICAST, subtype: 0 }));
    await peer.waitFor('the re-sent table', () => peer.prefixes(refreshMark).announced.length === 2);
    assert.deepEqual(peer.prefixes(refreshMark).announced, ['198.51.100.2/32', '198.51.100.3/32']);
    await session.stop();
  });

  it('says goodbye with Cease / Administrative Shutdown and its message, then closes the connection', async () => {
    const { session, peer } = await connectedPair();
    await establish(peer);
    await session.stop(CeaseSubcode.administrativeShutdown, 'node drained');
    await peer.waitFor('the connection to close', () => peer.closed);
    const n = peer.received.find((m) => m.kind === 'notification');
    assert.ok(n && n.kind === 'notification');
    assert.equal(n.notification.code, ErrorCode.cease);
    assert.equal(shutdownCommunication(n.notification), 'node drained');
    assert.equal(session.state, 'Idle');
  });

  it('closes a second connection arriving while Established with Cease / Connection Collision Resolution', async () => {
    const { session, peer } = await connectedPair();
    await establish(peer);
    const second = await connectTo(session);
    await second.waitFor('the second connection to close', () => second.closed);
    const n = second.received.find((m) => m.kind === 'notification');
    assert.ok(n && n.kind === 'notification');
    assert.deepEqual([n.notification.code, n.notification.subcode], [ErrorCode.cease, CeaseSubcode.connectionCollisionResolution]);
    assert.equal(session.state, 'Established');
    assert.ok(!peer.closed);
    await session.stop();
  });

  it('takes a new connection while Established as the peer having restarted when Graceful Restart was negotiated (RFC 4724 §4.2)', async () => {
    const { session, peer } = await connectedPair(true);
    await establish(peer, true);
    assert.equal(session.status().negotiated?.gracefulRestart, true);
    const second = await connectTo(session);
    await peer.waitFor('the old connection to close', () => peer.closed);
    await second.waitFor('an OPEN on the new connection', () => second.received.some((m) => m.kind === 'open'));
    assert.equal(session.state, 'OpenSent');
    await session.stop();
  });

  it('drops the connection without a NOTIFICATION when the path is declared down, and forgets what it sent', async () => {
    const { session, peer } = await connectedPair();
    session.set([route('198.51.100.1/32')]);
    await establish(peer);
    await peer.waitFor('End-of-RIB', () => peer.endOfRibs() === 2);
    session.pathDown('BFD session went Down');
    await peer.waitFor('the connection to close', () => peer.closed);
    assert.ok(!peer.received.some((m) => m.kind === 'notification'));
    const status = session.status();
    assert.equal(status.state, 'Idle', 'down at once; the backoff runs before the next attempt');
    assert.equal(status.prefixesSent, 0);
    assert.equal(status.lastError, 'BFD session went Down');
    await session.stop();
  });
});
