import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectionFromKubeconfig, connectionInCluster, loadConnection } from '../../src/k8s/connection.js';
import { AirlbError } from '../../src/errors.js';

describe('API server connection for the speaker (kubeconfig and service account)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlb-conn-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the current context of a kubeconfig: server, inline CA, client certificate and key', () => {
    const file = join(dir, 'k3s.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: pi
contexts:
- name: other
  context: {cluster: nowhere, user: nobody}
- name: pi
  context: {cluster: k3s, user: admin}
clusters:
- name: k3s
  cluster:
    server: https://192.168.1.10:6443
    certificate-authority-data: ${Buffer.from('CA PEM').toString('base64')}
users:
- name: admin
  user:
    client-certificate-data: ${Buffer.from('CERT PEM').toString('base64')}
    client-key: key.pem
`,
    );
    writeFileSync(join(dir, 'key.pem'), 'KEY PEM');
    const c = connectionFromKubeconfig(file);
    assert.equal(c.server, 'https://192.168.1.10:6443');
    assert.equal(c.ca?.toString(), 'CA PEM');
    assert.equal(c.cert?.toString(), 'CERT PEM');
    assert.equal(c.key?.toString(), 'KEY PEM', 'a relative path is read from the kubeconfig folder');
    assert.equal(c.insecureSkipTlsVerify, false);
    assert.equal(c.token, null);
  });

  it('refuses exec plugins with a message that says what to use instead', () => {
    const file = join(dir, 'eks.yaml');
    writeFileSync(file, `current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://example:443"}}]
users: [{name: u, user: {exec: {command: aws}}}]
`);
    assert.throws(() => connectionFromKubeconfig(file), (e: unknown) => e instanceof AirlbError && e.code === 'unsupported-kubeconfig' && /token or client certificate/.test(e.message));
  });

  it('uses the pod service account: service host and port, mounted CA, token file', () => {
    writeFileSync(join(dir, 'ca.crt'), 'SA CA');
    writeFileSync(join(dir, 'token'), 'sa-token\n');
    const c = connectionInCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir);
    assert.equal(c.server, 'https://[fd00::1]:443');
    assert.equal(c.ca?.toString(), 'SA CA');
    assert.deepEqual(c.token, { file: join(dir, 'token') });
  });

  it('says to pass --kubeconfig when neither a file nor a pod environment is there', () => {
    assert.throws(() => loadConnection(null, {}), (e: unknown) => e instanceof AirlbError && e.code === 'no-kubeconfig' && /--kubeconfig FILE/.test(e.message));
  });
});
