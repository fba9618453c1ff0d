import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import type { LabStatus } from '../../src/lab/status.js';
import { runCli } from '../support/cli.js';
import { requireNetworkPrivileges } from '../support/root.js';
import { uniquePrefix } from './support.js';

// `airlb lab` from the command line, with a topology file: up --detach, status, exec, down.
const prefix = uniquePrefix();

before(() => requireNetworkPrivileges(['ip', 'bridge', 'nft']));
after(() => Lab.down({ prefix }));

test('lab with no subcommand prints its help and exits 2; --help exits 0; an unknown subcommand exits 2', async () => {
  const bare = await runCli(['lab']);
  assert.equal(bare.code, 2);
  assert.match(bare.stdout, /Usage: airlb lab SUBCOMMAND/);
  assert.equal((await runCli(['lab', '--help'])).code, 0);
  const unknown = await runCli(['lab', 'sideways']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown subcommand 'sideways'/);
});

test('an invalid topology file is refused with file:line messages and nothing is created', async () => {
  const r = await runCli(['lab', 'up', '--detach', '--prefix', prefix, '-f', 'test/fixtures/lab/invalid.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /test\/fixtures\/lab\/invalid\.yaml:9: Node\/router: nodes\[0\]\.port: the router is wired to the AP/);
  assert.equal((await runCli(['lab', 'status', '--prefix', prefix])).code, 1);
});

test('lab up -f builds the file\'s topology and status --json reports its nodes, ports and behaviours', async () => {
  const up = await runCli(['lab', 'up', '--detach', '--prefix', prefix, '-f', 'test/fixtures/lab/isolated-ap.yaml']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`lab ${prefix} is up`));
  const status = await runCli(['lab', 'status', '--prefix', prefix, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as LabStatus;
  assert.deepEqual(report.nodes.map((n) => `${n.name}:${n.port}:${n.iface}:${n.addresses.join(',')}`), ['gw:wired:eth0:10.20.0.1/24', 'pia:wifi:wlan0:10.20.0.21/24', 'pib:wifi:wlp1s0:10.20.0.22/24']);
  assert.deepEqual(report.nodes[1]!.behaviours, { proxyArp: true, isolation: true, garpFilter: true, loss: 5, firmwareFilter: true });
  assert.equal(report.nodes[2]!.firmwareFilter, 'off');
});

test('lab exec runs a command in a node and exits with its status', async () => {
  // The fixture's WiFi ports lose 5 % per direction, ARP included, and a lost ARP exchange holds
  // the first echoes for the kernel's 1 s retransmit: ping sends until five replies came (-c with
  // -w), for at most 10 s, so loss costs time rather than failing the command.
  const ok = await runCli(['lab', 'exec', 'pia', '--prefix', prefix, '--', 'ping', '-c', '5', '-i', '0.2', '-w', '10', '10.20.0.1']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /\d+ packets transmitted, 5 received/);
  // Both WiFi ports are isolated: pia cannot reach pib.
  const blocked = await runCli(['lab', 'exec', 'pia', '--prefix', prefix, '--', 'ping', '-c', '1', '-W', '1', '10.20.0.22']);
  assert.equal(blocked.code, 1);
  const usage = await runCli(['lab', 'exec', 'pia', '--prefix', prefix]);
  assert.equal(usage.code, 2);
});

test('lab status shows a table a person can read', async () => {
  const r = await runCli(['lab', 'status', '--prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^pia\s+node\s+wifi\s+\S+-pia\s+wlan0\s+02:a1:\S+\s+10\.20\.0\.21\/24\s+proxyArp isolation garpFilter loss=5% firmwareFilter\(filtering\)$/m);
});

test('lab down removes the lab, and a second down has nothing to do', async () => {
  const down = await runCli(['lab', 'down', '--prefix', prefix, '--json']);
  assert.equal(down.code, 0, down.stderr);
  assert.equal((JSON.parse(down.stdout) as { namespaces: string[] }).namespaces.length, 4);
  const again = await runCli(['lab', 'down', '--prefix', prefix, '--json']);
  assert.deepEqual((JSON.parse(again.stdout) as { namespaces: string[] }).namespaces, []);
});
