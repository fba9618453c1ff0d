import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { standaloneControlPlane } from '../../src/domain/membership/view.js';
import { createLogger } from '../../src/io/logger.js';
import { MembershipRuntime } from '../../src/io/membership-runtime.js';
import { waitFor } from '../standalone/netns.js';
import { internal } from './builders.js';

// MembershipRuntime.nodeOfMac over real status messages on loopback (127.0.0.1–3, high ports, no
// root): the engine's conflict arbiter asks it whose speaker a conflicting MAC is.

const MAC = { a: '02:00:00:00:0a:01', b: '02:00:00:00:0b:01', c: '02:00:00:00:0c:01', shared: '02:00:00:00:bc:01' };
const ADDR = { a: '127.0.0.1', b: '127.0.0.2', c: '127.0.0.3' };
const BFD_PORT = 20_000 + (process.pid % 10_000);
const STATUS_PORT = BFD_PORT + 1;
const runtimes: MembershipRuntime[] = [];

after(() => {
  for (const r of runtimes) r.close();
});

async function start(self: keyof typeof ADDR, macs: readonly string[]): Promise<MembershipRuntime> {
  const runtime = await MembershipRuntime.start({
    self,
    localAddress: ADDR[self],
    logger: createLogger({ format: 'text', level: 'error', write: () => undefined }),
    controlPlane: standaloneControlPlane,
    wireless: false,
    macs: () => macs,
    sendProbe: () => undefined,
    onChange: () => undefined,
    statusIntervalMs: 50,
    bfdPort: BFD_PORT,
    peerBfdPort: BFD_PORT,
    statusPort: STATUS_PORT,
    peerStatusPort: STATUS_PORT,
  });
  runtimes.push(runtime);
  await runtime.setNodes((Object.keys(ADDR) as (keyof typeof ADDR)[]).map((n) => internal(n, ADDR[n])));
  return runtime;
}

test('a MAC one peer published names that peer; a MAC two peers published, an unknown one and our own name nobody', { timeout: 20_000 }, async () => {
  const a = await start('a', [MAC.a]);
  await start('b', [MAC.b, MAC.shared]);
  await start('c', [MAC.c, MAC.shared]);
  await waitFor('a to learn both peers\' MACs', async () => (a.nodeOfMac(MAC.b) === 'b' && a.nodeOfMac(MAC.c) === 'c' ? true : undefined), 5_000);
  assert.equal(a.nodeOfMac(MAC.shared), null, 'published by b and c: not arbitrated');
  assert.equal(a.nodeOfMac('02:00:00:00:ee:01'), null, 'nobody published it');
  assert.equal(a.nodeOfMac(MAC.a), null, 'our own MAC is no peer\'s');
});
