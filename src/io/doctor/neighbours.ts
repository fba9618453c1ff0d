import { execFile } from 'node:child_process';
import { AirlbError } from '../../errors.js';

/** This machine's neighbour (ARP) table, through `ip neigh` (iproute2). */

function ip(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', [...args], { timeout: 5000, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

/** Pins `address` to `mac` on `ifname` (nud permanent: never aged out nor re-resolved). */
export async function pinNeighbour(address: string, mac: string, ifname: string): Promise<void> {
  const r = await ip(['neigh', 'replace', address, 'lladdr', mac, 'dev', ifname, 'nud', 'permanent']);
  if (r.code !== 0) {
    throw new AirlbError('neighbour-failed', `ip neigh replace ${address} lladdr ${mac} dev ${ifname} failed: ${r.stderr.trim()} (changing the ARP table needs root / CAP_NET_ADMIN)`);
  }
}

/** Removes the entry for `address` on `ifname`; an entry already gone is not an error. */
export async function unpinNeighbour(address: string, ifname: string): Promise<void> {
  const r = await ip(['neigh', 'del', address, 'dev', ifname]);
  if (r.code !== 0 && !/No such file|ENOENT|Cannot find/i.test(r.stderr)) {
    throw new AirlbError('neighbour-failed', `ip neigh del ${address} dev ${ifname} failed: ${r.stderr.trim()}`);
  }
}
