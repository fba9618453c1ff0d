import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNetworkPrivileges } from '../support/root.js';
import { deleteNamespaces, kill, sleep, startFixture, twoNamespaces, uniquePrefix, waitFor, type Fixture } from './netns.js';

/**
 * Interop with BIRD 2's BFD (RFC 5880/5881) across a veth pair between two namespaces: BIRD in
 * one with a `protocol bfd` neighbor, airlb's UDP adapter (test/bfd/fixtures/bfd-peer.ts) in the
 * other. Proves both reach Up, and each side declares the other Down within the Detection Time
 * when the other process dies without a word (SIGKILL: no AdminDown is sent).
 */

const prefix = uniquePrefix();
const nsBird = `${prefix}b`;
const nsOurs = `${prefix}o`;
const vethBird = `${prefix}vb`;
const BIRD_ADDR = '192.0.2.1';
const OUR_ADDR = '192.0.2.2';
const INTERVAL_MS = 50;
const MULT = 3;
const ourArgs = ['--local', OUR_ADDR, '--peer', BIRD_ADDR, '--interval', String(INTERVAL_MS), '--mult', String(MULT)];

let dir = '';
let birdSocket = '';
let bird: ChildProcess | undefined;
let ours: Fixture | undefined;

/** BIRD's view of our session: the State column of `show bfd sessions`, or undefined. */
function birdState(): string | undefined {
  const r = spawnSync('ip', ['netns', 'exec', nsBird, 'birdc', '-s', birdSocket, 'show', 'bfd', 'sessions'], { encoding: 'utf8', timeout: 5000 });
  const line = r.stdout.split('\n').find((l) => l.trim().startsWith(OUR_ADDR));
  return line?.trim().split(/\s+/)[2];
}

async function bothUp(fixture: Fixture): Promise<void> {
  await waitFor('our session Up', () => fixture.states.some((e) => e.to === 'Up'), 15_000, 20);
  await waitFor('BIRD to show the session Up', () => birdState() === 'Up', 15_000, 50);
  // Let both Poll Sequences settle at the fast rate before measuring.
  await sleep(1500);
  assert.equal(birdState(), 'Up');
  assert.ok(!fixture.states.some((e) => e.to === 'Down'), 'no Down while the link is clean');
}

describe('BFD interop with BIRD 2 over a veth pair', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'bird', 'birdc']);
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    birdSocket = join(dir, 'bird.ctl');
    twoNamespaces({ ns: nsBird, dev: vethBird, addr: BIRD_ADDR }, { ns: nsOurs, dev: `${prefix}vo`, addr: OUR_ADDR });
    const config = join(dir, 'bird.conf');
    writeFileSync(
      config,
      [
        `router id ${BIRD_ADDR};`,
        'protocol device { }',
        'protocol bfd {',
        `  interface "${vethBird}" { min rx interval ${INTERVAL_MS} ms; min tx interval ${INTERVAL_MS} ms; idle tx interval 1000 ms; multiplier ${MULT}; };`,
        `  neighbor ${OUR_ADDR} dev "${vethBird}";`,
        '}',
        '',
      ].join('\n'),
    );
    // Root inside its own namespace: BIRD's BFD needs CAP_NET_ADMIN; -s and -P keep it off the system's paths.
    bird = spawn('ip', ['netns', 'exec', nsBird, 'bird', '-f', '-c', config, '-s', birdSocket, '-P', join(dir, 'bird.pid')], { stdio: 'inherit' });
  });

  after(async () => {
    await kill(ours?.child);
    await kill(bird);
    deleteNamespaces(nsBird, nsOurs);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('reaches Up on both sides, and BIRD declares us Down within the Detection Time when our process dies', async () => {
    ours = await startFixture(nsOurs, ourArgs);
    await bothUp(ours);
    const detectionMs = MULT * INTERVAL_MS;
    ours.child.kill('SIGKILL');
    const tookMs = await waitFor('BIRD to show the session Down', () => birdState() === 'Down', 5000, 2);
    console.log(`BIRD declared airlb Down ${tookMs} ms after SIGKILL (detection time ${detectionMs} ms, polled with birdc)`);
    await kill(ours.child);
    // birdc itself takes a few ms per poll; the assertion allows for that and nothing more.
    assert.ok(tookMs <= detectionMs + 50, `BIRD took ${tookMs} ms > ${detectionMs} ms + 50 ms polling slack`);
  });

  it('tells BIRD with AdminDown when our process shuts down cleanly, so BIRD goes Down before any timer', async () => {
    ours = await startFixture(nsOurs, ourArgs);
    await bothUp(ours);
    ours.child.kill('SIGTERM');
    const tookMs = await waitFor('BIRD to show the session Down', () => birdState() === 'Down', 5000, 2);
    console.log(`BIRD declared airlb Down ${tookMs} ms after SIGTERM (AdminDown)`);
    await waitFor('our fixture to exit on its own', () => ours!.child.exitCode !== null || ours!.child.signalCode !== null, 5000, 20);
    assert.equal(ours.child.exitCode, 0, 'the fixture closed its sockets and exited');
    // A timeout cannot fire before 100 ms (150 ms detection less one 50 ms interval); AdminDown can.
    assert.ok(tookMs < (MULT * INTERVAL_MS) / 2, `BIRD took ${tookMs} ms: it timed out instead of hearing AdminDown`);
  });

  it('comes back Up, and declares BIRD Down within its Detection Time when BIRD dies', async () => {
    ours = await startFixture(nsOurs, ourArgs);
    await bothUp(ours);
    const killedAt = Date.now();
    bird!.kill('SIGKILL');
    await waitFor('our session Down', () => ours!.states.some((e) => e.to === 'Down'), 5000, 2);
    const down = ours.states.find((e) => e.to === 'Down')!;
    const tookMs = down.wallMs - killedAt;
    console.log(`airlb declared BIRD Down ${tookMs} ms after SIGKILL (detection time ${down.detectionTimeMs} ms, diag ${down.diag})`);
    assert.equal(down.diag, 1, 'Control Detection Time Expired');
    assert.equal(down.detectionTimeMs, MULT * INTERVAL_MS, 'the agreed 50 ms interval was in force');
    assert.ok(tookMs <= down.detectionTimeMs + 20, `took ${tookMs} ms, detection time ${down.detectionTimeMs} ms`);
  });
});
