import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { BfdUdpEndpoint } from '../../src/io/bfd-udp.js';
import type { BfdSession } from '../../src/domain/bfd/session.js';
import { BfdState, encodeControl, type BfdControlPacket } from '../../src/proto/bfd/control.js';

/*
 * One BFD listener per (address, port) in the process (src/io/bfd-listener.ts): two users —
 * "membership" and "bgp" — open endpoints on the same 127.0.0.1:PORT, each runs a session with its
 * own peer (127.0.0.2 and 127.0.0.3, on loopback, no privileges needed), and the one socket hands
 * each received packet to the right session by Your Discriminator, or by source address while it
 * is 0 (RFC 5880 §6.8.6). Packets matching no session are dropped and counted; one peer address
 * cannot have two sessions; closing one user leaves the other's session and the socket alone.
 */

const PORT = 40_000 + Math.floor(Math.random() * 10_000);
const timing = { desiredMinTxMs: 20, requiredMinRxMs: 20, detectMult: 5 };
const opened: BfdUdpEndpoint[] = [];
const warnings: string[] = [];

async function open(localAddress: string, user: string): Promise<BfdUdpEndpoint> {
  const e = await BfdUdpEndpoint.open({ localAddress, port: PORT, peerPort: PORT, user, onWarning: (m) => warnings.push(`${user}: ${m}`) });
  opened.push(e);
  return e;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Binding the port exclusively again fails while any user holds the shared listener. */
async function portBound(): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => {
      s.close();
      resolve(true);
    });
    s.bind({ address: '127.0.0.1', port: PORT, exclusive: true }, () => {
      s.close();
      resolve(false);
    });
  });
}

/** Sends one crafted Control packet to the shared listener from `from`. */
async function inject(from: string, fields: Partial<BfdControlPacket>): Promise<void> {
  const packet: BfdControlPacket = {
    diag: 0, state: BfdState.up, poll: false, final: false, controlPlaneIndependent: false, demand: false, multipoint: false,
    detectMult: 3, myDiscriminator: 0x1234, yourDiscriminator: 0, desiredMinTxUs: 20_000, requiredMinRxUs: 20_000, requiredMinEchoRxUs: 0,
    ...fields,
  };
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind({ address: from, port: 0 }, () => resolve()));
  await new Promise<void>((resolve, reject) => s.send(encodeControl(packet), PORT, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

after(() => {
  for (const e of opened) e.close();
});

test('membership and BGP share one listener on 127.0.0.1, which demultiplexes by discriminator and drops and counts strays', { timeout: 30_000 }, async () => {
  const membership = await open('127.0.0.1', 'membership');
  const bgp = await open('127.0.0.1', 'bgp'); // would be EADDRINUSE with a socket per endpoint
  const speakerPeer = await open('127.0.0.2', 'speaker');
  const routerPeer = await open('127.0.0.3', 'router');

  const downs: string[] = [];
  const mSession = await membership.addPeer('127.0.0.2', timing, { onStateChange: (c) => c.to !== 'Up' && c.from === 'Up' && downs.push(`membership ${c.to}`) });
  const bSession = await bgp.addPeer('127.0.0.3', timing, { onStateChange: (c) => c.to !== 'Up' && c.from === 'Up' && downs.push(`bgp ${c.to}`) });
  const farSpeaker = await speakerPeer.addPeer('127.0.0.1', timing);
  const farRouter = await routerPeer.addPeer('127.0.0.1', timing);
  const sessions: BfdSession[] = [mSession, bSession, farSpeaker, farRouter];
  await until('all four sessions Up', () => sessions.every((s) => s.state === 'Up'));

  assert.notEqual(mSession.localDiscriminator, bSession.localDiscriminator, 'discriminators are allocated across both users');
  assert.equal(farSpeaker.remoteDiscriminator, mSession.localDiscriminator, "the speaker peer learnt membership's discriminator");
  assert.equal(farRouter.remoteDiscriminator, bSession.localDiscriminator, "the router peer learnt BGP's discriminator");
  assert.equal(mSession.remoteDiscriminator, farSpeaker.localDiscriminator);
  assert.equal(bSession.remoteDiscriminator, farRouter.localDiscriminator);
  assert.deepEqual(membership.counters(), bgp.counters(), 'both users read the one listener');
  assert.ok(membership.counters().received > 0);
  assert.equal(membership.counters().noSession, 0, 'no packet went astray while both sessions came up');

  const before = membership.counters().noSession;
  const known = new Set(sessions.map((s) => s.localDiscriminator));
  let unknown = 1;
  while (known.has(unknown)) unknown++;
  await inject('127.0.0.2', { yourDiscriminator: unknown });
  await until('the unknown discriminator counted', () => membership.counters().noSession === before + 1);
  // Your Discriminator 0 from an address with no session (§6.8.6: selected by source address).
  await inject('127.0.0.4', { yourDiscriminator: 0 });
  await until('the unknown source counted', () => membership.counters().noSession === before + 2);
  // BGP's discriminator from membership's peer: the source must be the session's peer (RFC 5881 §3).
  await inject('127.0.0.2', { yourDiscriminator: bSession.localDiscriminator, state: BfdState.down, diag: 7 });
  await until('the wrong-source packet counted', () => membership.counters().noSession === before + 3);
  assert.equal(membership.counters().malformed, 0);
  assert.deepEqual(sessions.map((s) => s.state), ['Up', 'Up', 'Up', 'Up'], 'strays changed no session');
  assert.ok(warnings.includes('membership: discarded a BFD packet for no known session') && warnings.includes('bgp: discarded a BFD packet for no known session'), 'both users are told');

  await assert.rejects(bgp.addPeer('127.0.0.2', timing), /bgp wants a BFD session with 127\.0\.0\.2, but membership runs one/);
  assert.equal(mSession.state, 'Up', 'the refused session did not disturb the existing one');

  // Membership leaves with AdminDown (§6.8.16): its peer goes Down, BGP's session and the socket stay.
  membership.close(true);
  await until('the speaker peer to see AdminDown', () => farSpeaker.state === 'Down');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(bSession.state, 'Up', "BGP's session is untouched");
  assert.deepEqual(downs, ['membership AdminDown'], "only membership's own session went down");
  assert.equal(await portBound(), true, 'the listener stays while BGP holds it');
  bgp.close();
  assert.equal(await portBound(), false, 'the last user closed the socket');
});
