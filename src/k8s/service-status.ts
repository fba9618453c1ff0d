import type { AssignResult } from '../domain/allocator/allocator.js';
import { isJsonObject, metaOf, type JsonObject } from './json.js';
import { objectPath, RESOURCES } from './resources.js';
import type { ApiTransport } from './transport.js';

/** MetalLB's annotation naming the pool a Service's addresses came from. */
export const POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';

/** What a Service's status and pool annotation should say after an allocation. */
export interface ServiceWrite {
  /** null: leave status alone. */
  readonly ingress: readonly string[] | null;
  /** undefined: leave the annotation alone; null: remove it. */
  readonly pool: string | null | undefined;
}

/** status.loadBalancer.ingress[].ip as stored (hostname-only entries are not ours and carry no ip). */
export function ingressIps(obj: JsonObject): string[] {
  const status = obj['status'];
  const lb = isJsonObject(status) ? status['loadBalancer'] : undefined;
  const ingress = isJsonObject(lb) ? lb['ingress'] : undefined;
  if (!Array.isArray(ingress)) return [];
  return ingress.flatMap((i) => (isJsonObject(i) && typeof i['ip'] === 'string' ? [i['ip']] : []));
}

export function poolAnnotation(obj: JsonObject): string | null {
  const meta = obj['metadata'];
  const ann = isJsonObject(meta) ? meta['annotations'] : undefined;
  const v = isJsonObject(ann) ? ann[POOL_ANNOTATION] : undefined;
  return typeof v === 'string' ? v : null;
}

/**
 * The writes an allocation result calls for, given the Service as stored. A Service of another
 * loadBalancerClass is never touched. A Service airlb gave addresses to (it carries the pool
 * annotation) and that can no longer have them (type changed, request unsatisfiable) has its
 * ingress and annotation cleared, so clients stop using an address it no longer owns; an
 * address some other controller wrote is left alone.
 */
export function writeFor(obj: JsonObject, result: AssignResult): ServiceWrite {
  const current = ingressIps(obj);
  const pool = poolAnnotation(obj);
  if (result.ok) {
    const same = current.length === result.ips.length && current.every((ip, i) => ip === result.ips[i]);
    return { ingress: same ? null : result.ips, pool: pool === result.pool ? undefined : result.pool };
  }
  if (result.reason === 'other-class' || pool === null) return { ingress: null, pool: undefined };
  return { ingress: current.length === 0 ? null : [], pool: null };
}

/**
 * Writes status through the status subresource with a merge patch (RFC 7386). The patch names
 * the resourceVersion the decision was made on, so a Service that changed meanwhile gets a 409
 * Conflict instead of a stale status; the caller decides again on the newer object.
 */
export class ServiceWriter {
  constructor(private readonly transport: ApiTransport) {}

  async apply(obj: JsonObject, write: ServiceWrite): Promise<void> {
    const { name, namespace, resourceVersion } = metaOf(obj);
    if (write.ingress !== null) {
      const body = {
        metadata: { resourceVersion },
        status: { loadBalancer: { ingress: write.ingress.map((ip) => ({ ip })) } },
      };
      await this.transport.send('PATCH', objectPath(RESOURCES.service, namespace, name, 'status'), body);
    }
    if (write.pool !== undefined) {
      const body = { metadata: { annotations: { [POOL_ANNOTATION]: write.pool } } };
      await this.transport.send('PATCH', objectPath(RESOURCES.service, namespace, name), body);
    }
  }
}
