import { createHash } from 'node:crypto';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { statusOf } from './api-error.js';
import { isJsonObject, metaOf, type JsonObject } from './json.js';
import { collectionPath, objectPath, RESOURCES } from './resources.js';
import type { ApiTransport } from './transport.js';

/** Labels MetalLB puts on ServiceL2Status objects; `kubectl get servicel2statuses -l` selects by them. */
export const L2_STATUS_LABELS = {
  node: 'metallb.io/node',
  serviceName: 'metallb.io/service-name',
  serviceNamespace: 'metallb.io/service-namespace',
} as const;

/** One Service this node announces in layer 2, and the interfaces it answers on. */
export interface L2StatusEntry {
  readonly serviceNamespace: string;
  readonly serviceName: string;
  readonly interfaces: readonly string[];
}

/**
 * One object per (node, Service): named from a hash so that two speakers never fight over a name
 * during a failover (the old node deletes its own while the new one creates another).
 */
export function l2StatusName(node: string, namespace: string, name: string): string {
  return `l2-${createHash('sha256').update(`${node}/${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

function statusOfObject(obj: JsonObject): { node: string; interfaces: string[] } {
  const s = obj['status'];
  if (!isJsonObject(s)) return { node: '', interfaces: [] };
  const list = Array.isArray(s['interfaces']) ? s['interfaces'] : [];
  return {
    node: typeof s['node'] === 'string' ? s['node'] : '',
    interfaces: list.flatMap((i) => (isJsonObject(i) && typeof i['name'] === 'string' ? [i['name']] : [])),
  };
}

/**
 * Keeps this node's ServiceL2Status objects equal to what it announces: creates the missing
 * ones, corrects their status, deletes the ones for Services it no longer announces. Objects of
 * other nodes are never touched (each speaker owns its own, as in MetalLB).
 */
export class L2StatusWriter {
  private readonly t = RESOURCES.serviceL2Status;

  constructor(
    private readonly transport: ApiTransport,
    private readonly node: string,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** The label selector of this node's objects (for the informer that feeds `existing`). */
  get selector(): string {
    return `${L2_STATUS_LABELS.node}=${this.node}`;
  }

  /** Brings `existing` (this node's objects, from the informer) to `wanted`; false if a write failed. */
  async reconcile(wanted: readonly L2StatusEntry[], existing: readonly JsonObject[]): Promise<boolean> {
    const byName = new Map(existing.map((o) => [metaOf(o).name, o] as const));
    const keep = new Set<string>();
    let ok = true;
    const attempt = async (what: string, write: () => Promise<unknown>): Promise<void> => {
      try {
        await write();
      } catch (err) {
        // 404 on delete and 409 on create: someone (our previous run) got there first; the
        // informer shows the result and the next pass settles it.
        const status = statusOf(err);
        if (status !== 404 && status !== 409) this.log.warn('ServiceL2Status write failed', { what, status, error: describeError(err) });
        ok = false;
      }
    };
    for (const entry of wanted) {
      const name = l2StatusName(this.node, entry.serviceNamespace, entry.serviceName);
      keep.add(name);
      const status = { node: this.node, serviceName: entry.serviceName, serviceNamespace: entry.serviceNamespace, interfaces: entry.interfaces.map((n) => ({ name: n })) };
      const current = byName.get(name);
      if (current === undefined) {
        await attempt(`create ${name}`, async () => {
          await this.transport.send('POST', collectionPath(this.t, this.namespace), this.object(name, entry));
          await this.patchStatus(name, status);
        });
        continue;
      }
      const have = statusOfObject(current);
      if (have.node !== this.node || have.interfaces.join(',') !== entry.interfaces.join(',')) {
        await attempt(`status ${name}`, () => this.patchStatus(name, status));
      }
    }
    for (const name of byName.keys()) {
      if (keep.has(name)) continue;
      await attempt(`delete ${name}`, () => this.transport.send('DELETE', objectPath(this.t, this.namespace, name), null));
    }
    return ok;
  }

  private object(name: string, entry: L2StatusEntry): JsonObject {
    return {
      apiVersion: `${this.t.group}/${this.t.version}`,
      kind: this.t.kind,
      metadata: {
        name,
        namespace: this.namespace,
        labels: {
          [L2_STATUS_LABELS.node]: this.node,
          [L2_STATUS_LABELS.serviceName]: entry.serviceName,
          [L2_STATUS_LABELS.serviceNamespace]: entry.serviceNamespace,
        },
      },
      spec: {},
    };
  }

  private patchStatus(name: string, status: JsonObject): Promise<unknown> {
    return this.transport.send('PATCH', objectPath(this.t, this.namespace, name, 'status'), { status });
  }
}
