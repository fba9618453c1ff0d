import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderApRuleset, type PortFilter } from '../../src/lab/ap-ruleset.js';
import { firmwareAnswers, portFilters } from '../../src/lab/apply-behaviours.js';
import type { LabState } from '../../src/lab/state.js';
import { defaultBehaviours, defaultTopology } from '../../src/lab/topology.js';

const quiet: PortFilter = { port: 'pi2', stationIpv4: '192.168.1.12', stationIpv6: 'fd00:a1b::12', proxyArp: false, garpFilter: false, loss: 0, partitioned: false, firmwareAnswers: null };

test('a port with no behaviours adds no rule, and the table is replaced in one transaction', () => {
  const text = renderApRuleset('alb_ap', [quiet]);
  assert.equal(text.split('\n').filter((l) => l.includes('"pi2"')).length, 0);
  assert.match(text, /^table bridge alb_ap\ndelete table bridge alb_ap\ntable bridge alb_ap \{/);
});

test('the GARP filter drops ARP from the port whose sender is neither the station nor 0.0.0.0', () => {
  const text = renderApRuleset('t', [{ ...quiet, garpFilter: true }]);
  assert.match(text, /chain from_air \{\n.*hook prerouting.*\n\s+iifname "pi2" ether type arp arp saddr ip != \{ 0\.0\.0\.0, 192\.168\.1\.12 \} drop\n/);
});

test('suppression drops broadcast ARP requests and solicited-node NS for other addresses on the way to the station', () => {
  const text = renderApRuleset('t', [{ ...quiet, proxyArp: true }]);
  const toAir = text.slice(text.indexOf('chain to_air {'), text.indexOf('chain to_air_local'));
  assert.match(toAir, /oifname "pi2" ether daddr ff:ff:ff:ff:ff:ff ether type arp arp operation request arp daddr ip != 192\.168\.1\.12 drop/);
  // fd00:a1b::12 as the 128 raw bits of the NS target field.
  assert.match(toAir, /oifname "pi2" ip6 daddr ff02::1:ff00:0\/104 icmpv6 type nd-neighbor-solicit @th,64,16 & 0xffc0 != 0xfe80 @th,64,128 != 0xfd000a1b000000000000000000000012 drop/);
  assert.ok(text.slice(text.indexOf('chain to_air_local')).includes('ether daddr ff:ff:ff:ff:ff:ff'), 'frames from the AP itself are filtered too');
});

test('loss drops the same percentage in both directions and a partition drops everything', () => {
  const text = renderApRuleset('t', [{ ...quiet, loss: 7, partitioned: true }]);
  assert.ok(text.includes('iifname "pi2" numgen random mod 100 < 7 drop'));
  assert.ok(text.includes('oifname "pi2" numgen random mod 100 < 7 drop'));
  assert.ok(text.indexOf('iifname "pi2" drop') < text.indexOf('iifname "pi2" numgen'), 'the partition comes first');
  assert.ok(text.includes('oifname "pi2" drop'));
});

test('the firmware filter drops ARP requests for any address it does not answer for', () => {
  assert.ok(renderApRuleset('t', [{ ...quiet, firmwareAnswers: ['192.168.1.12', '192.168.1.99'] }]).includes('oifname "pi2" ether type arp arp operation request arp daddr ip != { 192.168.1.12, 192.168.1.99 } drop'));
  assert.ok(renderApRuleset('t', [{ ...quiet, firmwareAnswers: [] }]).includes('oifname "pi2" ether type arp arp operation request drop'));
});

test('the firmware answers for at most 8 addresses, and for none of its filtering when promiscuous', () => {
  const on = defaultBehaviours('node');
  const nine = Array.from({ length: 9 }, (_, i) => `192.168.1.${100 + i}`);
  assert.deepEqual(firmwareAnswers(on, { promiscuous: false, ipv4: nine }, '192.168.1.12'), nine.slice(0, 8));
  assert.equal(firmwareAnswers(on, { promiscuous: true, ipv4: nine }, '192.168.1.12'), null);
  assert.deepEqual(firmwareAnswers(on, undefined, '192.168.1.12'), ['192.168.1.12'], 'before the first look: the configured address');
  assert.equal(firmwareAnswers({ ...on, firmwareFilter: false }, undefined, '192.168.1.12'), null);
  assert.equal(firmwareAnswers(null, undefined, '192.168.1.11'), null, 'wired');
});

test('port filters follow the state: wired ports only carry partitions', () => {
  const topology = defaultTopology();
  const runtime = Object.fromEntries(topology.nodes.map((n) => [n.name, { behaviours: n.behaviours, partitioned: n.name === 'pi1' }]));
  const state: LabState = { version: 1, prefix: 'alb', createdAt: '', ownerPid: 1, topology, runtime, observed: {} };
  const byPort = new Map(portFilters(state).map((f) => [f.port, f]));
  assert.deepEqual(byPort.get('pi1'), { port: 'pi1', stationIpv4: '192.168.1.11', stationIpv6: 'fd00:a1b::11', proxyArp: false, garpFilter: false, loss: 0, partitioned: true, firmwareAnswers: null });
  assert.equal(byPort.get('pi2')?.proxyArp, true);
  assert.deepEqual(byPort.get('pi2')?.firmwareAnswers, ['192.168.1.12']);
  assert.equal(byPort.get('laptop')?.firmwareAnswers, null);
});
