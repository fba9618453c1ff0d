import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireNetworkPrivileges } from '../support/root.js';
import { Segment, standaloneConfig, type Speaker } from './netns.js';

// An interface presented as wireless gets a promiscuous membership while airlb announces on it (to
// switch off a Raspberry Pi firmware ARP filter), visible as IFF_PROMISC, and loses it at exit.
let seg: Segment | undefined;
let dir: string;
const VIP = '10.213.0.200';
const IFF_PROMISC = 0x100;

async function flags(): Promise<number> {
  return parseInt((await seg!.exec('n1', ['cat', '/sys/class/net/eth0/flags'])).stdout.trim(), 16);
}

before(async () => {
  requireNetworkPrivileges(['ip', 'arping']);
  seg = await Segment.create();
  await seg.init();
  await seg.add('client', 10);
  await seg.add('n1', 11);
  dir = await seg.configDir('config', { 'lan.yaml': standaloneConfig({ pool: ['10.213.0.200-10.213.0.209'], services: [{ name: 'web' }] }) });
});

after(async () => {
  await seg?.remove();
});

async function promiscuousWhileRunning(speaker: Speaker): Promise<void> {
  const status = await speaker.waitVip(VIP);
  const eth0 = status.interfaces.find((i) => i.name === 'eth0');
  assert.deepEqual([eth0?.kind, eth0?.promiscuous], ['wireless', true]);
  assert.notEqual((await flags()) & IFF_PROMISC, 0, 'IFF_PROMISC is set while airlb runs');
  const arping = await seg!.exec('client', ['arping', '-c', '2', '-w', '3', '-I', 'eth0', VIP], 10_000);
  assert.match(arping.stdout, new RegExp(seg!.member('n1').mac, 'i'), 'the VIP answers');
  assert.equal(await speaker.stop(), 0);
  assert.equal((await flags()) & IFF_PROMISC, 0, 'IFF_PROMISC is gone after exit');
}

test('with --wireless the interface is promiscuous while running and not after exit', async () => {
  assert.equal((await flags()) & IFF_PROMISC, 0, 'not promiscuous before');
  await promiscuousWhileRunning(seg!.speaker('n1', dir, ['--wireless', 'eth0']));
});

test('AIRLB_WIRELESS_INTERFACES presents the interface as wireless the same way', async () => {
  await promiscuousWhileRunning(seg!.speaker('n1', dir, [], { AIRLB_WIRELESS_INTERFACES: 'eth0' }));
});
