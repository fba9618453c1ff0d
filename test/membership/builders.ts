// Nodes with status.addresses for membership tests.
import type { Node } from '../../src/domain/config/types.js';
import { node } from '../election/builders.js';

export function nodeAt(name: string, addresses: readonly { type: string; address: string }[], extra: Partial<Pick<Node['status'], 'conditions'>> & { labels?: Record<string, string> } = {}): Node {
  const base = node(name, extra.labels ?? {}, extra.conditions ?? []);
  return { ...base, status: { ...base.status, addresses } };
}

export function internal(name: string, address: string, labels: Record<string, string> = {}): Node {
  return nodeAt(name, [{ type: 'InternalIP', address }], { labels });
}
