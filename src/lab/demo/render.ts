import type { DemoResult } from './run.js';
import { stepSpecs, type DemoStep } from './steps.js';

/**
 * The demo's output. For people: per step a "✓"/"✗" line saying what it shows and whether the VIP
 * answered, and one indented line of evidence. For machines (--json): one JSON object per step.
 */

export function renderStepJson(step: DemoStep): string {
  return `${JSON.stringify(step)}\n`;
}

export function renderStepText(step: DemoStep, index: number, total: number): string {
  const mark = step.ok ? '✓' : '✗';
  const outcome = `VIP ${step.vipReachable ? 'reachable' : 'unreachable'}${step.ok ? '' : ` (expected ${step.expectReachable ? 'reachable' : 'unreachable'})`}`;
  const note = typeof step.evidence['note'] === 'string' ? `\n      note: ${step.evidence['note']}` : '';
  return `${mark} ${index}/${total} ${step.title} → ${outcome}  [${step.seconds.toFixed(1)} s]\n      ${step.summary}${note}\n`;
}

export function renderSummaryText(result: DemoResult, prefix: string): string {
  const passed = result.steps.filter((s) => s.ok).length;
  const verdict = result.ok ? 'every step behaved as the field guide (and a real Pi) says' : 'some steps did not behave as expected';
  const after = result.kept
    ? `lab '${prefix}' kept, airlb and the web servers still running (files and logs in ${result.workDir}); remove it with 'airlb lab down --prefix ${prefix}'`
    : `lab '${prefix}' removed${result.workDir === null ? '' : `; manifests and logs kept in ${result.workDir}`}`;
  return `${passed}/${stepSpecs.length} steps as expected in ${result.seconds.toFixed(1)} s: ${verdict}.\n${after}\n`;
}
