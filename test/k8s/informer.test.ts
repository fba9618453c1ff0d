import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/io/system-clock.js';
import { Informer, type InformerEvent } from '../../src/k8s/informer.js';
import { metaOf } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { FakeApiServer } from './fake-apiserver.js';
import { memoryLogger, service, TRANSPORTS, waitFor } from './helpers.js';

for (const transport of TRANSPORTS) describe(`Informer over ${transport.name} (list + watch against the test API server)`, () => {
  let server: FakeApiServer;
  let informer: Informer | null = null;
  before(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 30 });
  });
  afterEach(() => informer?.stop());
  after(() => server.close());

  function start(labelSelector: string | null = null): { informer: Informer; events: string[] } {
    const events: string[] = [];
    informer = new Informer({
      transport: transport.make(server),
      type: RESOURCES.service,
      labelSelector,
      clock: systemClock,
      logger: memoryLogger().logger,
      backoff: { initialMs: 20, maxMs: 80 },
    });
    informer.onEvent((e: InformerEvent) => events.push(`${e.type} ${metaOf(e.object).name}`));
    informer.start();
    return { informer, events };
  }

  it('lists what exists, then applies created, updated and deleted objects from the watch', async () => {
    server.put(RESOURCES.service, service('default', 'a'));
    const { informer, events } = start();
    await informer.synced;
    assert.deepEqual(events, ['add a']);
    server.put(RESOURCES.service, service('default', 'b'));
    server.put(RESOURCES.service, service('default', 'a', { labels: { changed: 'yes' } }));
    server.remove(RESOURCES.service, 'default', 'b');
    await waitFor('three watch events', () => events.length === 4);
    assert.deepEqual(events, ['add a', 'add b', 'update a', 'delete b']);
    assert.deepEqual(informer.list().map((o) => metaOf(o).name), ['a']);
    assert.equal(metaOf(informer.get('default/a')!).labels['changed'], 'yes');
    assert.equal(server.count('list', 'services'), 1);
  });

  it('resumes a dropped watch from its resourceVersion without listing again', async () => {
    const { informer, events } = start();
    await informer.synced;
    const lists = server.count('list', 'services');
    server.dropWatches();
    server.put(RESOURCES.service, service('default', 'c'));
    await waitFor('the change made while the watch was down', () => events.includes('add c'));
    assert.equal(server.count('list', 'services'), lists);
    server.remove(RESOURCES.service, 'default', 'c');
  });

  it('lists again after 410 Gone and reports what changed meanwhile, deletions included', async () => {
    const { informer, events } = start();
    await informer.synced;
    server.setAvailable(false); // the informer sees none of the next changes as they happen
    server.remove(RESOURCES.service, 'default', 'a');
    server.put(RESOURCES.service, service('default', 'd'));
    const lists = server.count('list', 'services');
    server.compact();
    server.setAvailable(true);
    await waitFor('the re-list to report the deletion and the addition', () => events.includes('delete a') && events.includes('add d'));
    assert.ok(server.count('list', 'services') > lists);
    assert.deepEqual(informer.list().map((o) => metaOf(o).name), ['d']);
  });

  it('advances its resourceVersion on bookmarks, so a compaction after a quiet period needs no re-list', async () => {
    const { informer } = start();
    await informer.synced;
    // Changes to another kind move the server's resourceVersion; only bookmarks tell the informer.
    for (let i = 0; i < 5; i++) server.put(RESOURCES.node, { metadata: { name: `n${i}` } });
    const lists = server.count('list', 'services');
    const watches = server.count('watch', 'services');
    await new Promise((r) => setTimeout(r, 120)); // several bookmark intervals
    server.compact();
    server.dropWatches();
    await waitFor('a new watch', () => server.count('watch', 'services') > watches);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.count('list', 'services'), lists);
  });

  it('keeps its cache while the API server is down, backs off, and catches up when it returns', async () => {
    const { informer, events } = start();
    await informer.synced;
    server.setAvailable(false);
    await waitFor('the informer to notice the outage', () => !informer.isConnected);
    const before = server.requests.get('list services') ?? 0;
    await new Promise((r) => setTimeout(r, 300));
    // 300 ms at 20, 40, 80, 80... ms: a handful of retries, not a tight loop.
    const retries = (server.requests.get('list services') ?? 0) - before;
    assert.ok(retries <= 8, `retried ${retries} times in 300 ms`);
    assert.deepEqual(informer.list().map((o) => metaOf(o).name), ['d']);
    server.setAvailable(true);
    server.put(RESOURCES.service, service('default', 'e'));
    await waitFor('the change made after the outage', () => events.includes('add e'));
    assert.ok(informer.isConnected);
  });

  it('sees only objects matching its label selector, and an object leaving the selector as deleted', async () => {
    server.put(RESOURCES.service, service('default', 'sel', { labels: { team: 'x' } }));
    const { informer, events } = start('team=x');
    await informer.synced;
    assert.deepEqual(informer.list().map((o) => metaOf(o).name), ['sel']);
    server.put(RESOURCES.service, service('default', 'sel', { labels: { team: 'y' } }));
    await waitFor('the object to leave the selection', () => events.includes('delete sel'));
    assert.equal(informer.list().length, 0);
  });
});
