import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AirlbError } from '../errors.js';
import type { ConfigSource } from '../domain/config/types.js';

const manifestFile = /\.(ya?ml|json)$/i;

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

async function collect(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new AirlbError('config-unreadable', `cannot list the config folder ${dir}: ${reason(err)}; check the path and its permissions`, { cause: err });
  }
  const files: string[] = [];
  for (const name of names) {
    // Dot entries include Kubernetes' ConfigMap mount plumbing (..data, ..2024_01_01...), which
    // would read every file twice.
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    const info = await stat(full).catch((err: unknown) => {
      throw new AirlbError('config-unreadable', `cannot read ${full}: ${reason(err)}; fix or remove it`, { cause: err });
    });
    if (info.isDirectory()) files.push(...(await collect(full)));
    else if (info.isFile() && manifestFile.test(name)) files.push(full);
  }
  return files;
}

/**
 * Reads config files for `-f`: each path is a file (read whatever its extension) or a folder
 * (every *.yaml, *.yml and *.json below it, recursively, in sorted path order so runs are
 * repeatable). A missing or unreadable path, or a folder without manifests, is an AirlbError
 * naming that path.
 */
export async function readConfigSources(paths: readonly string[]): Promise<ConfigSource[]> {
  const sources: ConfigSource[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((err: unknown) => {
      throw new AirlbError('config-not-found', `cannot read config path ${path}: ${reason(err)}; check the -f argument`, { cause: err });
    });
    const files = info.isDirectory() ? (await collect(path)).sort() : [path];
    if (files.length === 0) {
      throw new AirlbError('config-empty', `the config folder ${path} holds no *.yaml, *.yml or *.json files; point -f at the folder with your manifests`);
    }
    for (const file of files) {
      try {
        sources.push({ file, text: await readFile(file, 'utf8') });
      } catch (err) {
        throw new AirlbError('config-unreadable', `cannot read config file ${file}: ${reason(err)}; check its permissions`, { cause: err });
      }
    }
  }
  return sources;
}
