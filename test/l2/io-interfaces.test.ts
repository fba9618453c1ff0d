import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ClassifiedInterface } from '../../src/domain/l2/interfaces.js';
import { IFF_UP } from '../../src/domain/l2/interfaces.js';
import { requireNetworkPrivileges } from '../support/root.js';

// A namespace holding a node's view: uplink veth "eth0" (peer "eth0p"), bridge "br0" with the
// port "port0" (peer "port0p"), and a second veth "radio0" the test presents as wireless.
const prefix = `alb${randomBytes(2).toString('hex')}`;
const netns = `${prefix}-if`;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/read-interfaces.ts', import.meta.url));
const children: ChildProcess[] = [];

function ip(...args: string[]): string {
  return execFileSync('ip', ['-n', netns, ...args], { encoding: 'utf8', timeout: 10_000 });
}

function inNetns(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('ip', ['netns', 'exec', netns, process.execPath, '--import', 'tsx', script, ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
}

before(() => {
  requireNetworkPrivileges(['ip']);
  execFileSync('ip', ['netns', 'add', netns], { timeout: 10_000 });
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  ip('link', 'add', 'radio0', 'type', 'veth', 'peer', 'name', 'radio0p');
  ip('link', 'add', 'br0', 'type', 'bridge');
  ip('link', 'add', 'port0', 'type', 'veth', 'peer', 'name', 'port0p');
  ip('link', 'set', 'port0', 'master', 'br0');
  for (const dev of ['lo', 'eth0', 'eth0p', 'radio0', 'radio0p', 'br0', 'port0', 'port0p']) ip('link', 'set', dev, 'up');
  ip('addr', 'add', '192.168.77.11/24', 'dev', 'eth0');
  ip('addr', 'add', '192.168.77.12/24', 'dev', 'radio0');
});

after(() => {
  for (const child of children) child.kill('SIGKILL');
  execFileSync('ip', ['netns', 'del', netns], { timeout: 10_000, stdio: 'ignore' });
});

test('facts read inside a namespace match what ip(8) reports, and the veth uplink is a wired candidate', () => {
  const classified = JSON.parse(inNetns(['read'])) as ClassifiedInterface[];
  const get = (name: string): ClassifiedInterface => {
    const found = classified.find((c) => c.facts.name === name);
    assert.ok(found, `${name} was read`);
    return found;
  };
  const links = JSON.parse(ip('-j', 'link', 'show')) as Array<{ ifname: string; ifindex: number; address: string }>;
  const eth0Link = links.find((l) => l.ifname === 'eth0')!;
  const eth0 = get('eth0');
  assert.equal(eth0.facts.ifindex, eth0Link.ifindex);
  assert.equal(eth0.facts.mac, eth0Link.address);
  assert.equal(eth0.facts.type, 1);
  assert.equal(eth0.facts.operstate, 'up');
  assert.ok((eth0.facts.flags & IFF_UP) !== 0);
  assert.equal(eth0.facts.softwareDevice, true);
  assert.equal(eth0.facts.master, null);
  assert.deepEqual(eth0.facts.addresses.filter((a) => !a.address.startsWith('fe80')), [{ address: '192.168.77.11', prefixLength: 24 }]);
  assert.deepEqual(eth0.classification, { kind: 'wired', reason: 'software-uplink' });
  assert.equal(get('port0').facts.master, 'br0');
  assert.deepEqual(get('port0').classification, { kind: 'virtual', reason: 'enslaved' });
  assert.equal(get('br0').facts.devtype, 'bridge');
  assert.deepEqual(get('lo').classification, { kind: 'virtual', reason: 'loopback' });
  assert.deepEqual(get('radio0').classification, { kind: 'wired', reason: 'software-uplink' });
  assert.deepEqual(get('eth0p').classification, { kind: 'virtual', reason: 'software-without-address' });
});

test('AIRLB_WIRELESS_INTERFACES presents a veth as wireless', () => {
  const classified = JSON.parse(inNetns(['read'], { AIRLB_WIRELESS_INTERFACES: 'radio0, other' })) as ClassifiedInterface[];
  assert.deepEqual(classified.find((c) => c.facts.name === 'radio0')!.classification, { kind: 'wireless', reason: 'override' });
  assert.deepEqual(classified.find((c) => c.facts.name === 'eth0')!.classification, { kind: 'wired', reason: 'software-uplink' });
});

test('the watcher reports the first scan, then an address added and a link taken down', async () => {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', 'tsx', script, 'watch'], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  type Snapshot = Array<{ name: string; operstate: string; addresses: Array<{ address: string }> }>;
  const snapshots: Snapshot[] = [];
  let buffered = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      snapshots.push(JSON.parse(buffered.slice(0, nl)) as Snapshot);
      buffered = buffered.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const waitFor = async (what: string, ok: (s: Snapshot) => boolean): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (!snapshots.some(ok)) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `timed out waiting for the watcher to report ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  const eth0 = (s: Snapshot) => s.find((f) => f.name === 'eth0');
  await waitFor('the first scan', (s) => eth0(s) !== undefined);
  const before = snapshots.length;
  ip('addr', 'add', '192.168.78.11/24', 'dev', 'eth0');
  await waitFor('the new address', (s) => eth0(s)?.addresses.some((a) => a.address === '192.168.78.11') === true);
  ip('link', 'set', 'radio0', 'down');
  await waitFor('radio0 down', (s) => s.find((f) => f.name === 'radio0')?.operstate === 'down');
  assert.ok(snapshots.length >= before + 2, 'each change is a separate report');
  child.stdin!.end();
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('watcher did not exit after stdin closed')), 10_000);
    child.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
});
