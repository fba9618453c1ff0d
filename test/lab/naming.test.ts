import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseObservation } from '../../src/lab/interface-watch.js';
import { checkPrefix, macFor, ownsNetns } from '../../src/lab/naming.js';

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  assert.fail('expected an error');
}

test('prefixes have no dash, so one lab never sweeps another\'s namespaces', () => {
  assert.equal(checkPrefix('alb1f2e'), 'alb1f2e');
  assert.equal(codeOf(() => checkPrefix('lab-2')), 'lab-bad-prefix');
  assert.equal(codeOf(() => checkPrefix('')), 'lab-bad-prefix');
  assert.equal(ownsNetns('lab', 'lab-pi1'), true);
  assert.equal(ownsNetns('lab', 'lab2-pi1'), false);
});

test('node MACs are locally administered unicast, stable per prefix and different across prefixes', () => {
  const mac = macFor('alb', 3);
  assert.match(mac, /^02:a1:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:03$/);
  assert.equal(macFor('alb', 3), mac);
  assert.notEqual(macFor('alc', 3), mac);
});

test('the interface watcher reads promiscuity from the counter packet sockets raise, not only the PROMISC flag', () => {
  const counter = '[{"ifname":"wlan0","flags":["BROADCAST","UP"],"promiscuity":1,"addr_info":[{"family":"inet","local":"192.168.1.12"},{"family":"inet6","local":"fd00:a1b::12"}]}]';
  assert.deepEqual(parseObservation(counter), { promiscuous: true, ipv4: ['192.168.1.12'] });
  const flag = '[{"ifname":"wlan0","flags":["PROMISC","UP"],"promiscuity":0,"addr_info":[]}]';
  assert.deepEqual(parseObservation(flag), { promiscuous: true, ipv4: [] });
  assert.deepEqual(parseObservation('[{"flags":["UP"],"promiscuity":0,"addr_info":[]}]'), { promiscuous: false, ipv4: [] });
  assert.equal(parseObservation('[]'), null);
});
