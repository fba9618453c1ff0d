import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireNetworkPrivileges } from '../support/root.js';

/**
 * The addon's TCP MD5 (RFC 2385) and TTL helpers, exercised by test/io/fixtures/md5-tcp.ts on the
 * loopback of a namespace this test creates.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NS = `alb${randomBytes(2).toString('hex')}md5`;

describe('TCP MD5 signatures and minimum TTL from the native addon', () => {
  before(() => {
    requireNetworkPrivileges(['ip']);
    assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0, 'ip netns add failed');
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status, 0, 'lo up failed');
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('lets only correctly signed connections in, and only TTL-255 ones past IP_MINTTL 255', () => {
    const run = spawnSync('ip', ['netns', 'exec', NS, process.execPath, '--import', 'tsx', 'test/io/fixtures/md5-tcp.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      md5RightKey: true,
      md5RightKeyIpv6: true,
      md5WrongKey: false,
      md5Unsigned: false,
      gtsmDefaultTtl: false,
      gtsmTtl255: true,
    });
  });
});
