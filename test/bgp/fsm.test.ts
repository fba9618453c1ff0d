import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../support/manual-clock.js';
import { BgpFsm, FsmSubcode, OPEN_SENT_HOLD_MS, SUPPORTED_FAMILIES, type BgpFsmConfig, type FsmAction } from '../../src/domain/bgp/fsm.js';
import { collisionSurvivor } from '../../src/domain/bgp/collision.js';
import { idleHoldMs } from '../../src/domain/bgp/backoff.js';
import { keepaliveFor } from '../../src/domain/bgp/negotiate.js';
import {
  AS_TRANS,
  CeaseSubcode,
  ErrorCode,
  HeaderSubcode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  OpenSubcode,
  RouteRefreshSubcode,
  UpdateSubcode,
  decodeNotification,
  decodeOpen,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  makeOpen,
  shutdownCommunication,
  shutdownNotification,
  type AfiSafi,
  type OpenMessage,
} from '../../src/proto/bgp/index.js';

const LOCAL_ID = 0x0a000001; // 10.0.0.1
const PEER_ID = 0x0a000002; // 10.0.0.2

const base: BgpFsmConfig = {
  localAsn: 64500,
  peerAsn: 64501,
  bgpId: LOCAL_ID,
  holdTimeS: 90,
  keepaliveS: null,
  families: SUPPORTED_FAMILIES,
  gracefulRestartS: null,
  connectRetryMs: 10_000,
  idleHoldInitialMs: 1000,
  passive: false,
};

/** A whole message from its type and body (RFC 4271 §4.1: 16 marker octets of ones, length, type). */
function message(type: number, body: Buffer, marker = Buffer.alloc(16, 0xff)): Buffer {
  const head = Buffer.alloc(19);
  marker.copy(head, 0);
  head.writeUInt16BE(19 + body.length, 16);
  head[18] = type;
  return Buffer.concat([head, body]);
}

function peerOpen(over: { asn?: number; holdTime?: number; bgpId?: number; families?: AfiSafi[]; fourOctet?: boolean } = {}): Buffer {
  const open = makeOpen({
    asn: over.asn ?? 64501,
    holdTime: over.holdTime ?? 30,
    bgpId: over.bgpId ?? PEER_ID,
    capabilities: { multiprotocol: over.families ?? [IPV4_UNICAST, IPV6_UNICAST], routeRefresh: true, gracefulRestart: null, other: [] },
  });
  return encodeOpen(over.fourOctet === false ? { ...open, capabilities: { ...open.capabilities, fourOctetAs: null } } : open);
}

/** An FSM on a ManualClock with every action recorded. */
function harness(config: Partial<BgpFsmConfig> = {}, onOpen?: (open: OpenMessage) => boolean) {
  const clock = new ManualClock();
  const actions: FsmAction[] = [];
  const fsm = new BgpFsm({ ...base, ...config }, { clock, act: (a) => actions.push(a), ...(onOpen ? { onOpen } : {}) });
  const sent = () => actions.filter((a): a is Extract<FsmAction, { type: 'send' }> => a.type === 'send').map((a) => a.data);
  const types = () => actions.map((a) => a.type);
  /** The NOTIFICATIONs sent, as [code, subcode]. */
  const notifications = () => sent().filter((m) => m[18] === 3).map((m) => decodeNotification(m));
  const take = () => actions.splice(0, actions.length);
  return { clock, fsm, actions, sent, types, notifications, take };
}

/** Drives a fresh FSM to Established with the given peer OPEN. */
function established(config: Partial<BgpFsmConfig> = {}, open = peerOpen()) {
  const h = harness(config);
  h.fsm.start();
  h.fsm.tcpConnected();
  h.fsm.receive(open);
  h.fsm.receive(encodeKeepalive());
  assert.equal(h.fsm.state, 'Established');
  h.take();
  return h;
}

function assertOneNotification(h: ReturnType<typeof harness>, code: number, subcode: number): Buffer {
  const n = h.notifications();
  assert.equal(n.length, 1, 'exactly one NOTIFICATION');
  assert.deepEqual([n[0]!.code, n[0]!.subcode], [code, subcode]);
  assert.equal(h.fsm.state, 'Idle');
  assert.ok(h.types().includes('close'), 'the connection is closed');
  return n[0]!.data;
}

