import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AirlbError } from '../../src/errors.js';
import { readConfigSources } from '../../src/io/config-files.js';

const root = mkdtempSync(join(tmpdir(), 'airlb-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a folder is read recursively, manifests only, in sorted path order, skipping dot entries', async () => {
  const dir = join(root, 'tree');
  mkdirSync(join(dir, 'b', 'deeper'), { recursive: true });
  mkdirSync(join(dir, '..data'), { recursive: true });
  writeFileSync(join(dir, 'z.yaml'), 'z');
  writeFileSync(join(dir, 'a.yml'), 'a');
  writeFileSync(join(dir, 'b', 'deeper', 'c.json'), 'c');
  writeFileSync(join(dir, 'b', 'notes.txt'), 'ignored');
  writeFileSync(join(dir, '..data', 'dup.yaml'), 'dup');
  writeFileSync(join(dir, '.hidden.yaml'), 'hidden');
  const sources = await readConfigSources([dir]);
  assert.deepEqual(
    sources.map((s) => [s.file.slice(dir.length + 1), s.text]),
    [['a.yml', 'a'], ['b/deeper/c.json', 'c'], ['z.yaml', 'z']],
  );
});

test('a file is read whatever its extension, and several paths keep their order', async () => {
  const file = join(root, 'config.txt');
  writeFileSync(file, 'kind: x');
  const yaml = join(root, 'one.yaml');
  writeFileSync(yaml, 'one');
  assert.deepEqual((await readConfigSources([yaml, file])).map((s) => s.text), ['one', 'kind: x']);
});

test('a missing path is an AirlbError naming it', async () => {
  const missing = join(root, 'nope.yaml');
  await assert.rejects(readConfigSources([missing]), (err: unknown) => err instanceof AirlbError && err.code === 'config-not-found' && err.message.includes(missing));
});

test('a folder without manifests is an AirlbError naming it', async () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'README.md'), '# not a manifest');
  await assert.rejects(readConfigSources([empty]), (err: unknown) => err instanceof AirlbError && err.code === 'config-empty' && err.message.includes(empty));
});

test('a dangling link inside a folder is an AirlbError naming the link', async () => {
  const dir = join(root, 'dangling');
  mkdirSync(dir);
  symlinkSync(join(root, 'gone.yaml'), join(dir, 'link.yaml'));
  await assert.rejects(readConfigSources([dir]), (err: unknown) => err instanceof AirlbError && err.code === 'config-unreadable' && err.message.includes(join(dir, 'link.yaml')));
});
