import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AirlbError } from '../../errors.js';
import { inNetns } from '../exec.js';

/**
 * Long-running demo processes in lab namespaces (the speakers, the web servers). Unlike
 * `Lab.spawn`, whose children are killed when the Lab closes and write into pipes, these are
 * detached and log to a file, so `airlb lab demo --keep` can leave a working lab behind after the
 * demo exits. `airlb lab down` still removes them: it kills every process in the lab's namespaces.
 */

/**
 * The built CLI (bin/airlb.js, which loads dist/), found from this module: src/lab/demo and
 * dist/lab/demo sit at the same depth below the package root, so this holds from either.
 */
export const airlbBin = fileURLToPath(new URL('../../../bin/airlb.js', import.meta.url));

export class DemoProcess {
  private readonly exited: Promise<number>;
  /** Undefined while running; the exit code (-1 for a signal or a failed spawn) once it ended. */
  private exitCode: number | undefined;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code ?? -1;
        resolve(this.exitCode);
      });
      child.once('error', () => {
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  /** Starts `argv` in `netns`, stdout and stderr appended to `logPath`. */
  static start(label: string, netns: string, argv: readonly string[], logPath: string): DemoProcess {
    const [file, ...args] = inNetns(netns, argv);
    const log = openSync(logPath, 'a');
    try {
      // `ip netns exec` execs the command, so the child's pid is the command's: signals reach it.
      const child = spawn(file!, args, { stdio: ['ignore', log, log], detached: true });
      child.unref();
      return new DemoProcess(label, child, logPath);
    } finally {
      closeSync(log);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exitCode === undefined) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([this.exited, late])) === 'late') {
      this.signal('SIGKILL');
      await this.exited;
    }
    clearTimeout(timer);
  }

  /** The last lines of the log, for an error message. */
  async logTail(lines = 8): Promise<string> {
    const text = await readFile(this.logPath, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits until the log contains `text` (e.g. a server saying it listens). */
  async waitForLog(text: string, timeoutMs = 5000): Promise<void> {
    await waitUntil(
      `${this.label} to log '${text}'`,
      async () => {
        await this.assertRunning();
        return (await readFile(this.logPath, 'utf8').catch(() => '')).includes(text) ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Fails with the log's tail when the process has exited. */
  async assertRunning(): Promise<void> {
    if (this.exitCode === undefined) return;
    throw new AirlbError('demo-process-exited', `${this.label} exited with ${this.exitCode}; its log (${this.logPath}) ends:\n${await this.logTail()}`);
  }
}

/** Polls `check` every `everyMs` until it returns a value, or fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new AirlbError('demo-timeout', `timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
