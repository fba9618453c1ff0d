import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { AirlbError } from '../errors.js';

/**
 * Persists JSON state (e.g. standalone allocations) so IPs are stable across restarts. Writes are
 * atomic: write a temporary file in the same directory, fsync it, then rename over the target, so
 * a crash leaves either the old or the new file, never a torn one.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  const handle = await open(tmp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** Reads JSON state; undefined when the file does not exist yet. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirlbError('state-unreadable', `cannot read state file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AirlbError(
      'state-corrupt',
      `state file ${path} is not valid JSON (${(err as Error).message}); move it away to start with fresh allocations`,
      { cause: err },
    );
  }
}
