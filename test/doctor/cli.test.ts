import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';

// The doctor's command line on recorded facts (test/doctor/fixtures/*.json, each recorded by
// `airlb doctor --facts-out` in the lab scenario of the same name) and on configurations alone.

const fixture = (name: string): string => join('test', 'doctor', 'fixtures', name);
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface DoctorJson {
  vip: string | null;
  verdict: { cause: string; evidence: string[] };
  checks: { id: string; title: string; status: string; detail: string }[];
  fix: { kind: string; title: string; steps: string[]; commands: string[]; manifests: string | null; question: string | null };
  notes: string[];
  facts: Record<string, unknown>;
}

async function doctorJson(args: readonly string[]): Promise<{ code: number | null; json: DoctorJson; stderr: string }> {
  const r = await runCli(['doctor', '--json', ...args]);
  assert.ok(r.stdout.startsWith('{'), `no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as DoctorJson, stderr: r.stderr };
}

const recorded: Readonly<Record<string, string>> = {
  healthy: 'healthy',
  'healthy-wifi': 'healthy',
  'ap-arp-proxy': 'ap-arp-proxy',
  'node-wifi-arp-offload': 'node-wifi-arp-offload',
  'ap-garp-filter': 'ap-garp-filter',
  'ap-client-isolation': 'ap-client-isolation',
  'ip-conflict': 'ip-conflict',
};
for (const [scenario, cause] of Object.entries(recorded)) {
  test(`facts recorded in the lab's ${scenario} scenario give the verdict ${cause}, exit ${cause === 'healthy' ? 0 : 1}`, async () => {
    const { code, json } = await doctorJson(['--facts', fixture(`${scenario}.json`)]);
    assert.equal(json.verdict.cause, cause);
    assert.equal(code, cause === 'healthy' ? 0 : 1);
  });
}

test('--json has the documented shape: vip, verdict, checks with ids and statuses, fix, notes, facts', async () => {
  const { json } = await doctorJson(['--facts', fixture('ap-arp-proxy.json')]);
  assert.deepEqual(Object.keys(json), ['vip', 'verdict', 'checks', 'fix', 'notes', 'facts']);
  assert.deepEqual(Object.keys(json.verdict), ['cause', 'evidence']);
  assert.deepEqual(Object.keys(json.fix), ['kind', 'title', 'steps', 'commands', 'manifests', 'question']);
  assert.deepEqual(
    json.checks.map((c) => c.id),
    ['allocation', 'announcement', 'excluded-nodes', 'uplink', 'probe-node-ip', 'probe-vip', 'conflict', 'split-brain', 'kube-proxy-strict-arp', 'capture', 'firmware-filter', 'client-isolation', 'gratuitous-arp'],
  );
  for (const c of json.checks) assert.ok(['ok', 'problem', 'warning', 'not-run'].includes(c.status), c.status);
  assert.equal(json.vip, '192.168.1.200');
});

test('without answers the AP fix is a question; flags answer it and the tree ends in a fix', async () => {
  const ask = await doctorJson(['--facts', fixture('ap-arp-proxy.json')]);
  assert.deepEqual([ask.json.fix.kind, ask.json.fix.question], ['decide', 'canWireNode']);
  const bgp = await doctorJson(['--facts', fixture('ap-arp-proxy.json'), '--can-wire', 'no', '--can-configure-ap', 'no', '--router-bgp', 'yes']);
  assert.equal(bgp.json.fix.kind, 'bgp');
  assert.match(bgp.json.fix.manifests ?? '', /kind: BGPPeer/);
});

test('with -f the wired-node fix names the configuration\'s pool and its wired node', async () => {
  const { json } = await doctorJson(['--facts', fixture('ap-arp-proxy.json'), '-f', fixture('config/wired-cluster.yaml'), '--can-wire', 'yes']);
  assert.equal(json.fix.kind, 'wired-node');
  assert.deepEqual(json.fix.commands, ['kubectl label node pi1 network=ethernet --overwrite']);
  assert.match(json.fix.manifests ?? '', /ipAddressPools:\n {4}- home-lab-pool/);
});

