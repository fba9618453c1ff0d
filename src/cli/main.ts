import { AirlbError, UsageError, describeError } from '../errors.js';
import type { CommandIo } from './command.js';
import { commands } from './commands.js';
import { airlbVersion } from './version.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'airlb — a MetalLB-compatible load balancer built for WiFi home labs',
    '',
    'Usage: airlb COMMAND [options]     (airlb COMMAND --help for a command\'s options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     this text',
    '  --version      print the version',
    '',
  ].join('\n');
}

/** Runs the CLI and returns the exit status; the caller owns the process. */
export async function run(argv: readonly string[], io?: CommandIo): Promise<number> {
  const cio: CommandIo = io ?? { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    cio.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    cio.stdout.write(`airlb ${airlbVersion()}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    cio.stderr.write(`airlb: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, cio);
  } catch (err) {
    if (err instanceof UsageError) {
      cio.stderr.write(`airlb ${err.message}\n`);
      return 2;
    }
    const code = err instanceof AirlbError ? ` [${err.code}]` : '';
    cio.stderr.write(`airlb ${name}: ${describeError(err)}${code}\n`);
    if (!(err instanceof AirlbError) && err instanceof Error && err.stack) cio.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// Direct execution (`node --import tsx src/cli/main.ts ...` in tests and development).
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await run(process.argv.slice(2));
}
