import { spawn } from 'node:child_process';
import { AirlbError } from '../../errors.js';

/**
 * Runs the doctor's node side through a command the user gives (`ssh pi2 sudo airlb doctor
 * --capture-on wlan0 ...`, or `ip netns exec ...` in the lab) and follows its JSON lines on stdout:
 * `{"event":"ready"}` once its capture is armed, then `{"event":"report", ...}` when done.
 */
export interface NodeSession {
  /** Settles when the node side's capture is armed (rejects if it fails first). */
  readonly ready: Promise<void>;
  /** The report object (without `event`). */
  readonly report: Promise<unknown>;
}

export function startNodeCommand(command: string, timeoutMs: number): NodeSession {
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buffer = '';
  let onReady!: () => void;
  let onReport!: (value: unknown) => void;
  let onFail!: (err: Error) => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const report = new Promise<unknown>((resolve, reject) => {
    onReport = resolve;
    onFail = reject;
  });
  const failure = (what: string): AirlbError =>
    new AirlbError('doctor-node-command-failed', `the node command ${what}: ${command}${stderr.trim() === '' ? '' : `\n${stderr.trim().split('\n').slice(-5).join('\n')}`}`);
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    onFail(failure(`gave no report within ${timeoutMs} ms`));
  }, timeoutMs);
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      const { event: kind, ...rest } = event as { event?: unknown };
      if (kind === 'ready') onReady();
      else if (kind === 'report') onReport(rest);
    }
  });
  child.once('error', (err) => onFail(failure(`did not start (${err.message})`)));
  child.once('close', (code) => {
    clearTimeout(timer);
    // After a report this rejection is ignored: a promise settles once.
    onFail(failure(`exited with status ${code ?? 'signal'} before reporting`));
  });
  // `ready` must not hang when the command fails first.
  report.catch(() => onReady());
  return { ready, report };
}
