import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { Segment, Speaker, standaloneConfig, waitFor } from './netns.js';

// Two nodes run `airlb standalone` on the same folder; the election gives the VIP to one. When the
// configuration changes so that the other wins, the new owner's gratuitous ARP and unsolicited NA
// (seen with tcpdump) move the client's existing neighbour entries to the new MAC.
let seg: Segment | undefined;
let tcpdump: ChildProcess | undefined;
const VIP4 = '10.213.0.200';
const VIP6 = 'fd00:a1b:213::200';

function config(labels: { n1: string; n2: string }): string {
  return standaloneConfig({
    pool: ['10.213.0.200-10.213.0.209', 'fd00:a1b:213::200/125'],
    services: [{ name: 'web', dual: true }],
    nodes: [
      { name: 'n1', labels: { lb: labels.n1 } },
      { name: 'n2', labels: { lb: labels.n2 } },
    ],
    nodeSelector: { lb: 'yes' },
  });
}

async function neighbourMac(ip: string): Promise<string | undefined> {
  const out = (await seg!.exec('client', ['ip', 'neigh', 'show', ip, 'dev', 'eth0'])).stdout;
  return /lladdr ([0-9a-f:]{17})/.exec(out)?.[1];
}

before(async () => {
  requireNetworkPrivileges(['ip', 'tcpdump', 'ping']);
  seg = await Segment.create();
  await seg.init();
  await seg.add('client', 10);
  await seg.add('n1', 11);
  await seg.add('n2', 12);
});

after(async () => {
  tcpdump?.kill('SIGKILL');
  await seg?.remove();
});

test('after a takeover the client\'s neighbour entries move to the new owner, taught by its gratuitous ARP and NA', async () => {
  const dir = await seg!.configDir('config', { 'lan.yaml': config({ n1: 'yes', n2: 'yes' }) });
  const speakers: Record<'n1' | 'n2', Speaker> = { n1: seg!.speaker('n1', dir), n2: seg!.speaker('n2', dir) };
  const owner = await waitFor('one node claiming the VIP', async () => {
    for (const name of ['n1', 'n2'] as const) {
      const s = await speakers[name].status();
      if (s?.vips.some((v) => v.ip === VIP4 && v.state === 'claimed')) return name;
    }
    return undefined;
  }, 20_000);
  const other = owner === 'n1' ? 'n2' : 'n1';
  const [oldMac, newMac] = [seg!.member(owner).mac, seg!.member(other).mac];
  const otherStatus = await waitFor(`${other} status`, () => speakers[other].status());
  assert.deepEqual(otherStatus.vips, [], `${other} announces nothing while ${owner} is elected`);

  // The client learns the VIP's MAC the ordinary way (resolution for a ping nobody answers).
  await seg!.exec('client', ['ping', '-c', '1', '-W', '1', VIP4]);
  await seg!.exec('client', ['ping', '-6', '-c', '1', '-W', '1', VIP6]);
  assert.equal(await neighbourMac(VIP4), oldMac);
  assert.equal(await neighbourMac(VIP6), oldMac);

  let captured = '';
  tcpdump = spawn('ip', ['netns', 'exec', seg!.member('client').ns, 'tcpdump', '-i', 'eth0', '-n', '-t', '-l', '-e', 'arp or icmp6'], { stdio: ['ignore', 'pipe', 'pipe'] });
  tcpdump.stdout!.setEncoding('utf8').on('data', (d: string) => (captured += d));
  await waitFor('tcpdump listening', async () => ((await seg!.exec('client', ['pgrep', '-x', 'tcpdump'])).code === 0 ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));

  await writeFile(join(dir, 'lan.yaml'), config(owner === 'n1' ? { n1: 'no', n2: 'yes' } : { n1: 'yes', n2: 'no' }));
  await speakers[other].waitVip(VIP4);
  await speakers[other].waitVip(VIP6);
  assert.equal(await waitFor('the IPv4 entry to move', async () => ((await neighbourMac(VIP4)) === newMac ? newMac : undefined), 15_000), newMac);
  assert.equal(await waitFor('the IPv6 entry to move', async () => ((await neighbourMac(VIP6)) === newMac ? newMac : undefined), 15_000), newMac);
  const garp = await waitFor('the gratuitous ARP in the capture', async () => {
    const line = captured.split('\n').find((l) => l.startsWith(newMac) && l.includes(`Request who-has ${VIP4} tell ${VIP4}`));
    return line;
  }, 5000).catch((err: unknown) => assert.fail(`${String(err)} in:\n${captured}`));
  assert.ok(garp.includes('ff:ff:ff:ff:ff:ff'), 'broadcast');
  assert.ok(
    captured.split('\n').some((l) => l.startsWith(newMac) && l.includes('neighbor advertisement') && l.includes(`tgt is ${VIP6}`)),
    `an unsolicited NA from the new owner in:\n${captured}`,
  );
  assert.deepEqual((await speakers[owner].status())!.vips, [], 'the old owner released the VIPs');
  assert.equal(await speakers.n1.stop(), 0);
  assert.equal(await speakers.n2.stop(), 0);
});
