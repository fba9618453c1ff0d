import type { ConfigIssue, LabelSelector, Resource } from './types.js';

/**
 * Builds issues that point at a field of a resource. When the field was not written (a missing
 * value, a default), the issue points at the nearest enclosing field that was.
 */
export function fieldLine(resource: Resource, path: string): number {
  const lines = resource.origin.fieldLines;
  for (let p = path; p !== ''; p = parentPath(p)) {
    const line = lines.get(p);
    if (line !== undefined) return line;
  }
  return resource.origin.line;
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

export function issueAt(resource: Resource, path: string, message: string): ConfigIssue {
  return {
    file: resource.origin.file,
    line: fieldLine(resource, path),
    kind: resource.kind,
    name: resource.metadata.name,
    path,
    message,
  };
}

/** The place of a field of another resource, for "conflicts with ... at FILE:LINE". */
export function fieldWhere(resource: Resource, path: string): string {
  return `${resource.origin.file}:${fieldLine(resource, path)}`;
}

/** Kubernetes label-selector rules (metav1.LabelSelectorAsSelector refuses the others). */
export function checkSelectors(resource: Resource, basePath: string, selectors: readonly LabelSelector[], issues: ConfigIssue[]): void {
  selectors.forEach((selector, i) => {
    selector.matchExpressions.forEach((req, j) => {
      const path = `${basePath}[${i}].matchExpressions[${j}]`;
      if ((req.operator === 'In' || req.operator === 'NotIn') && req.values.length === 0) {
        issues.push(issueAt(resource, `${path}.values`, `operator ${req.operator} needs at least one value; add values or use Exists/DoesNotExist`));
      }
      if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && req.values.length > 0) {
        issues.push(issueAt(resource, `${path}.values`, `operator ${req.operator} takes no values; remove them or use In/NotIn`));
      }
    });
  });
}

/** MetalLB refuses repeated entries in its name lists (ipAddressPools, peers, communities, namespaces). */
export function checkNoRepeats(resource: Resource, path: string, values: readonly string[], issues: ConfigIssue[]): void {
  const first = new Map<string, number>();
  values.forEach((value, i) => {
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else issues.push(issueAt(resource, `${path}[${i}]`, `"${value}" is already listed at ${path}[${earlier}]; remove the repeat`));
  });
}

/** "(defined: a, b)" after an unknown reference, so a typo is obvious next to the real names. */
export function known(names: ReadonlySet<string>): string {
  return names.size === 0 ? ' (none is defined)' : ` (defined: ${[...names].sort().join(', ')})`;
}
