import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with airlb's conventions: unknown flags and missing values become a
 * UsageError (exit 2) whose message names the flag and the command's help.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${command}: ${detail} (see 'airlb ${command} --help')`);
  }
}
