import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { classifyInterface } from '../../src/domain/l2/interfaces.js';
import { createLogger } from '../../src/io/logger.js';
import type { LinkLayer } from '../../src/standalone/engine.js';
import { ConfigRejectedError, StandaloneSpeaker, type SpeakerOptions } from '../../src/standalone/speaker.js';
import { standaloneConfig, waitFor } from './netns.js';
import { wiredEth0 } from '../support/interfaces.js';

// The whole standalone pipeline (files → config → allocation → election → engine → state and
// status files) with a fake link layer and fixed interfaces: no namespaces, no root.

let dir: string;
const running: StandaloneSpeaker[] = [];
const eth0 = wiredEth0('02:00:00:00:00:01', '10.213.0.11');
const nullLink: LinkLayer = { open: () => ({ send: () => undefined, setPromiscuous: () => undefined, setMulticast: () => undefined, close: () => undefined }) };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlb-speaker-'));
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});
after(() => rm(dir, { recursive: true, force: true }));

function options(configDir: string, overrides: Partial<SpeakerOptions> = {}): SpeakerOptions {
  return {
    paths: [configDir],
    node: 'n1',
    statePath: join(configDir, '..', `${configDir.split('/').pop()}-state.json`),
    statusPath: join(configDir, '..', `${configDir.split('/').pop()}-status.json`),
    logger: createLogger({ format: 'text', level: 'error', write: () => undefined }),
    link: nullLink,
    classifier: (f) => classifyInterface(f),
    wifiPromiscuous: true,
    random: () => 0,
    readInterfaces: async () => [eth0],
    reloadDebounceMs: 20,
    signals: new EventEmitter(),
    ...overrides,
  };
}

async function folder(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'lan.yaml'), yaml);
  return path;
}

async function start(o: SpeakerOptions): Promise<StandaloneSpeaker> {
  const s = await StandaloneSpeaker.start(o);
  running.push(s);
  return s;
}

const pool = ['10.213.0.200-10.213.0.209'];

test('a first configuration with problems is refused with every problem, file and line', async () => {
  const path = await folder('bad', 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: p }\nspec:\n  addresses: [nope, 10.0.0.0/33]\n');
  await assert.rejects(StandaloneSpeaker.start(options(path)), (err: unknown) => {
    assert.ok(err instanceof ConfigRejectedError);
    assert.equal(err.issues.length, 2);
    assert.ok(err.issues.every((i) => /bad\/lan\.yaml:5: IPAddressPool\/p: spec\.addresses\[\d\]/.test(i)), err.issues.join('\n'));
    return true;
  });
});

test('addresses survive a restart through the state file, even when a new Service sorts first', async () => {
  const path = await folder('restart', standaloneConfig({ pool, services: [{ name: 'web' }] }));
  const o = options(path);
  const first = await start(o);
  assert.deepEqual(first.snapshot().allocations.map((a) => [a.name, a.ips]), [['web', ['10.213.0.200']]]);
  await first.stop();
  assert.deepEqual(JSON.parse(await readFile(o.statePath!, 'utf8')).services, { 'default/web': { ips: ['10.213.0.200'], pool: 'lan' } });

  await writeFile(join(path, 'lan.yaml'), standaloneConfig({ pool, services: [{ name: 'aaa' }, { name: 'web' }] }));
  const second = await start(o);
  const ips = Object.fromEntries(second.snapshot().allocations.map((a) => [a.name, a.ips]));
  assert.deepEqual(ips, { aaa: ['10.213.0.201'], web: ['10.213.0.200'] });
});

test('an invalid reload leaves the running VIPs claimed and lists its problems in the status', async () => {
  const path = await folder('reload', standaloneConfig({ pool, services: [{ name: 'web' }] }));
  const signals = new EventEmitter();
  const o = options(path, { signals });
  const speaker = await start(o);
  await waitFor('the VIP claimed', async () => (speaker.snapshot().vips[0]?.state === 'claimed' ? true : undefined), 5000, 20);
  await writeFile(join(path, 'lan.yaml'), standaloneConfig({ pool: ['10.213.0.250-10.213.0.240'], services: [{ name: 'web' }] }));
  await speaker.reload('sighup', 'test');
  const snap = speaker.snapshot();
  assert.equal(snap.config.generation, 1);
  assert.equal(snap.config.rejected.length, 1);
  assert.match(snap.config.rejected[0]!, /lan\.yaml:\d+: IPAddressPool\/lan: spec\.addresses\[0\]/);
  assert.deepEqual(snap.vips.map((v) => [v.ip, v.state]), [['10.213.0.200', 'claimed']]);
  const status = await waitFor('the status file showing the rejection', async () => {
    const s = JSON.parse(await readFile(o.statusPath!, 'utf8')) as { config: { rejected: string[] } };
    return s.config.rejected.length === 1 ? s : undefined;
  }, 5000, 20);
  assert.ok(status);
});

test('with Node objects that do not include this node, nothing is announced and the status says why', async () => {
  const path = await folder('other-node', standaloneConfig({ pool, services: [{ name: 'web' }], nodes: [{ name: 'pi9', labels: {} }] }));
  const speaker = await start(options(path));
  const snap = speaker.snapshot();
  assert.equal(snap.config.nodeInConfig, 'missing');
  assert.deepEqual(snap.vips, []);
  assert.deepEqual(snap.elsewhere.map((e) => [e.ip, e.node]), [['10.213.0.200', 'pi9']]);
});

test('stop writes a final status with running false', async () => {
  const path = await folder('stop', standaloneConfig({ pool, services: [{ name: 'web' }] }));
  const o = options(path);
  const speaker = await StandaloneSpeaker.start(o);
  await speaker.stop();
  const status = JSON.parse(await readFile(o.statusPath!, 'utf8')) as { running: boolean; vips: unknown[] };
  assert.equal(status.running, false);
  assert.deepEqual(status.vips, []);
});
