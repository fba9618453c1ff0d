import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { createRunner } from '../../src/lab/exec.js';
import { defaultStateDir } from '../../src/lab/naming.js';
import { statePath } from '../../src/lab/state.js';
import { listNetns } from '../../src/lab/teardown.js';
import { cliCommand, runCli } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { uniquePrefix } from './support.js';

// `airlb lab up` killed without a chance to clean up (SIGKILL, a crash) leaves nothing behind
// after `airlb lab down` — with its state file, and without it (sweep by prefix alone).
const prefixes: string[] = [];
const children: ChildProcess[] = [];
const output = new Map<ChildProcess, () => string>();

before(() => requireNetworkPrivileges(['ip', 'bridge', 'nft']));
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const prefix of prefixes) await Lab.down({ prefix });
});

async function owned(prefix: string): Promise<string[]> {
  return (await listNetns(createRunner())).filter((ns) => ns.startsWith(`${prefix}-`));
}

/** Starts `airlb lab up` in the foreground and resolves once it says the lab is up. */
function labUp(prefix: string): Promise<ChildProcess> {
  prefixes.push(prefix);
  const [bin, ...pre] = cliCommand();
  const child = spawn(bin!, [...pre, 'lab', 'up', '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    output.set(child, () => out);
    const timer = setTimeout(() => reject(new Error(`lab up did not report within 20 s: ${out}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes(`lab ${prefix} is up`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lab up exited with ${code}: ${out}`));
    });
  });
}

/** Sends `signal` and resolves with how the process ended: its exit code, or the signal that ended it. */
function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<number | string | null> {
  return new Promise((resolve) => {
    child.once('exit', (code, by) => resolve(code ?? by));
    child.kill(signal);
  });
}

test('lab down after SIGKILL of the process that ran lab up leaves no namespace and no state file', async () => {
  const prefix = uniquePrefix();
  const child = await labUp(prefix);
  assert.equal((await owned(prefix)).length, 7);
  await killed(child, 'SIGKILL');
  const status = await runCli(['lab', 'status', '--prefix', prefix, '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { ownerAlive: boolean }).ownerAlive, false);
  const down = await runCli(['lab', 'down', '--prefix', prefix]);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await owned(prefix), []);
  assert.equal(existsSync(statePath(defaultStateDir, prefix)), false);
});

test('lab down sweeps a killed lab by prefix even when its state file is gone, and a second down is a no-op', async () => {
  const prefix = uniquePrefix();
  const child = await labUp(prefix);
  await killed(child, 'SIGKILL');
  rmSync(statePath(defaultStateDir, prefix));
  const down = await runCli(['lab', 'down', '--prefix', prefix]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /removed 7 namespaces/);
  assert.deepEqual(await owned(prefix), []);
  const again = await runCli(['lab', 'down', '--prefix', prefix]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /nothing to remove/);
});

test('Ctrl-C (SIGINT) on lab up removes the lab itself', async () => {
  const prefix = uniquePrefix();
  const child = await labUp(prefix);
  const ended = await killed(child, 'SIGINT');
  assert.equal(ended, 0, `lab up ended with ${ended}: ${output.get(child)?.()}`);
  assert.deepEqual(await owned(prefix), []);
  assert.equal(existsSync(statePath(defaultStateDir, prefix)), false);
});

test('a foreground lab up exits by itself when another process takes its lab down', async () => {
  const prefix = uniquePrefix();
  const child = await labUp(prefix);
  const ended = new Promise((resolve) => child.once('exit', (code, by) => resolve(code ?? by)));
  const down = await runCli(['lab', 'down', '--prefix', prefix]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await ended, 0);
  assert.deepEqual(await owned(prefix), []);
});
