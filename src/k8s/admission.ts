import type { ConfigIssue } from '../domain/config/types.js';
import { describeIssue } from './config-status.js';
import { apiOrigin, validateObjects } from './convert.js';
import { isJsonObject, metaOf, type Json, type JsonObject } from './json.js';
import { RESOURCES, type ResourceType } from './resources.js';

/**
 * The validating admission webhook's decision (admission.k8s.io/v1 AdmissionReview): a create or
 * update of a metallb.io configuration object is refused when it brings problems the
 * configuration did not have — the file-mode validator's messages (unknown fields, overlapping
 * pools, unknown pool references, bad ranges), each naming the object and field. Problems that
 * were already there (in other objects) do not block an unrelated change, and deletes pass.
 * The written object's warnings (MetalLB fields airlb accepts but does not honour) go back as the
 * response's `warnings`, which kubectl prints as "Warning: ..." whether the object is admitted or not.
 */

const CONFIG_KINDS: ReadonlyMap<string, ResourceType> = new Map(
  [RESOURCES.ipAddressPool, RESOURCES.l2Advertisement, RESOURCES.bgpPeer, RESOURCES.bgpAdvertisement, RESOURCES.community, RESOURCES.bfdProfile].map((t) => [t.kind, t] as const),
);

export interface ConfigObject {
  readonly type: ResourceType;
  readonly obj: JsonObject;
}

function answer(uid: Json | undefined, allowed: boolean, problems: readonly string[], warnings: readonly string[] = []): JsonObject {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: typeof uid === 'string' ? uid : '',
      allowed,
      ...(allowed ? {} : { status: { code: 422, reason: 'Invalid', message: problems.join('; ') } }),
      ...(warnings.length === 0 ? {} : { warnings: [...warnings] }),
    },
  };
}

/** The AdmissionReview answer for `review`, given the configuration objects currently stored. */
export function reviewAdmission(review: JsonObject, current: readonly ConfigObject[]): JsonObject {
  const request = review['request'];
  if (!isJsonObject(request)) return answer(undefined, false, ['the AdmissionReview has no request']);
  const kind = isJsonObject(request['kind']) ? request['kind'] : {};
  const type = kind['group'] === 'metallb.io' ? CONFIG_KINDS.get(String(kind['kind'])) : undefined;
  const object = request['object'];
  const operation = request['operation'];
  if (type === undefined || (operation !== 'CREATE' && operation !== 'UPDATE') || !isJsonObject(object)) {
    return answer(request['uid'], true, []);
  }
  const namespace = metaOf(object).namespace || (typeof request['namespace'] === 'string' ? request['namespace'] : '');
  const incoming: JsonObject = { ...object, metadata: { ...(isJsonObject(object['metadata']) ? object['metadata'] : {}), namespace } };
  const { name } = metaOf(incoming);
  const others = current.filter((c) => !(c.type === type && metaOf(c.obj).namespace === namespace && metaOf(c.obj).name === name));
  // A problem is the change's when its field had none before (messages may mention the new
  // object, e.g. by listing the pools that exist, so the field, not the text, is compared).
  const where = (i: ConfigIssue): string => `${i.file}\u0000${i.path}`;
  const before = new Set(validateObjects(others).issues.map(where));
  const after = validateObjects([...others, { type, obj: incoming }]);
  const problems = after.issues.filter((i) => !before.has(where(i))).map(describeIssue);
  // Every warning about the written object, even one it already had: each apply says it again,
  // as the API server does for deprecated fields.
  const self = apiOrigin(type, incoming).file;
  const warnings = after.warnings.filter((w) => w.file === self).map(describeIssue);
  return answer(request['uid'], problems.length === 0, problems, warnings);
}
