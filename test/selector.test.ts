import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anySelectorMatches, selectorMatches } from '../src/domain/selector.js';

const sel = (matchLabels: Record<string, string>, matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }[] = []) => ({ matchLabels, matchExpressions });

test('matchLabels requires every pair; matchExpressions implement In, NotIn, Exists, DoesNotExist', () => {
  const labels = { network: 'ethernet', zone: 'a' };
  assert.equal(selectorMatches(sel({ network: 'ethernet' }), labels), true);
  assert.equal(selectorMatches(sel({ network: 'wifi' }), labels), false);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'In', values: ['b'] }]), labels), false);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'NotIn', values: ['a'] }]), labels), false);
  assert.equal(selectorMatches(sel({}, [{ key: 'missing', operator: 'NotIn', values: ['a'] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'Exists', values: [] }]), labels), true);
  assert.equal(selectorMatches(sel({}, [{ key: 'zone', operator: 'DoesNotExist', values: [] }]), labels), false);
});

test('an empty selector list selects everything, otherwise any one selector suffices', () => {
  assert.equal(anySelectorMatches([], {}), true);
  assert.equal(anySelectorMatches([sel({ a: '1' }), sel({ b: '2' })], { b: '2' }), true);
  assert.equal(anySelectorMatches([sel({ a: '1' })], { b: '2' }), false);
});
