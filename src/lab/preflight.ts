import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AirlbError } from '../errors.js';

/**
 * What the lab needs before it creates anything: root (CAP_NET_ADMIN to make namespaces, veths,
 * bridges and nft tables) and the tools it drives. Checked up front so a missing piece is one
 * clear message, not a half-built lab.
 */
export interface PreflightFacts {
  readonly uid: number | undefined;
  /** The PATH to search for the tools. */
  readonly path: string;
}

/** Debian package that provides each tool, for the error message. */
const packageOf: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  nft: 'nftables',
  tcpdump: 'tcpdump',
};

export function currentFacts(): PreflightFacts {
  return { uid: process.getuid?.(), path: process.env.PATH ?? '' };
}

function onPath(tool: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Throws `lab-not-root` or `lab-missing-tool` (naming the package to install). */
export function checkPrerequisites(facts: PreflightFacts, tools: readonly string[] = ['ip', 'bridge', 'nft']): void {
  if (facts.uid !== 0) {
    throw new AirlbError(
      'lab-not-root',
      'airlb lab needs root (CAP_NET_ADMIN) to create network namespaces, bridges and nftables tables; run it with sudo',
    );
  }
  const missing = tools.filter((tool) => !onPath(tool, facts.path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => packageOf[t] ?? t))];
    throw new AirlbError(
      'lab-missing-tool',
      `airlb lab needs ${missing.map((t) => `'${t}'`).join(', ')} on PATH; install ${packages.join(' and ')} (e.g. apt-get install ${packages.join(' ')})`,
    );
  }
}
