import { runChecks, type CheckResult } from './checks.js';
import type { DoctorFacts } from './facts.js';
import { chooseFix, type Fix, type FixContext } from './fixes.js';
import type { TreeAnswers } from './decision-tree.js';
import { decideVerdict, type Verdict } from './verdict.js';

export interface Diagnosis {
  readonly verdict: Verdict;
  readonly checks: readonly CheckResult[];
  readonly fix: Fix;
}

/** The whole diagnosis from collected facts: checks, the verdict naming the cause, and the fix. */
export function diagnose(facts: DoctorFacts, answers: TreeAnswers, ctx: FixContext): Diagnosis {
  const checks = runChecks(facts);
  const verdict = decideVerdict(facts, checks);
  return { verdict, checks, fix: chooseFix(verdict.cause, facts, answers, ctx) };
}
