import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { RESOURCES } from '../../src/k8s/resources.js';
import { FakeApiServer, mergePatch, parseLabelSelector } from './fake-apiserver.js';
import { service, waitFor } from './helpers.js';

const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('the test API server, driven by the official client', () => {
  let server: FakeApiServer;
  let core: CoreV1Api;
  before(async () => {
    server = await FakeApiServer.start({ bookmarkMs: 50 });
    core = server.kubeConfig().makeApiClient(CoreV1Api);
  });
  after(() => server.close());

  it('creates a Service, refuses a second one of the same name with 409, and lists by label selector', async () => {
    await core.createNamespacedService({ namespace: 'default', body: service('default', 'web', { labels: { tier: 'front' } }) });
    await core.createNamespacedService({ namespace: 'default', body: service('default', 'db', { labels: { tier: 'back' } }) });
    await assert.rejects(core.createNamespacedService({ namespace: 'default', body: service('default', 'web') }), (e: { code?: number }) => e.code === 409);
    const front = await core.listServiceForAllNamespaces({ labelSelector: 'tier=front' });
    assert.deepEqual(front.items.map((s) => s.metadata?.name), ['web']);
    const notFront = await core.listNamespacedService({ namespace: 'default', labelSelector: 'tier notin (front)' });
    assert.deepEqual(notFront.items.map((s) => s.metadata?.name), ['db']);
  });

  it('merge-patches the status subresource and ignores status written through the object itself', async () => {
    const patched = await core.patchNamespacedServiceStatus(
      { name: 'web', namespace: 'default', body: { status: { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } } } },
      mergePatchOptions,
    );
    assert.equal(patched.status?.loadBalancer?.ingress?.[0]?.ip, '192.168.1.240');
    const viaObject = await core.patchNamespacedService(
      { name: 'web', namespace: 'default', body: { metadata: { annotations: { a: 'b' } }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } } },
      mergePatchOptions,
    );
    assert.equal(viaObject.metadata?.annotations?.['a'], 'b');
    assert.equal(viaObject.status?.loadBalancer?.ingress?.[0]?.ip, '192.168.1.240');
  });

  it('answers 409 Conflict to an update carrying a stale resourceVersion, and 415 to a JSON Patch', async () => {
    const current = await core.readNamespacedService({ name: 'db', namespace: 'default' });
    await core.patchNamespacedService({ name: 'db', namespace: 'default', body: { metadata: { labels: { x: '1' } } } }, mergePatchOptions);
    await assert.rejects(core.replaceNamespacedService({ name: 'db', namespace: 'default', body: current }), (e: { code?: number }) => e.code === 409);
    await assert.rejects(
      core.patchNamespacedService({ name: 'db', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels/y', value: '2' }] }),
      (e: { code?: number }) => e.code === 415,
    );
  });

  it('streams watch events from a resourceVersion, with bookmarks, and a 410 ERROR event for a compacted version', async () => {
    const start = server.resourceVersion;
    const seen: string[] = [];
    const watch = new Watch(server.kubeConfig());
    const controller = await watch.watch('/api/v1/services', { resourceVersion: start, allowWatchBookmarks: true }, (type, obj: { metadata?: { name?: string } }) => seen.push(`${type} ${obj.metadata?.name ?? ''}`), () => undefined);
    await core.deleteNamespacedService({ name: 'db', namespace: 'default' });
    await waitFor('a DELETED event and a bookmark', () => seen.includes('DELETED db') && seen.includes('BOOKMARK '));
    controller.abort();

    server.compact();
    const errors: number[] = [];
    let ended = false;
    await watch.watch('/api/v1/services', { resourceVersion: start }, (type, obj: { code?: number }) => type === 'ERROR' && errors.push(obj.code ?? 0), () => (ended = true));
    await waitFor('the expired watch to end', () => ended);
    assert.deepEqual(errors, [410]);
  });

  it('answers 503 to everything while unavailable', async () => {
    server.setAvailable(false);
    await assert.rejects(core.listNode(), (e: { code?: number }) => e.code === 503);
    server.setAvailable(true);
    assert.deepEqual((await core.listNode()).items, []);
  });

  it('parses equality and set-based label selectors and applies RFC 7386 merge patches', () => {
    assert.deepEqual(parseLabelSelector('a=1,b!=2,c in (x, y),!d,e'), {
      matchLabels: { a: '1' },
      matchExpressions: [
        { key: 'b', operator: 'NotIn', values: ['2'] },
        { key: 'c', operator: 'In', values: ['x', 'y'] },
        { key: 'd', operator: 'DoesNotExist', values: [] },
        { key: 'e', operator: 'Exists', values: [] },
      ],
    });
    // RFC 7386 §3 example (abridged): null removes, objects merge, arrays replace.
    assert.deepEqual(mergePatch({ a: 'b', c: { d: 'e', f: 'g' }, t: [1] }, { a: 'z', c: { f: null }, t: [2] }), { a: 'z', c: { d: 'e' }, t: [2] });
    assert.equal(server.get(RESOURCES.service, 'default', 'db'), null);
  });
});
