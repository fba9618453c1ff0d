/**
 * Counts of decisions by reason, as a plain object the metrics adapter can export as-is (one
 * series per reason). Every reason starts at zero so a scrape shows the whole set, not only the
 * reasons that happened to occur (Prometheus: a series that appears late breaks rate()).
 */
export type ReasonCounts<R extends string> = Record<R, number>;

export function emptyReasonCounts<R extends string>(reasons: readonly R[]): ReasonCounts<R> {
  const counts = {} as ReasonCounts<R>;
  for (const reason of reasons) counts[reason] = 0;
  return counts;
}

/** Adds one decision to the counts; returns the same decision so a caller can count inline. */
export function countReason<R extends string, D extends { readonly reason: R }>(counts: ReasonCounts<R>, decision: D): D {
  counts[decision.reason] += 1;
  return decision;
}
