import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { AirlbError } from '../errors.js';
import { createLogger, type Logger } from '../io/logger.js';

/**
 * The lab's only way to touch the system: run `ip`, `bridge`, `nft`, `sysctl`, ... as child
 * processes (never a shell, so addresses and names are never re-parsed). Every command is logged
 * at debug level with its outcome, which is the first thing to read when a lab misbehaves.
 */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin (e.g. an nft ruleset for `nft -f -`). */
  readonly input?: string;
  /** Return a non-zero exit instead of throwing. */
  readonly allowFailure?: boolean;
  /** Killed after this long (default 15 s); a hung command must not hang the lab. */
  readonly timeoutMs?: number;
}

export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running command; the caller owns the child. */
  spawn(argv: readonly string[]): ChildProcess;
  readonly logger: Logger;
}

export const silentLogger: Logger = createLogger({ format: 'text', level: 'error', write: () => undefined });

/** `argv` run inside a network namespace (ip-netns(8) also remounts /sys for that namespace). */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}

export function createRunner(logger: Logger = silentLogger): Runner {
  return {
    logger,
    run(argv, options = {}) {
      const [file, ...args] = argv;
      if (file === undefined) throw new AirlbError('lab-command-failed', 'empty command');
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const child = execFile(
          file,
          args,
          { encoding: 'utf8', timeout: options.timeoutMs ?? 15_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
          (err, stdout, stderr) => {
            const errno = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
            const code = errno === null ? 0 : typeof errno.code === 'number' ? errno.code : -1;
            const ms = Math.round(performance.now() - started);
            logger.debug('lab command', stderr.trim() ? { argv: argv.join(' '), code, ms, stderr: stderr.trim() } : { argv: argv.join(' '), code, ms });
            if (errno !== null && typeof errno.code === 'string') {
              reject(
                new AirlbError(
                  errno.code === 'ENOENT' ? 'lab-missing-tool' : 'lab-command-failed',
                  errno.code === 'ENOENT' ? `'${file}' is not installed or not on PATH` : `'${argv.join(' ')}' failed: ${errno.message}`,
                  { cause: err },
                ),
              );
              return;
            }
            if (errno?.killed) {
              reject(new AirlbError('lab-command-timeout', `'${argv.join(' ')}' did not finish within ${options.timeoutMs ?? 15_000} ms`));
              return;
            }
            if (code !== 0 && !options.allowFailure) {
              reject(new AirlbError('lab-command-failed', `'${argv.join(' ')}' exited with ${code}: ${stderr.trim() || stdout.trim()}`));
              return;
            }
            resolve({ code, stdout, stderr });
          },
        );
        // A command that exits without reading its input closes the pipe first: not an error.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options.input ?? '');
      });
    },
    spawn(argv) {
      const [file, ...args] = argv;
      if (file === undefined) throw new AirlbError('lab-command-failed', 'empty command');
      logger.debug('lab spawn', { argv: argv.join(' ') });
      return spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    },
  };
}
