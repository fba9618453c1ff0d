import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliCommand, runCli } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { run } from './netns.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlb-standalone-cli-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('--help documents every flag and the signals', async () => {
  const r = await runCli(['standalone', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['-f, --file', '--node', '--state', '--status-file', '--wireless', '--no-wifi-promiscuous', '--log-format', '--log-level', 'SIGHUP', 'SIGTERM', 'AIRLB_WIRELESS_INTERFACES']) {
    assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
  }
});

test('wrong usage exits 2 and names the problem', async () => {
  assert.equal((await runCli(['standalone'])).code, 2, 'no -f');
  const format = await runCli(['standalone', '-f', dir, '--log-format', 'xml']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /--log-format must be json or text/);
  assert.equal((await runCli(['standalone', '-f', dir, '--bogus'])).code, 2);
});

test('an invalid first configuration exits 1 with FILE:LINE problems and announces nothing', async () => {
  requireNetworkPrivileges([]); // the CAP_NET_RAW check comes first
  await writeFile(join(dir, 'pool.yaml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p }\nspec:\n  addresses: [nope]\n');
  const r = await runCli(['standalone', '-f', dir, '--node', 'n1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pool\.yaml:5: IPAddressPool\/p: spec\.addresses\[0\]/);
  assert.match(r.stderr, /nothing is announced/);
});

test('without CAP_NET_RAW it exits 1 and says how to grant it', async () => {
  requireNetworkPrivileges(['setpriv']);
  // Root without CAP_NET_RAW in its bounding set: the exec'd CLI runs without it.
  const r = await run(['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw', ...cliCommand(), 'standalone', '-f', dir, '--node', 'n1'], 60_000);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CAP_NET_RAW.*\[needs-cap-net-raw\]/);
});
