import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoDuration } from '../../src/domain/config/index.js';

test('Go duration strings become milliseconds, summing every term', () => {
  const cases: [string, number][] = [
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['.5s', 500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['0', 0],
    ['0s', 0],
    ['-3s', -3_000],
    ['+3s', 3_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
});

test('text that time.ParseDuration refuses is null', () => {
  for (const text of ['', '90', 's', '1d', '90 s', '1h 30m', '3s5', '1.2.3s', '-', 'ms']) assert.equal(parseGoDuration(text), null, text);
});
