import { loadConfig, formatIssue, type ParsedConfig } from '../../src/domain/config/index.js';

/** Loads one in-memory file named `file` (default "test.yaml"). */
export function load(text: string, file = 'test.yaml'): ParsedConfig {
  return loadConfig([{ file, text }]);
}

/** The issues of one in-memory file, formatted as the CLI prints them. */
export function problems(text: string, file = 'test.yaml'): string[] {
  return load(text, file).issues.map(formatIssue);
}

/** The `FILE:LINE: Kind/name: path` part of each issue, for exact location assertions. */
export function locations(text: string, file = 'test.yaml'): string[] {
  return load(text, file).issues.map((i) => `${i.file}:${i.line}: ${i.kind}/${i.name}: ${i.path}`);
}