describe('BGP FSM: establishing a session (RFC 4271 §8.2.2)', () => {
  it('connects on start, sends an OPEN with every capability once TCP is up, and moves Idle → Connect → OpenSent', () => {
    const h = harness({ gracefulRestartS: 120 });
    h.fsm.start();
    assert.equal(h.fsm.state, 'Connect');
    assert.deepEqual(h.types(), ['state', 'connect']);
    h.fsm.tcpConnected();
    assert.equal(h.fsm.state, 'OpenSent');
    const open = decodeOpen(h.sent()[0]!);
    assert.equal(open.myAs, 64500);
    assert.equal(open.holdTime, 90);
    assert.equal(open.bgpId, LOCAL_ID);
    assert.deepEqual(open.capabilities.multiprotocol, [IPV4_UNICAST, IPV6_UNICAST]);
    assert.equal(open.capabilities.routeRefresh, true);
    assert.equal(open.capabilities.fourOctetAs, 64500);
    assert.equal(open.capabilities.gracefulRestart?.restartTime, 120);
    assert.ok(open.capabilities.gracefulRestart?.families.every((f) => f.forwardingPreserved));
  });

  it('puts AS_TRANS in My AS and the real AS in the 4-octet capability when the local AS needs 4 octets (RFC 6793)', () => {
    const h = harness({ localAsn: 4_200_000_000 });
    h.fsm.start();
    h.fsm.tcpConnected();
    const open = decodeOpen(h.sent()[0]!);
    assert.equal(open.myAs, AS_TRANS);
    assert.equal(open.capabilities.fourOctetAs, 4_200_000_000);
  });

  it('answers an acceptable OPEN with a KEEPALIVE, then reaches Established on the peer KEEPALIVE with the smaller hold time', () => {
    const h = harness();
    h.fsm.start();
    h.fsm.tcpConnected();
    h.take();
    h.fsm.receive(peerOpen({ holdTime: 30 }));
    assert.equal(h.fsm.state, 'OpenConfirm');
    assert.deepEqual(h.sent(), [encodeKeepalive()]);
    h.fsm.receive(encodeKeepalive());
    assert.equal(h.fsm.state, 'Established');
    const est = h.actions.find((a) => a.type === 'established');
    assert.ok(est && est.type === 'established');
    assert.equal(est.negotiated.holdTimeS, 30);
    assert.equal(est.negotiated.keepaliveS, 10);
    assert.equal(est.negotiated.fourOctetAs, true);
    assert.equal(est.negotiated.ebgp, true);
    assert.deepEqual(est.negotiated.families, [IPV4_UNICAST, IPV6_UNICAST]);
  });

  it('handles an OPEN and a KEEPALIVE arriving in one TCP chunk, and a message split across chunks', () => {
    const h = harness();
    h.fsm.start();
    h.fsm.tcpConnected();
    const both = Buffer.concat([peerOpen(), encodeKeepalive()]);
    h.fsm.receive(both.subarray(0, 7));
    h.fsm.receive(both.subarray(7));
    assert.equal(h.fsm.state, 'Established');
  });

  it('treats a peer without the Multiprotocol capability as IPv4 unicast only (RFC 4760 §8), and without 4-octet AS as a 2-octet speaker', () => {
    const h = established({}, peerOpen({ families: [], fourOctet: false }));
    assert.deepEqual(h.fsm.negotiated?.families, [IPV4_UNICAST]);
    assert.equal(h.fsm.negotiated?.fourOctetAs, false);
  });

  it('accepts any other AS with dynamicASN external and the same AS with dynamicASN internal', () => {
    assert.equal(established({ peerAsn: 'external' }, peerOpen({ asn: 65010 })).fsm.negotiated?.peerAsn, 65010);
    const ibgp = established({ peerAsn: 'internal' }, peerOpen({ asn: 64500 }));
    assert.equal(ibgp.fsm.negotiated?.ebgp, false);
  });

  it('waits for the peer without connecting when passive, and takes its connection', () => {
    const h = harness({ passive: true });
    h.fsm.start();
    assert.equal(h.fsm.state, 'Active');
    assert.ok(!h.types().includes('connect'));
    h.clock.advance(base.connectRetryMs);
    assert.equal(h.fsm.state, 'Active', 'ConnectRetryTimer does not make a passive session connect');
    assert.ok(!h.types().includes('connect'));
    h.fsm.tcpConnected();
    assert.equal(h.fsm.state, 'OpenSent');
  });
});

