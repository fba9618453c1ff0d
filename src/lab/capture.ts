import type { ChildProcess } from 'node:child_process';
import { AirlbError } from '../errors.js';
import { inNetns, type Runner } from './exec.js';

/**
 * A tcpdump running on one interface of one lab namespace, collecting its one-line-per-frame text
 * output (`-n -e -l`: numeric, with MACs, line-buffered). It runs with `-p` (no promiscuous mode)
 * unless asked: a promiscuous capture on a firmware-filtered node lifts the filter, exactly as it
 * does on a real Pi — the classic "it works while I run tcpdump" trap.
 */
export interface CaptureOptions {
  readonly promiscuous?: boolean;
  /** How long to wait for tcpdump to start listening (default 5 s). */
  readonly startTimeoutMs?: number;
}

export class Capture {
  private readonly frames: string[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      this.frames.push(...lines.filter((l) => l.length > 0));
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
  }

  static async start(runner: Runner, netns: string, iface: string, filter: string, options: CaptureOptions = {}): Promise<Capture> {
    const argv = ['tcpdump', '-i', iface, '-n', '-e', '-l', ...(options.promiscuous ? [] : ['-p']), ...(filter ? [filter] : [])];
    const child = runner.spawn(inNetns(netns, argv));
    const capture = new Capture(child);
    const timeoutMs = options.startTimeoutMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new AirlbError('lab-capture-failed', `tcpdump on ${netns}/${iface} did not start within ${timeoutMs} ms: ${stderr.trim()}`));
      }, timeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new AirlbError('lab-capture-failed', `cannot run tcpdump: ${err.message}`, { cause: err }));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new AirlbError('lab-capture-failed', `tcpdump on ${netns}/${iface} exited with ${code}: ${stderr.trim()}`));
      });
    });
    return capture;
  }

  /** Frames captured so far, one tcpdump line each. */
  lines(): readonly string[] {
    return [...this.frames];
  }

  /** Resolves with the first captured line matching `test`, or rejects after `timeoutMs`. */
  waitFor(test: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.frames.find(test);
        if (hit === undefined) return false;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new AirlbError('lab-capture-timeout', `no matching frame within ${timeoutMs} ms (${this.frames.length} captured)`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  /** Stops tcpdump (SIGINT lets it flush) and returns every captured line. */
  async stop(): Promise<readonly string[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(killer);
    }
    return this.lines();
  }
}
