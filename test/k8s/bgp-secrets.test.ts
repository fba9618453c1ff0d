import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicAuthPasswords } from '../../src/k8s/bgp-secrets.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe("the BGPPeers' passwordSecret keys", () => {
  it('reads the decoded password of basic-auth Secrets only, by Secret name', () => {
    const keys = basicAuthPasswords([
      { metadata: { name: 'bgp-auth', namespace: 'metallb-system' }, type: 'kubernetes.io/basic-auth', data: { username: b64('x'), password: b64('s3cr€t') } },
      // MetalLB refuses other types: an Opaque Secret's "password" is never sent to a router.
      { metadata: { name: 'opaque', namespace: 'metallb-system' }, type: 'Opaque', data: { password: b64('nope') } },
      { metadata: { name: 'no-key', namespace: 'metallb-system' }, type: 'kubernetes.io/basic-auth', data: { username: b64('x') } },
    ]);
    assert.deepEqual([...keys], [['bgp-auth', 's3cr€t']]);
  });
});
