import assert from 'node:assert/strict';
import { CodecError } from '../../src/proto/codec-error.js';

/**
 * Helpers for the codec tests the conventions ask for (docs/architecture.md): typed errors,
 * truncation at every offset, and fuzz loops whose only allowed failure is CodecError.
 */

/** Hex with `#` comments; refuses anything that is not whole octets, so a typo cannot shorten a vector. */
export function hex(text: string): Buffer {
  const digits = text.split('\n').map((line) => line.split('#')[0]).join('').replace(/\s+/g, '');
  assert.match(digits, /^([0-9a-fA-F]{2})*$/, 'test vector is not whole hex octets');
  return Buffer.from(digits, 'hex');
}

/** The `reason` of the CodecError `fn` throws; fails the test when it returns or throws anything else. */
export function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CodecError, `expected CodecError, got ${String(err)}`);
    return err.reason;
  }
  assert.fail('expected a CodecError');
}

/**
 * Asserts that every prefix of `bytes` shorter than `end` (default: all of it) is refused as
 * 'truncated'; the message names the failing length after `label`.
 */
export function assertTruncatedAtEveryOffset(decode: (prefix: Buffer) => unknown, bytes: Buffer, label = 'length', end = bytes.length): void {
  for (let n = 0; n < end; n++) assert.equal(reasonOf(() => decode(bytes.subarray(0, n))), 'truncated', `${label} ${n}`);
}

/**
 * xorshift32 (Marsaglia 2003) as a [0,1) source: the stream the link-layer fuzz seeds were chosen
 * with, so a reported failing seed replays the same inputs (test/support/prng.ts is a different one).
 */
export function xorshift32(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}
