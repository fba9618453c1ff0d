/**
 * Objects as the API server sends them: parsed JSON, checked only as far as the informer needs
 * (metadata.name, namespace, resourceVersion). The typed view comes from convert.ts.
 */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export interface KubeMeta {
  readonly name: string;
  readonly namespace: string;
  readonly resourceVersion: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isJsonObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function text(o: JsonObject, key: string): string {
  const v = o[key];
  return typeof v === 'string' ? v : '';
}

/** The metadata fields every consumer keys on; "" when absent (namespace of cluster-scoped objects). */
export function metaOf(obj: JsonObject): KubeMeta {
  const m = obj['metadata'];
  const meta = isJsonObject(m) ? m : {};
  return {
    name: text(meta, 'name'),
    namespace: text(meta, 'namespace'),
    resourceVersion: text(meta, 'resourceVersion'),
    uid: text(meta, 'uid'),
    labels: stringMap(meta['labels']),
  };
}

/** "namespace/name", or "name" for cluster-scoped objects: the cache key (as client-go's). */
export function objectKey(obj: JsonObject): string {
  const { namespace, name } = metaOf(obj);
  return namespace === '' ? name : `${namespace}/${name}`;
}
