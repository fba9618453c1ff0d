import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { BgpSessionStatus } from '../../src/io/bgp-session.js';
import { registerBgpMetrics } from '../../src/metrics/bgp-metrics.js';

function session(address: string, state: BgpSessionStatus['state'], prefixesSent: number, updatesSent: number): BgpSessionStatus {
  return { peer: `p-${address}`, address, state, sinceMs: 0, uptimeMs: null, prefixesSent, prefixesUnsendable: 0, updatesSent, updateBytesSent: 0, lastError: null, negotiated: null };
}

describe('the BGP metrics', () => {
  it('report each peer by address with its session state, updates and announced prefixes as of the scrape', async () => {
    const registry = new Registry();
    let sessions = [session('192.0.2.1', 'Established', 3, 5), session('2001:db8::1', 'Active', 0, 0)];
    registerBgpMetrics(registry, { sessions: () => sessions });
    const text = await registry.metrics();
    assert.match(text, /^metallb_bgp_session_up\{peer="192\.0\.2\.1"\} 1$/m);
    assert.match(text, /^metallb_bgp_session_up\{peer="2001:db8::1"\} 0$/m);
    assert.match(text, /^metallb_bgp_updates_total\{peer="192\.0\.2\.1"\} 5$/m);
    assert.match(text, /^metallb_bgp_announced_prefixes_total\{peer="192\.0\.2\.1"\} 3$/m);
    // A withdrawal lowers the prefix count and a removed peer disappears rather than keeping its last value.
    sessions = [session('192.0.2.1', 'Established', 1, 6)];
    const after = await registry.metrics();
    assert.match(after, /^metallb_bgp_announced_prefixes_total\{peer="192\.0\.2\.1"\} 1$/m);
    assert.doesNotMatch(after, /2001:db8::1/);
  });
});
