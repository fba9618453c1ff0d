import { readFileSync } from 'node:fs';

/** The version from package.json, read once (dist/cli and src/cli are both two levels deep). */
export function airlbVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
