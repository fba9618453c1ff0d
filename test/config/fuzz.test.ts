import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatIssue, loadConfig } from '../../src/domain/config/index.js';
import { seededRandom as random } from '../support/prng.js';

const corpus = ['full-metallb.yaml', 'kubectl-service.yaml', 'kubectl-node.yaml', 'kubectl-list.yaml'].map((name) =>
  readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), 'utf8'),
);

// Characters that matter to YAML's grammar, so mutations hit the interesting paths.
const alphabet = [':', '-', ' ', '\n', '\t', '"', "'", '[', ']', '{', '}', '&', '*', '!', '|', '>', '#', '%', '@', '`', ',', '?', '0', '9', 'a', 'é', '\u0000', '---\n', '...', '<<: '];

function mutate(text: string, next: () => number): string {
  const pick = (n: number) => Math.floor(next() * n);
  let out = text;
  const edits = 1 + pick(4);
  for (let i = 0; i < edits; i++) {
    const at = pick(out.length + 1);
    switch (pick(6)) {
      case 0: out = out.slice(0, at) + out.slice(at + 1 + pick(8)); break;
      case 1: out = out.slice(0, at) + alphabet[pick(alphabet.length)] + out.slice(at); break;
      case 2: {
        const lines = out.split('\n');
        const a = pick(lines.length);
        const b = pick(lines.length);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        out = lines.join('\n');
        break;
      }
      case 3: {
        const lines = out.split('\n');
        const a = pick(lines.length);
        lines.splice(a, 0, lines[pick(lines.length)]!);
        out = lines.join('\n');
        break;
      }
      case 4: out = out.slice(0, at); break;
      default: out = out.slice(0, at) + ' '.repeat(1 + pick(3)) + out.slice(at); break;
    }
  }
  return out;
}

function checkNeverThrows(text: string, seed: number): void {
  let result;
  try {
    result = loadConfig([{ file: 'fuzz.yaml', text }]);
  } catch (err) {
    assert.fail(`loadConfig threw for seed ${seed}: ${String(err)}\n--- input ---\n${text}`);
  }
  const lineCount = text.split('\n').length;
  for (const issue of result.issues) {
    assert.ok(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lineCount + 1, `seed ${seed}: line ${issue.line} outside the input`);
    assert.ok(formatIssue(issue).startsWith(`fuzz.yaml:${issue.line}: `), `seed ${seed}`);
    assert.notEqual(issue.message, '', `seed ${seed}`);
  }
}

test('mutated valid manifests never make the parser throw, and every issue points inside the input', () => {
  for (let seed = 1; seed <= 1500; seed++) {
    const next = random(seed);
    checkNeverThrows(mutate(corpus[seed % corpus.length]!, next), seed);
  }
});

test('random bytes never make the parser throw', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const next = random(seed * 7919);
    const bytes = Buffer.alloc(1 + Math.floor(next() * 400));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    checkNeverThrows(bytes.toString('utf8'), seed);
  }
});

test('deep nesting and recursive aliases are reported, not a stack overflow', () => {
  checkNeverThrows('a: '.repeat(1) + '['.repeat(5000) + ']'.repeat(5000), 0);
  const { issues } = loadConfig([{ file: 'fuzz.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: &m\n  name: x\n  labels: *m\n' }]);
  assert.ok(issues.length > 0);
});
