import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * Network tests need root (CAP_NET_ADMIN, CAP_NET_RAW) and the tools .ci/run installs. They never
 * skip: when a prerequisite is missing they fail with the reason, so a green run means they ran.
 */
export function requireNetworkPrivileges(tools: readonly string[] = ['ip', 'nft']): void {
  assert.equal(
    process.getuid?.(),
    0,
    'this test needs root (CAP_NET_ADMIN/CAP_NET_RAW) to create network namespaces; run it as root (CI runs .ci/run as root)',
  );
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    assert.equal(found.status, 0, `this test needs '${tool}' on PATH; .ci/run installs it (apt-get)`);
  }
}
