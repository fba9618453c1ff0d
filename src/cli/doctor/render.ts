import type { CheckStatus } from '../../domain/doctor/checks.js';
import { questionText } from '../../domain/doctor/decision-tree.js';
import type { DoctorFacts } from '../../domain/doctor/facts.js';
import type { Diagnosis } from '../../domain/doctor/index.js';
import type { Cause } from '../../domain/doctor/verdict.js';

/** One line per cause: what it means, for people. */
export const causeText: Readonly<Record<Cause, string>> = {
  healthy: 'the VIP answers ARP from here with the elected node\'s MAC',
  'ap-arp-proxy': 'the access point does not pass ARP requests for the VIP to the node (proxy ARP / ARP suppression)',
  'ap-client-isolation': 'the access point keeps WiFi stations from reaching each other (client isolation)',
  'ap-garp-filter': 'the access point drops ARP that claims the VIP for a station\'s MAC (replies and gratuitous ARP)',
  'node-wifi-arp-offload': 'the node\'s WiFi firmware drops ARP requests for addresses not on the interface (Pi ARP offload)',
  'ip-conflict': 'another host on the LAN uses the VIP',
  'split-brain': 'more than one node answers for the VIP',
  'no-advertisement': 'no node announces the VIP (no advertisement for its pool, or no eligible node)',
  'pool-exhausted': 'the Service is pending: its pool has no free address',
  unknown: 'the facts collected do not single out a cause',
};

const mark: Readonly<Record<CheckStatus, string>> = { ok: 'ok     ', problem: 'PROBLEM', warning: 'warn   ', 'not-run': '-      ' };

/** Short, readable report: the checks that ran, the verdict with its evidence, the fix. */
export function renderHuman(d: Diagnosis, vip: string | null, notes: readonly string[]): string {
  const out: string[] = [`airlb doctor${vip === null ? '' : ` ${vip}`}`, ''];
  for (const c of d.checks) {
    if (c.status === 'not-run') continue;
    out.push(`  ${mark[c.status]}  ${c.title}: ${c.detail}`);
  }
  const skipped = d.checks.filter((c) => c.status === 'not-run').length;
  if (skipped > 0) out.push(`  (${skipped} check${skipped === 1 ? '' : 's'} not run; --json lists why)`);
  for (const note of notes) out.push(`  note: ${note}`);
  out.push('', `Verdict: ${d.verdict.cause} — ${causeText[d.verdict.cause]}`);
  for (const e of d.verdict.evidence) out.push(`  evidence: ${e}`);
  out.push('', `Fix: ${d.fix.title}`);
  d.fix.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  if (d.fix.question !== null) out.push(`  ? ${questionText[d.fix.question]}`);
  for (const c of d.fix.commands) out.push(`  $ ${c}`);
  if (d.fix.manifests !== null) out.push('', ...d.fix.manifests.trimEnd().split('\n').map((l) => `    ${l}`));
  return `${out.join('\n')}\n`;
}

/** The --json document (docs/doctor.md): stable field names, facts included for recording. */
export function renderJson(d: Diagnosis, facts: DoctorFacts, notes: readonly string[]): string {
  return `${JSON.stringify({ vip: facts.vip, verdict: d.verdict, checks: d.checks, fix: d.fix, notes, facts }, null, 2)}\n`;
}