describe('BGP FSM: timers on the injected clock', () => {
  it('sends a KEEPALIVE every keepalive interval while Established, and an UPDATE postpones the next one', () => {
    const h = established();
    h.clock.advance(9_999);
    assert.equal(h.sent().length, 0);
    h.clock.advance(1);
    assert.deepEqual(h.sent(), [encodeKeepalive()]);
    h.take();
    h.clock.advance(5_000);
    h.fsm.sendUpdates([message(2, Buffer.from([0, 0, 0, 0]))]);
    h.clock.advance(9_999);
    assert.equal(h.sent().filter((m) => m[18] === 4).length, 0, 'the UPDATE restarted the KeepaliveTimer');
    h.clock.advance(1);
    assert.equal(h.sent().filter((m) => m[18] === 4).length, 1);
  });

  it('uses a configured keepalive time shorter than the hold time, and a third of the hold time otherwise', () => {
    assert.equal(established({ keepaliveS: 4 }).fsm.negotiated?.keepaliveS, 4);
    assert.equal(keepaliveFor(30, 40), 10, 'a keepalive longer than the negotiated hold time falls back to a third');
    assert.equal(keepaliveFor(0, 10), 0);
  });

  it('sends Hold Timer Expired and drops to Idle when nothing arrives within the hold time, a KEEPALIVE resetting it', () => {
    const h = established();
    h.clock.advance(29_000);
    h.fsm.receive(encodeKeepalive());
    h.clock.advance(29_000);
    assert.equal(h.fsm.state, 'Established');
    h.clock.advance(1_000);
    assertOneNotification(h, ErrorCode.holdTimerExpired, 0);
    assert.match(h.fsm.lastError ?? '', /hold timer expired/);
  });

  it('runs the 4-minute hold timer while waiting for the OPEN (§8.2.2 OpenSent)', () => {
    const h = harness();
    h.fsm.start();
    h.fsm.tcpConnected();
    h.clock.advance(OPEN_SENT_HOLD_MS - 1);
    assert.equal(h.fsm.state, 'OpenSent');
    h.clock.advance(1);
    assertOneNotification(h, ErrorCode.holdTimerExpired, 0);
  });

  it('runs no hold timer and sends no KEEPALIVE when the hold time is 0', () => {
    const h = established({}, peerOpen({ holdTime: 0 }));
    assert.equal(h.fsm.negotiated?.holdTimeS, 0);
    h.clock.advance(3_600_000);
    assert.equal(h.fsm.state, 'Established');
    assert.equal(h.sent().length, 0);
  });

  it('abandons a connection attempt that does not complete within ConnectRetryTime and tries again', () => {
    const h = harness();
    h.fsm.start();
    h.take();
    h.clock.advance(base.connectRetryMs);
    assert.deepEqual(h.types(), ['close', 'connect']);
    assert.equal(h.fsm.state, 'Connect');
  });

  it('restarts after a failure with a doubling IdleHoldTime, capped at ConnectRetryTime and reset by Established', () => {
    const h = harness();
    h.fsm.start();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.fsm.tcpFailed('connection refused');
      assert.equal(h.fsm.state, 'Idle');
      const before = h.clock.now();
      while (h.fsm.state === 'Idle') h.clock.advance(100);
      waits.push(h.clock.now() - before);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    h.fsm.tcpConnected();
    h.fsm.receive(peerOpen());
    h.fsm.receive(encodeKeepalive());
    h.fsm.tcpFailed('reset by peer');
    const before = h.clock.now();
    while (h.fsm.state === 'Idle') h.clock.advance(100);
    assert.equal(h.clock.now() - before, 1000, 'the backoff starts over after an Established session');
    assert.deepEqual([idleHoldMs(1, { initialMs: 500, maxMs: 60_000 }), idleHoldMs(40, { initialMs: 500, maxMs: 60_000 })], [500, 60_000]);
  });

  it('takes a peer connection that arrives while waiting out the backoff', () => {
    const h = harness();
    h.fsm.start();
    h.fsm.tcpFailed('refused');
    h.take();
    h.fsm.tcpConnected();
    assert.equal(h.fsm.state, 'OpenSent');
    h.take();
    h.clock.advance(60_000);
    assert.equal(h.fsm.state, 'OpenSent');
    assert.deepEqual(h.types(), [], 'the cancelled automatic start never fires');
  });
});

