import { Gauge, type Registry } from 'prom-client';
import type { BgpSessionStatus } from '../io/bgp-session.js';

/** What the BGP metrics read at scrape time: the speaker's sessions (BgpSpeaker.status()). */
export interface BgpMetricsSource {
  sessions(): readonly BgpSessionStatus[];
}

/**
 * MetalLB's BGP series, read from the sessions when Prometheus scrapes so nothing is counted
 * twice. The `peer` label is the peer's address, as MetalLB labels it. The two *_total series are
 * gauges although MetalLB names them like counters: announced prefixes go down on withdrawal, and
 * a restarted session starts its update count from zero again.
 */
export function registerBgpMetrics(registry: Registry, source: BgpMetricsSource): void {
  const registers = [registry];
  const perPeer = (name: string, help: string, read: (s: BgpSessionStatus) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const s of source.sessions()) this.set({ peer: s.address }, read(s));
      },
    });
  };
  perPeer('metallb_bgp_session_up', 'BGP session state (1 while Established, 0 otherwise)', (s) => (s.state === 'Established' ? 1 : 0));
  perPeer('metallb_bgp_updates_total', 'BGP UPDATE messages sent on the current session', (s) => s.updatesSent);
  perPeer('metallb_bgp_announced_prefixes_total', 'Prefixes currently advertised on the BGP session', (s) => s.prefixesSent);
  perPeer('airlb_bgp_unsendable_prefixes', 'Wanted prefixes the session cannot carry (family not negotiated, or no next hop)', (s) => s.prefixesUnsendable);
}
