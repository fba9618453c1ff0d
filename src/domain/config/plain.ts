import type { YNode } from './yaml-tree.js';
import type { LabelSelector, LabelSelectorRequirement, ObjectMeta, SelectorOperator } from './types.js';

/**
 * Plain values of a document that already passed its shape check. The getters still check
 * types, because a field with a reported type error must not crash the build of the typed
 * resource: it falls back to the default, and the issue list says what to fix.
 */
export type Plain = string | number | boolean | null | readonly Plain[] | { readonly [key: string]: Plain };
export type PlainObject = { readonly [key: string]: Plain };

export function toPlain(node: YNode): Plain {
  if (node.type === 'scalar') return node.value;
  if (node.type === 'seq') return node.items.map(toPlain);
  const out: Record<string, Plain> = {};
  for (const [key, entry] of node.entries) out[key] = toPlain(entry.value);
  return out;
}

export function isObject(v: Plain | undefined): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getObject(o: PlainObject | null, key: string): PlainObject | null {
  const v = o?.[key];
  return isObject(v) ? v : null;
}

export function getList(o: PlainObject | null, key: string): readonly Plain[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}

/**
 * List items keep their positions even when one has the wrong type (it becomes {} or ""), so
 * that "spec.addresses[2]" in a later message still means the third item as written.
 */
export function getObjects(o: PlainObject | null, key: string): PlainObject[] {
  return getList(o, key).map((v) => (isObject(v) ? v : {}));
}

export function getString(o: PlainObject | null, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' ? v : null;
}

export function getNumber(o: PlainObject | null, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' ? v : null;
}

export function getBool(o: PlainObject | null, key: string): boolean | null {
  const v = o?.[key];
  return typeof v === 'boolean' ? v : null;
}

export function getStrings(o: PlainObject | null, key: string): string[] {
  return getList(o, key).map((v) => (typeof v === 'string' ? v : ''));
}

export function getStringMap(o: PlainObject | null, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  const v = getObject(o, key);
  if (v === null) return out;
  for (const [k, value] of Object.entries(v)) if (typeof value === 'string') out[k] = value;
  return out;
}

export function readMeta(doc: PlainObject, defaultNamespace: string): ObjectMeta {
  const meta = getObject(doc, 'metadata');
  return {
    name: getString(meta, 'name') ?? '',
    namespace: getString(meta, 'namespace') ?? defaultNamespace,
    labels: getStringMap(meta, 'labels'),
    annotations: getStringMap(meta, 'annotations'),
  };
}

const operators: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export function readSelector(o: PlainObject): LabelSelector {
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const e of getObjects(o, 'matchExpressions')) {
    // An unknown operator was reported by the shape check; 'In' only holds the item's place.
    const operator = operators.find((op) => op === getString(e, 'operator')) ?? 'In';
    matchExpressions.push({ key: getString(e, 'key') ?? '', operator, values: getStrings(e, 'values') });
  }
  return { matchLabels: getStringMap(o, 'matchLabels'), matchExpressions };
}

export function readSelectors(o: PlainObject | null, key: string): LabelSelector[] {
  return getObjects(o, key).map(readSelector);
}
