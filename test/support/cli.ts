import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The argv that runs the CLI from source, so tests never depend on a stale dist/. */
export function cliCommand(): string[] {
  return [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `airlb ARGS...` as a child process and collects its output. */
export function runCli(args: readonly string[], options: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const [bin, ...pre] = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(bin!, [...pre, ...args], { cwd: options.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
