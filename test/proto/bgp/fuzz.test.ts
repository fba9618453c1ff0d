import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  BgpDecodeError,
  BgpEncodeError,
  BgpFramer,
  SegmentType,
  decodeMessage,
  decodeUpdate,
  encodeUpdate,
  packUpdates,
  type DecodeOptions,
} from '../../../src/proto/bgp/index.js';
import { seededRandom as rng } from '../../support/prng.js';

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (const daemon of ['bird', 'gobgp', 'frr']) {
    const text = readFileSync(new URL(`../../fixtures/bgp/${daemon}.hex`, import.meta.url), 'utf8');
    for (const line of text.split('\n')) if (line.length > 0 && !line.startsWith('#')) out.push(Buffer.from(line, 'hex'));
  }
  const attributes = {
    origin: 0,
    asPath: [{ type: SegmentType.sequence, asns: [4200000001, 65001] }, { type: SegmentType.set, asns: [65002, 65003] }],
    nextHop: { family: 4 as const, value: 0xc0000201n },
    med: 5,
    localPref: 100,
    atomicAggregate: true,
    aggregator: { asn: 4200000001, address: { family: 4 as const, value: 0xc0000209n } },
    communities: [0xfde90001],
    largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }],
  };
  const prefixes = [
    { family: 4 as const, base: 0xc6336400n, prefixLength: 24 },
    { family: 6 as const, base: 0x20010db8n << 96n, prefixLength: 48 },
  ];
  for (const fourOctetAs of [true, false]) {
    out.push(...packUpdates({ withdraw: prefixes, announce: [{ attributes, ipv6NextHops: [{ family: 6, value: 1n }], prefixes }] }, { fourOctetAs }));
  }
  return out;
}

/** Mutates a message; most of the time the length field is fixed up so decoding gets past the header. */
function mutate(msg: Buffer, random: () => number): Buffer {
  let out = Buffer.from(msg);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const r = random();
    const at = Math.floor(random() * out.length);
    if (r < 0.5) out[at] = Math.floor(random() * 256);
    else if (r < 0.7) out = out.subarray(0, Math.max(19, at));
    else if (r < 0.85) out = Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + Math.floor(random() * 8))]);
  }
  if (out.length >= 19 && random() < 0.9) out.writeUInt16BE(Math.min(out.length, 0xffff), 16);
  if (out.length >= 19 && random() < 0.9) out.fill(0xff, 0, 16);
  return out;
}

test('fuzz: 30,000 mutated messages either decode or fail with BgpDecodeError, and clean UPDATEs survive a re-encode', () => {
  const seed = 0x5eedb69;
  const random = rng(seed);
  const seeds = corpus();
  const outcome = { decoded: 0, headerErrors: 0, bodyErrors: 0, withProblems: 0 };
  for (let i = 0; i < 30_000; i++) {
    const msg = mutate(seeds[i % seeds.length]!, random);
    const options: DecodeOptions = { fourOctetAs: random() < 0.5, ebgp: random() < 0.5 };
    try {
      const m = decodeMessage(msg, options);
      outcome.decoded++;
      if (m.kind === 'update' && m.update.problems.length > 0) outcome.withProblems++;
      if (m.kind === 'update' && m.update.problems.length === 0 && options.fourOctetAs) {
        let again: Buffer;
        try {
          again = encodeUpdate(m.update, options);
        } catch (err) {
          // Re-encoding may grow past 4096 octets (MP attributes always use extended length).
          assert.ok(err instanceof BgpEncodeError, `seed ${seed} iteration ${i}: ${String(err)}`);
          continue;
        }
        assert.deepEqual(decodeUpdate(again, options), m.update, `seed ${seed} iteration ${i}: ${msg.toString('hex')}`);
      }
    } catch (err) {
      if (!(err instanceof BgpDecodeError)) assert.fail(`seed ${seed} iteration ${i}: ${msg.toString('hex')} threw ${String(err)}`);
      if (err.notification.code === 1) outcome.headerErrors++;
      else outcome.bodyErrors++;
    }
  }
  // The fuzzer must reach every layer, or it proves nothing about the body decoders.
  assert.ok(outcome.decoded > 3000, JSON.stringify(outcome));
  assert.ok(outcome.bodyErrors > 3000, JSON.stringify(outcome));
  assert.ok(outcome.withProblems > 500, JSON.stringify(outcome));
});

test('fuzz: random bytes in random chunks make the framer return messages or throw BgpDecodeError, nothing else', () => {
  const random = rng(7);
  for (let run = 0; run < 2000; run++) {
    const framer = new BgpFramer();
    // Start with a valid marker half of the time so the length and type checks are reached.
    const bytes = Buffer.from(Array.from({ length: 64 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    if (random() < 0.5) bytes.fill(0xff, 0, 16);
    try {
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 40);
        for (const msg of framer.push(bytes.subarray(at, at + size))) assert.equal(msg.readUInt16BE(16), msg.length);
        at += size;
      }
    } catch (err) {
      assert.ok(err instanceof BgpDecodeError, `run ${run}: ${String(err)}`);
    }
  }
});
