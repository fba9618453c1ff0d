import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeAgentReport, parseAgentReport, type AgentReport } from '../../src/domain/doctor/agent-report.js';
import { emptyFacts } from '../../src/domain/doctor/facts.js';
import { parseFacts } from '../../src/domain/doctor/recording.js';
import { mergeSpeakerStatuses, ownerOf, parseSpeakerStatus } from '../../src/domain/doctor/speaker-status.js';
import { AirlbError } from '../../src/errors.js';

const VIP = '192.168.1.200';
const PI2 = '02:a1:00:00:00:03';

const report: AgentReport = {
  node: 'pi2',
  interface: 'wlan0',
  mac: PI2,
  ipv4: '192.168.1.12',
  uplink: 'wireless',
  capture: { promiscuous: false, requestsForVip: 0, repliesForVip: 0 },
  capturePromiscuous: { promiscuous: true, requestsForVip: 9, repliesForVip: 9 },
  peers: [
    { name: 'pi1', ip: '192.168.1.11', reachable: true },
    { name: 'pi3', ip: '192.168.1.13', reachable: false },
  ],
  gateway: { ip: '192.168.1.1', reachable: true },
  garpSent: 3,
};

/** A status file as `airlb standalone --status-file` writes it, trimmed to what the doctor reads plus noise it must ignore. */
const status = (node: string, mac: string, claimed: boolean, running = true): unknown => ({
  node,
  pid: 42,
  running,
  config: { generation: 1 },
  vips: claimed ? [{ ip: VIP, services: ['default/web'], pool: 'lan', state: 'claimed', interfaces: ['wlan0'], answeringOn: ['wlan0'] }] : [],
  interfaces: [{ name: 'wlan0', kind: 'wireless', mac: mac.toUpperCase(), open: true, promiscuous: true, promiscuousReason: 'wireless-announcing', vips: claimed ? 1 : 0 }],
  allocations: [{ namespace: 'default', name: 'web', ips: [VIP], pool: 'lan', error: null, reason: null }],
  elsewhere: claimed ? [] : [{ ip: VIP, service: 'default/web', node: 'pi2', reason: 'elected' }],
  counters: { sent: { reply: 3 } },
});

test('a node report read back from JSON equals the report written', () => {
  assert.deepEqual(parseAgentReport(JSON.parse(JSON.stringify(report))), report);
});

test('a report missing its capture is refused with the field path', () => {
  const { capture: _omitted, ...rest } = report;
  assert.throws(() => parseAgentReport(rest), (err: unknown) => err instanceof AirlbError && err.code === 'doctor-json-invalid' && /report\.capture: expected an object/.test(err.message));
});

test('the announcing node\'s report brings its captures, MAC, uplink and the first unreachable peer', () => {
  const merged = mergeAgentReport(emptyFacts(VIP), report);
  assert.deepEqual(merged.announcement, { node: 'pi2', reason: 'reported by the node itself', interface: 'wlan0', mac: PI2, uplink: 'wireless', nodeIp: '192.168.1.12' });
  assert.deepEqual(merged.capturePromiscuous, report.capturePromiscuous);
  assert.deepEqual(merged.nodeToNode, { from: 'pi2', to: 'pi3', reachable: false });
  assert.deepEqual(merged.nodeToGateway, { from: 'pi2', reachable: true });
  assert.equal(merged.nodeMacs[PI2], 'pi2');
});

test('the node\'s gratuitous ARP counts as seen only when its own MAC was seen announcing the VIP', () => {
  assert.deepEqual(mergeAgentReport(emptyFacts(VIP), report, [PI2]).garp, { observerUpdated: true });
  assert.deepEqual(mergeAgentReport(emptyFacts(VIP), report, ['02:00:00:00:00:99']).garp, { observerUpdated: false });
  assert.equal(mergeAgentReport(emptyFacts(VIP), { ...report, garpSent: 0 }, [PI2]).garp, null, 'nothing sent, nothing to judge');
});

test('a report from a node that does not announce the VIP lends its MAC but not its captures', () => {
  const facts = { ...emptyFacts(VIP), announcement: { node: 'pi1', reason: 'elected', interface: 'eth0', mac: null, uplink: 'wired' as const, nodeIp: '192.168.1.11' } };
  const merged = mergeAgentReport(facts, report);
  assert.equal(merged.capture, null);
  assert.equal(merged.announcement?.node, 'pi1');
  assert.equal(merged.nodeMacs[PI2], 'pi2');
});

test('the speaker that claimed the VIP is the announcer, with the MAC of the interface it answers on', () => {
  const statuses = [parseSpeakerStatus(status('pi1', '02:a1:00:00:00:02', false), 'pi1.json'), parseSpeakerStatus(status('pi2', PI2, true), 'pi2.json')];
  assert.deepEqual(ownerOf(VIP, statuses), [{ node: 'pi2', interface: 'wlan0', mac: PI2, kind: 'wireless' }]);
  const merged = mergeSpeakerStatuses(emptyFacts(VIP), statuses);
  assert.deepEqual(merged.announcement, { node: 'pi2', reason: 'claimed', interface: 'wlan0', mac: PI2, uplink: 'wireless', nodeIp: null });
  assert.deepEqual(merged.nodeMacs, { '02:a1:00:00:00:02': 'pi1', [PI2]: 'pi2' });
  assert.deepEqual(merged.allocation, { namespace: 'default', name: 'web', ips: [VIP], pool: 'lan', reason: null, error: null });
});

test('a stopped speaker owns nothing; another speaker\'s word says who should announce', () => {
  const statuses = [parseSpeakerStatus(status('pi2', PI2, true, false), 'pi2.json'), parseSpeakerStatus(status('pi1', '02:a1:00:00:00:02', false), 'pi1.json')];
  assert.deepEqual(ownerOf(VIP, statuses), []);
  assert.deepEqual(mergeSpeakerStatuses(emptyFacts(VIP), statuses).announcement, { node: 'pi2', reason: 'elected', interface: null, mac: null, uplink: 'unknown', nodeIp: null });
});

test('a status file without a node name is refused with the file and field', () => {
  assert.throws(() => parseSpeakerStatus({ running: true }, '/run/airlb/status.json'), /\/run\/airlb\/status\.json\.node: expected a string/);
});

test('recorded facts round-trip through JSON, and fields left out take the defaults', () => {
  const facts = mergeAgentReport(emptyFacts(VIP), report);
  assert.deepEqual(parseFacts(JSON.parse(JSON.stringify(facts))), facts);
  assert.deepEqual(parseFacts({ vip: VIP }), emptyFacts(VIP));
});

test('a misspelt field in recorded facts is refused, not ignored', () => {
  assert.throws(() => parseFacts({ vip: VIP, probeVIP: null }), /facts\.probeVIP: expected one of the fields/);
  assert.throws(() => parseFacts({ vip: VIP, capture: { promiscuous: false, requestsForVip: -1, repliesForVip: null } }), /facts\.capture\.requestsForVip: expected a whole number/);
});