describe('BGP FSM: every NOTIFICATION it sends', () => {
  const openSent = () => {
    const h = harness();
    h.fsm.start();
    h.fsm.tcpConnected();
    h.take();
    return h;
  };

  it('Message Header Error / Connection Not Synchronized for a marker that is not all ones', () => {
    const h = openSent();
    h.fsm.receive(message(4, Buffer.alloc(0), Buffer.alloc(16, 0)));
    assertOneNotification(h, ErrorCode.messageHeader, HeaderSubcode.connectionNotSynchronized);
  });

  it('Message Header Error / Bad Message Length for a length outside 19..4096', () => {
    const h = openSent();
    const bad = message(4, Buffer.alloc(0));
    bad.writeUInt16BE(5000, 16);
    h.fsm.receive(bad);
    const data = assertOneNotification(h, ErrorCode.messageHeader, HeaderSubcode.badMessageLength);
    assert.deepEqual(data, Buffer.from([0x13, 0x88]), 'data is the erroneous length (§6.1)');
  });

  it('Message Header Error / Bad Message Type for an unknown type', () => {
    const h = openSent();
    h.fsm.receive(message(9, Buffer.alloc(0)));
    const data = assertOneNotification(h, ErrorCode.messageHeader, HeaderSubcode.badMessageType);
    assert.deepEqual(data, Buffer.from([9]));
  });

  it('OPEN Message Error / Unsupported Version Number, naming version 4', () => {
    const h = openSent();
    const open = peerOpen();
    open[19] = 3;
    const data = assertOneNotification((h.fsm.receive(open), h), ErrorCode.openMessage, OpenSubcode.unsupportedVersionNumber);
    assert.deepEqual(data, Buffer.from([0, 4]));
  });

  it('OPEN Message Error / Bad Peer AS for an AS other than the configured one, or against dynamicASN', () => {
    const h = openSent();
    h.fsm.receive(peerOpen({ asn: 64999 }));
    const data = assertOneNotification(h, ErrorCode.openMessage, OpenSubcode.badPeerAs);
    assert.deepEqual(data, Buffer.from([0xfd, 0xe7]), 'data is the My AS field received');
    for (const [peerAsn, asn] of [['internal', 64501], ['external', 64500]] as const) {
      const d = harness({ peerAsn });
      d.fsm.start();
      d.fsm.tcpConnected();
      d.fsm.receive(peerOpen({ asn }));
      assertOneNotification(d, ErrorCode.openMessage, OpenSubcode.badPeerAs);
    }
  });

  it('OPEN Message Error / Bad BGP Identifier for our own identifier inside one AS, or identifier 0', () => {
    const h = harness({ peerAsn: 64500 });
    h.fsm.start();
    h.fsm.tcpConnected();
    h.fsm.receive(peerOpen({ asn: 64500, bgpId: LOCAL_ID }));
    assertOneNotification(h, ErrorCode.openMessage, OpenSubcode.badBgpIdentifier);
    const z = openSent();
    const open = peerOpen();
    open.writeUInt32BE(0, 24);
    z.fsm.receive(open);
    assertOneNotification(z, ErrorCode.openMessage, OpenSubcode.badBgpIdentifier);
    // Between different ASes an equal identifier is allowed (RFC 6286 §2.2).
    assert.equal(established({}, peerOpen({ bgpId: LOCAL_ID })).fsm.state, 'Established');
  });

  it('OPEN Message Error / Unsupported Optional Parameter for a parameter other than capabilities', () => {
    const h = openSent();
    // Version 4, AS 64501, hold 30, id, one optional parameter of type 1 (deprecated authentication).
    const body = Buffer.from([4, 0xfb, 0xf5, 0, 30, 10, 0, 0, 2, 3, 1, 1, 0]);
    h.fsm.receive(message(1, body));
    assertOneNotification(h, ErrorCode.openMessage, OpenSubcode.unsupportedOptionalParameter);
  });

  it('OPEN Message Error / Unacceptable Hold Time for 1 or 2 seconds', () => {
    const h = openSent();
    const open = peerOpen();
    open.writeUInt16BE(2, 22);
    h.fsm.receive(open);
    assertOneNotification(h, ErrorCode.openMessage, OpenSubcode.unacceptableHoldTime);
  });

  it('OPEN Message Error / Unsupported Capability, carrying our Multiprotocol capability, when no family is in common', () => {
    const h = harness({ families: [IPV6_UNICAST] });
    h.fsm.start();
    h.fsm.tcpConnected();
    h.fsm.receive(peerOpen({ families: [IPV4_UNICAST] }));
    const data = assertOneNotification(h, ErrorCode.openMessage, OpenSubcode.unsupportedCapability);
    assert.deepEqual(data, Buffer.from([1, 4, 0, 2, 0, 1]));
  });

  it('Finite State Machine Error with the RFC 6608 subcode for a message the state does not expect', () => {
    const inOpenSent = openSent();
    inOpenSent.fsm.receive(encodeKeepalive());
    assertOneNotification(inOpenSent, ErrorCode.fsm, FsmSubcode.unexpectedInOpenSent);

    const inOpenConfirm = openSent();
    inOpenConfirm.fsm.receive(peerOpen());
    inOpenConfirm.take();
    inOpenConfirm.fsm.receive(message(2, Buffer.from([0, 0, 0, 0])));
    assertOneNotification(inOpenConfirm, ErrorCode.fsm, FsmSubcode.unexpectedInOpenConfirm);

    const inEstablished = established();
    inEstablished.fsm.receive(peerOpen());
    assertOneNotification(inEstablished, ErrorCode.fsm, FsmSubcode.unexpectedInEstablished);
  });

  it('UPDATE Message Error / Malformed Attribute List for a withdrawn-routes length beyond the message', () => {
    const h = established();
    h.fsm.receive(message(2, Buffer.from([0, 50, 0, 0])));
    assertOneNotification(h, ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList);
  });

  it('ROUTE-REFRESH Message Error / Invalid Message Length for a ROUTE-REFRESH of the wrong size', () => {
    const h = established();
    h.fsm.receive(message(5, Buffer.from([0, 1, 0, 1, 0])));
    assertOneNotification(h, ErrorCode.routeRefresh, RouteRefreshSubcode.invalidMessageLength);
  });

  it('Cease / Administrative Shutdown with the operator message on stop, and no automatic restart', () => {
    const h = established();
    h.fsm.stop(CeaseSubcode.administrativeShutdown, 'node drained');
    const n = h.notifications();
    assert.equal(n.length, 1);
    assert.equal(shutdownCommunication(n[0]!), 'node drained');
    assert.equal(h.fsm.state, 'Idle');
    h.clock.advance(600_000);
    assert.equal(h.fsm.state, 'Idle');
    assert.ok(!h.types().includes('connect'));
  });

  it('Cease / Peer De-configured when the peer is removed from the configuration', () => {
    const h = established();
    h.fsm.stop(CeaseSubcode.peerDeconfigured);
    assertOneNotification(h, ErrorCode.cease, CeaseSubcode.peerDeconfigured);
  });

  it('no NOTIFICATION when stopped before the OPEN went out: only the connection attempt is dropped', () => {
    const h = harness();
    h.fsm.start();
    h.take();
    h.fsm.stop();
    assert.deepEqual(h.types(), ['close', 'state']);
    assert.equal(h.notifications().length, 0);
  });

  it('Cease / Connection Collision Resolution when the collision hook rejects the OPEN, or the other connection wins', () => {
    const h = harness({}, () => false);
    h.fsm.start();
    h.fsm.tcpConnected();
    h.fsm.receive(peerOpen());
    assertOneNotification(h, ErrorCode.cease, CeaseSubcode.connectionCollisionResolution);
    const other = established();
    other.fsm.collisionLost();
    assertOneNotification(other, ErrorCode.cease, CeaseSubcode.connectionCollisionResolution);
  });

  it('never answers a received NOTIFICATION, and records its RFC 9003 message as the reason', () => {
    const h = established();
    h.fsm.receive(encodeNotification(shutdownNotification(CeaseSubcode.administrativeShutdown, 'maintenance')));
    assert.equal(h.fsm.state, 'Idle');
    assert.equal(h.notifications().length, 0);
    assert.equal(h.fsm.lastError, 'peer sent NOTIFICATION Cease/Administrative Shutdown "maintenance"');
  });
});

