import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { requireNetworkPrivileges } from '../support/root.js';
import { run, uniquePrefix } from './lab.js';

/**
 * Connection collision (RFC 4271 §6.8) through real sockets: test/bgp/fixtures/collision.ts runs
 * a BgpSession and a fake peer that connect to each other at the same time, on the loopback of a
 * namespace created here (so no traffic touches the host's interfaces).
 */

const ns = `${uniquePrefix()}c`;
const root = new URL('../..', import.meta.url).pathname;

function collide(peerId: number): { outgoing: string[]; incoming: string[]; state: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/bgp/fixtures/collision.ts', String(peerId)], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `collision fixture failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { outgoing: string[]; incoming: string[]; state: string };
}

describe('BGP connection collision over real sockets (RFC 4271 §6.8)', () => {
  before(() => {
    requireNetworkPrivileges(['ip']);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it('keeps the peer-initiated connection and closes ours with Cease 7 when the peer has the higher identifier', () => {
    const r = collide(0x0a000009);
    assert.deepEqual(r.outgoing, ['open', 'notification 6/7', 'closed']);
    assert.deepEqual(r.incoming.slice(0, 2), ['open', 'keepalive']);
    assert.equal(r.state, 'Established');
  });

  it('keeps our connection and closes the peer-initiated one with Cease 7 when ours is the higher identifier', () => {
    const r = collide(0x0a000001);
    assert.deepEqual(r.incoming, ['open', 'notification 6/7', 'closed']);
    assert.deepEqual(r.outgoing.slice(0, 2), ['open', 'keepalive']);
    assert.equal(r.state, 'Established');
  });
});
