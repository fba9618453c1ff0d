import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BgpPeerConfigError, DEFAULT_CONNECT_RETRY_MS, GRACEFUL_RESTART_TIME_S, fsmConfigOf } from '../../src/domain/bgp/peer-config.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../src/proto/bgp/index.js';
import { bgpPeer } from './lab.js';

describe('fsmConfigOf: BGPPeer → session parameters', () => {
  it("uses MetalLB's defaults: 90 s hold time, keepalive from the hold time, both families, no Graceful Restart", () => {
    const c = fsmConfigOf(bgpPeer('p', { holdTimeMs: null, connectTimeMs: null }), '10.0.0.1');
    assert.equal(c.holdTimeS, 90);
    assert.equal(c.keepaliveS, null);
    assert.deepEqual(c.families, [IPV4_UNICAST, IPV6_UNICAST]);
    assert.equal(c.gracefulRestartS, null);
    assert.equal(c.connectRetryMs, DEFAULT_CONNECT_RETRY_MS);
    assert.equal(c.bgpId, 0x0a000001);
    assert.equal(c.peerAsn, 64501);
  });

  it('takes the timers, routerID, dynamicASN, Graceful Restart and disableMP from the spec', () => {
    const c = fsmConfigOf(
      bgpPeer('p', { holdTimeMs: 30_000, keepaliveTimeMs: 5000, connectTimeMs: 500, routerID: '10.9.9.9', dynamicASN: 'external', enableGracefulRestart: true, disableMP: true, peerAddress: '2001:db8::1' }),
      '10.0.0.1',
    );
    assert.deepEqual([c.holdTimeS, c.keepaliveS, c.connectRetryMs, c.idleHoldInitialMs], [30, 5, 500, 500]);
    assert.equal(c.bgpId, 0x0a090909);
    assert.equal(c.peerAsn, 'external');
    assert.equal(c.gracefulRestartS, GRACEFUL_RESTART_TIME_S);
    assert.deepEqual(c.families, [IPV6_UNICAST], 'disableMP: only the family of the peer address');
  });

  it('refuses a hold time of 1 or 2 seconds and a router ID that is not a non-zero IPv4 address', () => {
    assert.throws(() => fsmConfigOf(bgpPeer('p', { holdTimeMs: 2000 }), '10.0.0.1'), BgpPeerConfigError);
    assert.throws(() => fsmConfigOf(bgpPeer('p', {}), '0.0.0.0'), /not a non-zero IPv4 address/);
    assert.throws(() => fsmConfigOf(bgpPeer('p', { routerID: '2001:db8::1' }), '10.0.0.1'), /routerID/);
  });
});