test('the human report is short: the checks that ran, the verdict with evidence, the fix', async () => {
  const r = await runCli(['doctor', '--facts', fixture('node-wifi-arp-offload.json')]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.length < 30, `${lines.length} lines:\n${r.stdout}`);
  assert.match(r.stdout, /^Verdict: node-wifi-arp-offload — /m);
  assert.match(r.stdout, /^ {2}evidence: requests for the VIP arrive only in promiscuous mode/m);
  assert.match(r.stdout, /^ {2}\$ sudo ip link set wlan0 promisc on$/m);
  assert.match(r.stdout, /not run; --json lists why/);
});

test('a pending Service in an exhausted pool is found from the configuration alone, with no --vip', async () => {
  const { code, json } = await doctorJson(['--no-probe', '-f', fixture('config/exhausted.yaml')]);
  assert.equal(code, 1);
  assert.equal(json.verdict.cause, 'pool-exhausted');
  assert.match(json.verdict.evidence[0]!, /default\/second is pending: no free IPv4 address .* pool tiny/);
});

test('a pool without an advertisement, and a cluster whose only node is excluded, are no-advertisement', async () => {
  const none = await doctorJson(['--no-probe', '-f', fixture('config/no-advertisement.yaml')]);
  assert.equal(none.json.verdict.cause, 'no-advertisement');
  assert.match(none.json.verdict.evidence[0]!, /nobody announces 192\.168\.1\.200: no-l2-advertisement/);
  assert.match(none.json.fix.manifests ?? '', /kind: L2Advertisement[\s\S]*- lan/);
  const excluded = await doctorJson(['--no-probe', '-f', fixture('config/excluded.yaml')]);
  assert.equal(excluded.json.verdict.cause, 'no-advertisement');
  assert.match(excluded.json.verdict.evidence.join('\n'), /pi1 carries node\.kubernetes\.io\/exclude-from-external-load-balancers/);
});

test('a VIP routed by BGP needs no L2Advertisement: the field guide\'s BGP manifests are no no-advertisement', async () => {
  const { json } = await doctorJson(['--no-probe', '-f', join('test', 'fixtures', 'seed', 'seed-bgp.yaml'), '-f', fixture('config/bgp-node.yaml')]);
  assert.notEqual(json.verdict.cause, 'no-advertisement');
  const announcement = json.checks.find((c) => c.id === 'announcement')!;
  assert.deepEqual([announcement.status, announcement.detail], ['ok', 'routed by BGP from pi1: no node answers ARP for it']);
});

test('--facts-out records what was collected, and --facts reads it back to the same diagnosis', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlb-doctor-cli-'));
  dirs.push(dir);
  const out = join(dir, 'facts.json');
  const first = await doctorJson(['--no-probe', '-f', fixture('config/excluded.yaml'), '--facts-out', out]);
  assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), first.json.facts);
  const again = await doctorJson(['--facts', out, '-f', fixture('config/excluded.yaml')]);
  assert.deepEqual(again.json.verdict, first.json.verdict);
  assert.deepEqual(again.json.fix, first.json.fix);
});

test('bad flags are usage errors (exit 2) that name the flag', async () => {
  for (const [args, message] of [
    [['doctor', '--facts', fixture('healthy.json'), '--can-wire', 'maybe'], /--can-wire takes yes or no/],
    [['doctor', '--vip', '192.168.1'], /--vip takes an IPv4 address/],
    [['doctor', '--vip', '192.168.1.200', '--node-mac', 'pi1'], /--node-mac takes NAME=VALUE/],
    [['doctor'], /give --vip IP, or -f PATH/],
    [['doctor', '--capture-on', 'wlan0'], /--capture-on needs --vip/],
    [['verify'], /give exactly one IPv4 VIP/],
    [['verify', '192.168.1.200', '--port', '70000'], /--port takes 1-65535/],
    [['arp-pin'], /give at least one --vip/],
  ] as const) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('a recording with a misspelt field is refused with its path (exit 1)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlb-doctor-cli-'));
  dirs.push(dir);
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ vip: '192.168.1.200', probeVIP: null }));
  const r = await runCli(['doctor', '--facts', join(dir, 'bad.json')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /facts\.probeVIP: expected one of the fields .* \[doctor-json-invalid\]/);
});
