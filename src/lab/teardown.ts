import type { Runner } from './exec.js';
import { ownsNetns } from './naming.js';
import { removeState } from './state.js';

/**
 * Removes a lab by prefix alone, whether or not its state file survived: every namespace named
 * `<prefix>-*` loses its processes and is deleted (which deletes its veths, bridge and nft
 * tables with it — the lab creates nothing anywhere else). Idempotent.
 */
export interface SweepReport {
  readonly namespaces: readonly string[];
  readonly killed: number;
}

export async function listNetns(runner: Runner): Promise<string[]> {
  const { stdout } = await runner.run(['ip', '-j', 'netns', 'list']);
  if (stdout.trim() === '') return [];
  return (JSON.parse(stdout) as { name: string }[]).map((n) => n.name);
}

/** Kills (SIGKILL) every process in a namespace; returns how many. */
export async function killNetnsProcesses(runner: Runner, netns: string): Promise<number> {
  const { stdout } = await runner.run(['ip', 'netns', 'pids', netns], { allowFailure: true });
  let killed = 0;
  for (const word of stdout.split(/\s+/)) {
    const pid = Number(word);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch (err) {
      // ESRCH: it exited between the listing and the kill.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  return killed;
}

export async function sweepLab(runner: Runner, prefix: string, stateDir: string): Promise<SweepReport> {
  const owned = (await listNetns(runner)).filter((ns) => ownsNetns(prefix, ns));
  let killed = 0;
  for (const ns of owned) killed += await killNetnsProcesses(runner, ns);
  for (const ns of owned) await runner.run(['ip', 'netns', 'del', ns], { allowFailure: true });
  await removeState(stateDir, prefix);
  const left = (await listNetns(runner)).filter((ns) => ownsNetns(prefix, ns));
  if (left.length > 0) runner.logger.warn('lab namespaces survived deletion', { namespaces: left });
  return { namespaces: owned, killed };
}