describe('BGP FSM: while Established', () => {
  it('reports a ROUTE-REFRESH for a negotiated family and ignores one for another family (RFC 2918 §4)', () => {
    const h = established({}, peerOpen({ families: [IPV4_UNICAST] }));
    h.fsm.receive(encodeRouteRefresh({ ...IPV4_UNICAST, subtype: 0 }));
    h.fsm.receive(encodeRouteRefresh({ ...IPV6_UNICAST, subtype: 0 }));
    assert.deepEqual(
      h.actions.map((a) => a.type),
      ['route-refresh', 'warning'],
    );
    assert.equal(h.fsm.state, 'Established');
  });

  it('keeps the session on an UPDATE that RFC 7606 handles as treat-as-withdraw, and warns', () => {
    const h = established();
    // ORIGIN with the invalid value 7, AS_PATH empty, NEXT_HOP 192.0.2.9, NLRI 198.51.100.0/24.
    const attrs = Buffer.from([0x40, 1, 1, 7, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 9]);
    const body = Buffer.concat([Buffer.from([0, 0, 0, attrs.length]), attrs, Buffer.from([24, 198, 51, 100])]);
    h.fsm.receive(message(2, body));
    assert.equal(h.fsm.state, 'Established');
    const warning = h.actions.find((a) => a.type === 'warning');
    assert.ok(warning && warning.type === 'warning' && /treat-as-withdraw/.test(warning.message));
  });

  it('sends UPDATEs only while Established', () => {
    const h = harness();
    h.fsm.start();
    assert.equal(h.fsm.sendUpdates([encodeKeepalive()]), false);
    const e = established();
    assert.equal(e.fsm.sendUpdates([message(2, Buffer.from([0, 0, 0, 0]))]), true);
    assert.equal(e.sent().length, 1);
  });

  it('drops to Idle without a NOTIFICATION when the TCP connection fails (or BFD says the path is down)', () => {
    const h = established();
    h.fsm.tcpFailed('BFD session down');
    assert.equal(h.fsm.state, 'Idle');
    assert.equal(h.notifications().length, 0);
    assert.equal(h.fsm.lastError, 'BFD session down');
  });
});

describe('connection collision resolution (RFC 4271 §6.8)', () => {
  it('keeps the connection the speaker with the higher BGP Identifier initiated', () => {
    assert.equal(collisionSurvivor({ bgpId: 1, asn: 1 }, { bgpId: 2, asn: 1 }), 'incoming');
    assert.equal(collisionSurvivor({ bgpId: 0xffffffff, asn: 1 }, { bgpId: 2, asn: 1 }), 'outgoing');
  });

  it('breaks a tie of identifiers between different ASes by the larger AS (RFC 6286 §2.3)', () => {
    assert.equal(collisionSurvivor({ bgpId: 5, asn: 65001 }, { bgpId: 5, asn: 65000 }), 'outgoing');
    assert.equal(collisionSurvivor({ bgpId: 5, asn: 65000 }, { bgpId: 5, asn: 65001 }), 'incoming');
  });
});
