import type { LabelSelector } from './config/types.js';

/**
 * Kubernetes label-selector semantics (metav1.LabelSelector): every matchLabels pair and every
 * matchExpressions requirement must hold. An empty selector matches every object.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !req.values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && req.values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * MetalLB's rule for selector lists (nodeSelectors, ipAddressPoolSelectors, serviceSelectors...):
 * an empty list selects everything; otherwise any one selector matching is enough.
 */
export function anySelectorMatches(selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean {
  return selectors.length === 0 || selectors.some((s) => selectorMatches(s, labels));
}
