import type { YNode } from './yaml-tree.js';
import { isGoDuration } from './duration.js';

/**
 * The structural schema of a resource: which fields exist, which are required, and the type of
 * each. One checker walks a document against it, so "unknown field", "wrong type" and "missing
 * required field" are reported the same way for every kind, like a strict admission check.
 * Value rules (ranges, references, overlaps) live in validate.ts.
 */
export type Shape =
  | { readonly t: 'string' }
  | { readonly t: 'int' }
  | { readonly t: 'bool' }
  | { readonly t: 'duration' }
  | { readonly t: 'intOrString' }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  /** Accepted and not interpreted (kubectl bookkeeping such as managedFields or images). */
  | { readonly t: 'any' }
  | { readonly t: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | { readonly t: 'list'; readonly of: Shape }
  /** Free-form keys (labels, annotations, capacity). */
  | { readonly t: 'dict'; readonly of: Shape };

export interface Field {
  readonly shape: Shape;
  readonly required?: boolean;
  /** A real field of the upstream API that airlb refuses, with what to do instead. */
  readonly unsupported?: string;
}

export const str: Shape = { t: 'string' };
export const int: Shape = { t: 'int' };
export const bool: Shape = { t: 'bool' };
export const duration: Shape = { t: 'duration' };
export const intOrString: Shape = { t: 'intOrString' };
export const anything: Shape = { t: 'any' };
export const oneOf = (...values: string[]): Shape => ({ t: 'enum', values });
export const list = (of: Shape): Shape => ({ t: 'list', of });
export const dict = (of: Shape): Shape => ({ t: 'dict', of });

/** Fields given as shapes are optional; wrap in `required()` or `unsupported()` to say otherwise. */
export function obj(fields: Readonly<Record<string, Shape | Field>>): Shape {
  const out: Record<string, Field> = {};
  for (const [key, f] of Object.entries(fields)) out[key] = 't' in f ? { shape: f } : f;
  return { t: 'object', fields: out };
}

export function required(shape: Shape): Field {
  return { shape, required: true };
}

export function unsupported(shape: Shape, advice: string): Field {
  return { shape, unsupported: advice };
}

/** Where to report, and where to remember the line of every field seen. */
export interface ShapeSink {
  report(path: string, line: number, message: string): void;
  seen(path: string, line: number): void;
}

/** "spec.addresses" + 1 → "spec.addresses[1]"; label keys with dots or slashes go in brackets. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function describe(node: YNode): string {
  if (node.type === 'map') return 'a mapping';
  if (node.type === 'seq') return 'a list';
  if (node.value === null) return 'null';
  if (typeof node.value === 'string') return `the string ${JSON.stringify(node.value)}`;
  return `${typeof node.value} ${String(node.value)}`;
}

/**
 * Checks `node` against `shape`, reporting every mismatch (never stopping at the first).
 * A YAML null counts as "not set", as it does for the Kubernetes API server. `fieldLine` is the
 * line of the key holding `node` (a block mapping's own line is that of its first entry).
 */
export function checkShape(node: YNode, shape: Shape, path: string, sink: ShapeSink, fieldLine = node.line): void {
  sink.seen(path, node.line);
  if (node.type === 'scalar' && node.value === null) return;
  const wrong = (expected: string, advice = ''): void =>
    sink.report(path, node.line, `expected ${expected}, found ${describe(node)}${advice}`);
  switch (shape.t) {
    case 'any':
      return;
    case 'string':
      if (node.type !== 'scalar' || typeof node.value !== 'string') {
        wrong('a string', node.type === 'scalar' ? `; quote it: "${String(node.value)}"` : '');
      }
      return;
    case 'int':
      if (node.type !== 'scalar' || typeof node.value !== 'number' || !Number.isSafeInteger(node.value)) {
        wrong('an integer', node.type === 'scalar' && typeof node.value === 'string' && /^-?\d+$/.test(node.value) ? '; remove the quotes' : '');
      }
      return;
    case 'bool':
      if (node.type !== 'scalar' || typeof node.value !== 'boolean') wrong('true or false');
      return;
    case 'intOrString':
      if (node.type !== 'scalar' || !(typeof node.value === 'string' || (typeof node.value === 'number' && Number.isSafeInteger(node.value)))) {
        wrong('an integer or a string');
      }
      return;
    case 'duration':
      if (node.type !== 'scalar' || typeof node.value !== 'string') {
        wrong('a duration string such as "90s", "1m30s" or "500ms"', node.type === 'scalar' && typeof node.value === 'number' ? `; write "${node.value}s" for seconds` : '');
      } else if (!isGoDuration(node.value)) {
        wrong('a duration such as "90s", "1m30s" or "500ms" (units ns, us, ms, s, m, h)');
      }
      return;
    case 'enum':
      if (node.type !== 'scalar' || typeof node.value !== 'string' || !shape.values.includes(node.value)) {
        wrong(`one of ${shape.values.join(', ')}`);
      }
      return;
    case 'list':
      if (node.type !== 'seq') {
        wrong('a list', node.type === 'scalar' ? `; write it as [${String(node.value)}] or as "- item" lines` : '');
        return;
      }
      node.items.forEach((item, i) => checkShape(item, shape.of, childPath(path, i), sink));
      return;
    case 'dict':
      if (node.type !== 'map') {
        wrong('a mapping of key: value');
        return;
      }
      for (const [key, entry] of node.entries) {
        sink.seen(childPath(path, key), entry.keyLine);
        checkShape(entry.value, shape.of, childPath(path, key), sink);
      }
      return;
    case 'object': {
      if (node.type !== 'map') {
        wrong('a mapping');
        return;
      }
      for (const [key, entry] of node.entries) {
        const field = shape.fields[key];
        const fieldPath = childPath(path, key);
        if (field === undefined) {
          sink.report(fieldPath, entry.keyLine, `unknown field "${key}"${suggest(key, Object.keys(shape.fields))}; remove it or fix its spelling`);
          continue;
        }
        if (field.unsupported !== undefined) {
          sink.report(fieldPath, entry.keyLine, field.unsupported);
          continue;
        }
        checkShape(entry.value, field.shape, fieldPath, sink, entry.keyLine);
        // checkShape records the value's line; the key's line is where the field is written.
        sink.seen(fieldPath, entry.keyLine);
      }
      for (const [key, field] of Object.entries(shape.fields)) {
        if (!field.required) continue;
        const entry = node.entries.get(key);
        if (entry === undefined || (entry.value.type === 'scalar' && entry.value.value === null)) {
          // A missing field is reported where its parent is written ("spec:"), not at a sibling.
          sink.report(childPath(path, key), entry?.keyLine ?? fieldLine, `required field "${key}" is missing; add it`);
        }
      }
      return;
    }
  }
}

/** A "did you mean" for near-miss spellings (case, one typo), since most unknown fields are typos. */
function suggest(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const match = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k.toLowerCase(), lower) <= 2);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
