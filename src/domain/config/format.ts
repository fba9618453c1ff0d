import type { ConfigIssue } from './types.js';

/**
 * `FILE:LINE: Kind/name: field.path: message`, the form compilers use so editors can jump to it.
 * Problems that belong to no resource (YAML syntax) print as `FILE:LINE: message`.
 */
export function formatIssue(issue: ConfigIssue): string {
  return formatWith([`${issue.file}:${issue.line}`], issue);
}

/** `FILE:LINE: warning: Kind/name: field.path: message`, the compilers' form for a warning. */
export function formatWarning(warning: ConfigIssue): string {
  return formatWith([`${warning.file}:${warning.line}`, 'warning'], warning);
}

function formatWith(parts: string[], issue: ConfigIssue): string {
  if (issue.kind !== '') parts.push(`${issue.kind}/${issue.name === '' ? '(no name)' : issue.name}`);
  if (issue.path !== '') parts.push(issue.path);
  parts.push(issue.message);
  return parts.join(': ');
}
