import type { Cause, Measurement } from './measure.js';

/**
 * The demo's steps as data: what each shows, what the field guide (and a real Pi) says the client
 * should see, and the one-line evidence a person reads. The runner (run.ts) measures; this file
 * only describes and judges.
 */

export type DemoFix = 'static-arp' | 'wired-node' | 'ap-proxy-arp-off' | 'bgp' | 'airlb-wifi';

export type StepName =
  | 'lab-up'
  | 'metallb-l2-on-wifi'
  | 'static-arp'
  | 'wired-node'
  | 'ap-proxy-arp-off'
  | 'airlb-wifi-promiscuous'
  | 'airlb-wifi-wired-preference'
  | 'bgp';

/** One line of `airlb lab demo --json`. */
export interface DemoStep {
  readonly step: StepName;
  readonly fix: DemoFix | null;
  readonly vipReachable: boolean;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** What the step is expected to show (the field guide, corrected for the Pi firmware filter). */
  readonly expectReachable: boolean;
  /** The step behaved as expected. */
  readonly ok: boolean;
  /** What the step shows, for people. */
  readonly title: string;
  /** The evidence in one short line, for people. */
  readonly summary: string;
  readonly seconds: number;
}

export interface StepSpec {
  readonly step: StepName;
  readonly fix: DemoFix | null;
  readonly title: string;
  readonly expectReachable: boolean;
  /** Why the expectation is what it is, when that is not obvious from the field guide. */
  readonly why?: string;
}

export const stepSpecs: readonly StepSpec[] = [
  { step: 'lab-up', fix: null, title: 'lab up, nothing announces the VIP', expectReachable: false },
  { step: 'metallb-l2-on-wifi', fix: null, title: "the field guide's pool, MetalLB's plain L2: a WiFi Pi announces", expectReachable: false },
  { step: 'static-arp', fix: 'static-arp', title: 'fix 1, static ARP entry on the client', expectReachable: true },
  { step: 'wired-node', fix: 'wired-node', title: "fix 2, wired node: the field guide's nodeSelectors + network=ethernet", expectReachable: true },
  {
    step: 'ap-proxy-arp-off',
    fix: 'ap-proxy-arp-off',
    title: 'fix 3, AP proxy ARP off, the WiFi Pi announces',
    expectReachable: false,
    why: "the field guide expects reachable; a Pi's WiFi firmware still drops ARP requests for IPs not on wlan0 unless it is promiscuous (the next step)",
  },
  { step: 'airlb-wifi-promiscuous', fix: 'airlb-wifi', title: "airlb's WiFi handling: promiscuous mode lifts the Pi's firmware ARP filter", expectReachable: true },
  { step: 'airlb-wifi-wired-preference', fix: 'airlb-wifi', title: "airlb's WiFi handling: AP back to defaults, no nodeSelectors, airlb elects the wired node", expectReachable: true },
  {
    step: 'bgp',
    fix: 'bgp',
    title: "fix 4, BGP mode: the field guide's BGPPeer, BIRD on the router",
    expectReachable: true,
    why: "the field guide's pool is inside the LAN: a LAN client ARPs for the VIP and in BGP mode nobody answers; the client's route via the router stands in for a pool outside the LAN",
  },
];

export function stepSpec(name: StepName): StepSpec {
  return stepSpecs.find((s) => s.step === name)!;
}

const causeWords: Readonly<Record<Cause, string>> = {
  'ap-arp-proxy': 'AP proxy ARP',
  'node-wifi-arp-offload': "the Pi's firmware ARP filter",
  'ap-garp-filter': "the AP's ARP filter (drops replies claiming the VIP)",
};

/** The evidence of a measurement in one line: who announces, what answered, where the ARP requests went, why. */
export function summarise(m: Measurement): string {
  const parts: string[] = [];
  if (m.announcer !== null) parts.push(`${m.announcer} (${m.announcerLink === 'wifi' ? 'WiFi' : 'wired'}) announces`);
  parts.push(m.http.answered ? `HTTP: served by ${m.http.servedBy ?? '?'} in ${m.http.ms} ms` : `HTTP: ${m.http.error ?? 'no answer'} after ${(m.http.ms / 1000).toFixed(1)} s`);
  const vipArp = `arping VIP: ${m.arping.replies > 0 ? 'answered' : 'no reply'}`;
  parts.push(m.nodeIp === null ? vipArp : `${vipArp}, ${m.announcer}'s own IP: ${m.nodeIp.replies > 0 ? 'answered' : 'no reply'}`);
  if (m.requests.reachedAnnouncer !== null) parts.push(`ARP requests: ${m.requests.sentByClient} sent, ${m.requests.reachedAnnouncer} reached ${m.announcer}`);
  if (m.responsible.length > 0) parts.push(`cause: ${m.responsible.map((c) => causeWords[c]).join(' + ')}`);
  return parts.join(' | ');
}

export function judge(spec: StepSpec, vipReachable: boolean): boolean {
  return vipReachable === spec.expectReachable;
}
