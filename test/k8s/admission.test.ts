import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reviewAdmission, type ConfigObject } from '../../src/k8s/admission.js';
import type { JsonObject } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { startWebhookServer } from '../../src/k8s/webhook-server.js';
import { repoRoot, runCli } from '../support/cli.js';
import { memoryLogger } from './helpers.js';

const pool = (name: string, addresses: string[], extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: { name, namespace: 'metallb-system' },
  spec: { addresses, ...extra },
});

function review(operation: string, object: JsonObject, kind = 'IPAddressPool'): JsonObject {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', kind: { group: 'metallb.io', version: 'v1beta1', kind }, operation, namespace: 'metallb-system', object } };
}

const response = (r: JsonObject): JsonObject => r['response'] as JsonObject;

describe('validating admission for metallb.io objects', () => {
  const stored: ConfigObject[] = [{ type: RESOURCES.ipAddressPool, obj: pool('home', ['192.168.1.240/29']) }];

  it('refuses a pool overlapping a stored one, naming the object and the field', () => {
    const r = response(reviewAdmission(review('CREATE', pool('clash', ['192.168.1.244-192.168.1.250'])), stored));
    assert.equal(r['uid'], 'u-1');
    assert.equal(r['allowed'], false);
    const status = r['status'] as JsonObject;
    assert.equal(status['code'], 422);
    assert.match(String(status['message']), /IPAddressPool\/(clash|home): spec\.addresses/);
  });

  it('refuses a misspelt field and admits a sound pool', () => {
    assert.equal(response(reviewAdmission(review('CREATE', pool('typo', ['10.0.0.0/24'], { autoAsign: false })), stored))['allowed'], false);
    assert.deepEqual(response(reviewAdmission(review('CREATE', pool('lab', ['10.0.0.0/24'])), stored)), { uid: 'u-1', allowed: true });
  });

  it('judges an update against the other objects, not the version it replaces', () => {
    assert.equal(response(reviewAdmission(review('UPDATE', pool('home', ['192.168.1.240/28'])), stored))['allowed'], true);
  });

  it('does not block a sound change because of a problem already stored elsewhere, and lets deletes and other kinds pass', () => {
    const broken: ConfigObject[] = [...stored, { type: RESOURCES.l2Advertisement, obj: { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2', namespace: 'metallb-system' }, spec: { ipAddressPools: ['missing'] } } }];
    assert.equal(response(reviewAdmission(review('CREATE', pool('lab', ['10.0.0.0/24'])), broken))['allowed'], true);
    assert.equal(response(reviewAdmission(review('DELETE', pool('home', ['192.168.1.240/29'])), stored))['allowed'], true);
    assert.equal(response(reviewAdmission({ request: { uid: 'u-2', kind: { group: '', version: 'v1', kind: 'Service' }, operation: 'CREATE', object: {} } }, stored))['allowed'], true);
  });
});

describe('admission warnings (MetalLB fields airlb accepts but does not honour)', () => {
  const UNNUMBERED =
    'BGPPeer/r: spec.interface: unnumbered peering (interface "eth1") is not supported yet: airlb cannot open a session with this peer, so nothing is announced to it; set peerAddress to the router\'s address on that link instead';
  const unnumbered = (name = 'r', extra: JsonObject = {}): JsonObject => ({
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: { name, namespace: 'metallb-system' },
    spec: { myASN: 64500, peerASN: 64501, interface: 'eth1', ...extra },
  });
  const stored: ConfigObject[] = [{ type: RESOURCES.ipAddressPool, obj: pool('home', ['192.168.1.240/29']) }];

  it('admits the object and returns its warnings as response.warnings, one string per warning, on create and on every update', () => {
    for (const op of ['CREATE', 'UPDATE']) {
      const r = response(reviewAdmission(review(op, unnumbered(), 'BGPPeer'), [...stored, { type: RESOURCES.bgpPeer, obj: unnumbered() }]));
      assert.deepEqual(r, { uid: 'u-1', allowed: true, warnings: [UNNUMBERED] }, op);
    }
  });

  it('returns the warnings of a refused object next to the refusal', () => {
    const r = response(reviewAdmission(review('CREATE', unnumbered('r', { holdTime: '1s' }), 'BGPPeer'), stored));
    assert.equal(r['allowed'], false);
    assert.match(String((r['status'] as JsonObject)['message']), /BGPPeer\/r: spec\.holdTime/);
    assert.deepEqual(r['warnings'], [UNNUMBERED]);
  });

  it('does not repeat the warnings of other stored objects on an unrelated change, and serviceSelectors (honoured) warn nowhere', () => {
    const withPeer: ConfigObject[] = [...stored, { type: RESOURCES.bgpPeer, obj: unnumbered() }];
    assert.deepEqual(response(reviewAdmission(review('CREATE', pool('lab', ['10.0.0.0/24'])), withPeer)), { uid: 'u-1', allowed: true });
    const l2 = { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2', namespace: 'metallb-system' }, spec: { serviceSelectors: [{ matchLabels: { expose: 'lan' } }] } };
    assert.deepEqual(response(reviewAdmission(review('CREATE', l2, 'L2Advertisement'), stored)), { uid: 'u-1', allowed: true });
  });
});

describe('the webhook server (HTTPS)', () => {
  // A self-signed test certificate for 127.0.0.1 (P-256, valid until 2126), made once with openssl.
  const dir = join(repoRoot, 'test/k8s/fixtures');

  const post = (port: number, body: JsonObject): Promise<JsonObject> =>
    new Promise<JsonObject>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/validate-metallb', method: 'POST', ca: readFileSync(join(dir, 'webhook-tls.crt')), headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(JSON.parse(text) as JsonObject));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  it('answers an AdmissionReview posted to /validate-metallb over TLS, warnings included', async () => {
    const server = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: join(dir, 'webhook-tls.crt'),
      keyFile: join(dir, 'webhook-tls.key'),
      current: () => [{ type: RESOURCES.ipAddressPool, obj: pool('home', ['192.168.1.240/29']) }],
      logger: memoryLogger().logger,
    });
    try {
      const answer = await post(server.port, review('CREATE', pool('clash', ['192.168.1.240/32'])));
      assert.equal(answer['kind'], 'AdmissionReview');
      assert.equal(response(answer)['allowed'], false);
      const peer = { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'r', namespace: 'metallb-system' }, spec: { myASN: 64500, peerASN: 64501, interface: 'eth1' } };
      const warned = response(await post(server.port, review('CREATE', peer, 'BGPPeer')));
      assert.equal(warned['allowed'], true);
      assert.match(String((warned['warnings'] as string[])[0]), /^BGPPeer\/r: spec\.interface: unnumbered peering/);
    } finally {
      await server.close();
    }
  });

  it('is refused by the command line without its certificate and key', async () => {
    const r = await runCli(['controller', '--webhook-bind', ':9443']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--webhook-bind, --webhook-cert and --webhook-key go together/);
  });
});
