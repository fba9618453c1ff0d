import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { statusOf } from '../../src/k8s/api-error.js';
import { HttpTransport } from '../../src/k8s/http-transport.js';
import { RESOURCES, collectionPath, objectPath } from '../../src/k8s/resources.js';
import { ManualClock } from '../support/manual-clock.js';
import { FakeApiServer } from './fake-apiserver.js';
import { service } from './helpers.js';

describe('HttpTransport (the speaker’s client) against the test API server', () => {
  let server: FakeApiServer;
  let dir: string;
  before(async () => {
    server = await FakeApiServer.start();
    dir = mkdtempSync(join(tmpdir(), 'airlb-http-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the service account token from its file, and reads the file again after a minute (rotation)', async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'first\n');
    const clock = new ManualClock();
    const t = new HttpTransport({ ...server.connection(), token: { file: token } }, clock);
    await t.list(collectionPath(RESOURCES.node), null);
    writeFileSync(token, 'second\n');
    await t.list(collectionPath(RESOURCES.node), null);
    assert.ok(!server.authorizations.has('Bearer second'), 'the token is cached within the minute');
    clock.advance(61_000);
    await t.list(collectionPath(RESOURCES.node), null);
    assert.ok(server.authorizations.has('Bearer first') && server.authorizations.has('Bearer second'));
  });

  it('creates, merge-patches and deletes, and reports a 409 and a 404 with their status', async () => {
    const t = new HttpTransport(server.connection(), new ManualClock());
    const created = await t.send('POST', collectionPath(RESOURCES.service, 'default'), service('default', 'web'));
    assert.equal((created['metadata'] as { name: string }).name, 'web');
    await assert.rejects(t.send('POST', collectionPath(RESOURCES.service, 'default'), service('default', 'web')), (e: unknown) => statusOf(e) === 409);
    const patched = await t.send('PATCH', objectPath(RESOURCES.service, 'default', 'web'), { metadata: { labels: { a: 'b' } } });
    assert.deepEqual((patched['metadata'] as { labels: unknown }).labels, { a: 'b' });
    await t.send('DELETE', objectPath(RESOURCES.service, 'default', 'web'), null);
    await assert.rejects(t.send('DELETE', objectPath(RESOURCES.service, 'default', 'web'), null), (e: unknown) => statusOf(e) === 404);
  });

  it('reports an unreachable server as status 0', async () => {
    const t = new HttpTransport({ ...server.connection(), server: 'http://127.0.0.1:1' }, new ManualClock());
    await assert.rejects(t.list('/api/v1/nodes', null), (e: unknown) => statusOf(e) === 0);
  });
});
