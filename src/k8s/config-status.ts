import type { ConfigIssue } from '../domain/config/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { statusOf } from './api-error.js';
import { collectionPath, objectPath, RESOURCES } from './resources.js';
import type { ApiTransport } from './transport.js';

/** The ConfigMap the controller keeps the verdict on the metallb.io configuration in. */
export const CONFIG_STATUS_NAME = 'airlb-config-status';

/** One problem as `Kind/name: field.path: message` (API objects have no file line). */
export function describeIssue(i: ConfigIssue): string {
  const who = i.kind === '' ? i.file : `${i.kind}/${i.name === '' ? '(no name)' : i.name}`;
  return [who, ...(i.path === '' ? [] : [i.path]), i.message].join(': ');
}

/**
 * Admission without a webhook, second half: besides the Events on each offending object, one
 * object says whether the configuration as a whole is valid, for people and scripts
 * (`kubectl -n metallb-system get configmap airlb-config-status -o yaml`):
 * data.valid "true"/"false", data.problems one per line, data.applied says whether the pools in
 * force are the ones written (false while invalid pools are being refused), data.warnings the
 * MetalLB fields airlb accepts but does not honour, one per line (they never make it invalid).
 */
export class ConfigStatusWriter {
  private last = '';

  constructor(
    private readonly transport: ApiTransport,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  async publish(issues: readonly ConfigIssue[], warnings: readonly ConfigIssue[], applied: boolean): Promise<void> {
    const data = {
      valid: String(issues.length === 0),
      applied: String(applied),
      problems: issues.map(describeIssue).join('\n'),
      warnings: warnings.map(describeIssue).join('\n'),
    };
    const key = JSON.stringify(data);
    if (key === this.last) return;
    const path = objectPath(RESOURCES.configMap, this.namespace, CONFIG_STATUS_NAME);
    try {
      try {
        await this.transport.send('PATCH', path, { data });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        await this.transport.send('POST', collectionPath(RESOURCES.configMap, this.namespace), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: CONFIG_STATUS_NAME, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'airlb' } },
          data,
        });
      }
      this.last = key;
    } catch (err) {
      this.log.warn('could not write the configuration status', { configMap: CONFIG_STATUS_NAME, error: describeError(err) });
    }
  }
}
