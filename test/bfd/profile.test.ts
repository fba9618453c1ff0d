import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionFromProfile } from '../../src/domain/bfd/profile.js';
import type { BFDProfile } from '../../src/domain/config/types.js';

const profile = (spec: Partial<BFDProfile['spec']>): BFDProfile => ({
  kind: 'BFDProfile',
  apiVersion: 'metallb.io/v1beta1',
  metadata: { name: 'fast', namespace: 'metallb-system', labels: {}, annotations: {} },
  origin: { file: 'bfd.yaml', line: 1, fieldLines: new Map() },
  spec: {
    receiveIntervalMs: 300,
    transmitIntervalMs: 300,
    detectMultiplier: 3,
    echoIntervalMs: 50,
    echoMode: false,
    passiveMode: false,
    minimumTtl: 254,
    ...spec,
  },
});

describe('BFDProfile to BFD session timers', () => {
  it('maps transmit/receive intervals, detect multiplier and passive mode onto the session', () => {
    const { config } = sessionFromProfile(profile({ receiveIntervalMs: 120, transmitIntervalMs: 80, detectMultiplier: 5, passiveMode: true }));
    assert.deepEqual(config, { desiredMinTxMs: 80, requiredMinRxMs: 120, detectMult: 5, passive: true });
  });

  it('reports echo mode and the unchecked minimum TTL as gaps instead of ignoring them', () => {
    assert.deepEqual(sessionFromProfile(profile({ echoMode: true })).gaps, ['echo-mode-unsupported', 'minimum-ttl-not-enforced']);
    assert.deepEqual(sessionFromProfile(profile({})).gaps, ['minimum-ttl-not-enforced']);
  });
});
