import { AirlbError } from '../../errors.js';

/**
 * Field-by-field readers for the JSON the doctor reads back (recorded facts, a node agent's report,
 * a speaker's status file). Each names the failing field's path, so a hand-edited file that
 * misspells a field fails loudly instead of silently turning a check into "not-run".
 */

export type Json = Readonly<Record<string, unknown>>;

export function fail(path: string, expected: string): never {
  throw new AirlbError('doctor-json-invalid', `${path}: expected ${expected}`);
}

export function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object');
  return value as Json;
}

export function str(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'a string');
  return value;
}

export function strOrNull(value: unknown, path: string): string | null {
  return value === null || value === undefined ? null : str(value, path);
}

export function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(path, 'a whole number ≥ 0');
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false');
  return value;
}

export function boolOrNull(value: unknown, path: string): boolean | null {
  return value === null || value === undefined ? null : bool(value, path);
}

export function strings(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, 'a list of strings');
  return value.map((v, i) => str(v, `${path}[${i}]`));
}

/** null or undefined → null, else `read` it. */
export function optional<T>(value: unknown, path: string, read: (o: Json, path: string) => T): T | null {
  return value === null || value === undefined ? null : read(object(value, path), path);
}
