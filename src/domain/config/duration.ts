/**
 * Go duration strings (time.ParseDuration, which metav1.Duration uses): an optional sign, then
 * one or more "<decimal><unit>" terms such as "1m30s" or "1.5h"; the bare string "0" is allowed.
 * Kubernetes manifests carry holdTime/keepaliveTime/connectTime in this form.
 */
const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 MICRO SIGN
  'μs': 1e-3, // U+03BC GREEK SMALL LETTER MU
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const term = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** The duration in milliseconds (fractions kept: "1500us" is 1.5), or null if not Go syntax. */
export function parseGoDuration(text: string): number | null {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  term.lastIndex = 0;
  while (term.lastIndex < rest.length) {
    const match = term.exec(rest);
    if (match === null) return null;
    total += Number(match[1]) * unitMs[match[2]!]!;
  }
  // Go's integer-nanosecond arithmetic: round to whole nanoseconds so "0.1s" is exactly 100.
  return (sign * Math.round(total * 1e6)) / 1e6;
}

export function isGoDuration(text: string): boolean {
  return parseGoDuration(text) !== null;
}
