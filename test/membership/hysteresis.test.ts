import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HOLD, holdAfterUp, recentDowns } from '../../src/domain/membership/hysteresis.js';

test('a first Up and an Up after one Down both wait the base hold', () => {
  assert.equal(holdAfterUp([], 1_000, DEFAULT_HOLD), 5_000);
  assert.equal(holdAfterUp([500], 1_000, DEFAULT_HOLD), 5_000);
});

test('each further Down within the flap window doubles the hold, up to the maximum', () => {
  assert.equal(holdAfterUp([1, 2], 10, DEFAULT_HOLD), 10_000);
  assert.equal(holdAfterUp([1, 2, 3], 10, DEFAULT_HOLD), 20_000);
  assert.equal(holdAfterUp([1, 2, 3, 4], 10, DEFAULT_HOLD), 40_000);
  assert.equal(holdAfterUp([1, 2, 3, 4, 5], 10, DEFAULT_HOLD), 60_000);
  assert.equal(holdAfterUp(Array.from({ length: 100 }, (_, i) => i), 100, DEFAULT_HOLD), 60_000);
});

test('Downs older than the flap window no longer count', () => {
  const now = 200_000;
  assert.deepEqual(recentDowns([10_000, 79_999, 80_001, 150_000], now, DEFAULT_HOLD), [80_001, 150_000]);
  assert.equal(holdAfterUp([10_000, 20_000, 30_000], now, DEFAULT_HOLD), 5_000);
});
