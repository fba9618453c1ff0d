/**
 * The contract every `airlb` subcommand implements. A command gets its own arguments (after the
 * command name) and an IO handle, and returns the exit status; only src/cli/main.ts turns that
 * into process.exit. Exit statuses: 0 success, 1 the check/command found a problem, 2 usage.
 */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  /** The full text printed by `airlb NAME --help`. */
  readonly help: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** True when the arguments ask for help; every command answers -h and --help the same way. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
