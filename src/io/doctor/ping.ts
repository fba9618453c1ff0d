import { execFile } from 'node:child_process';

/**
 * Whether `ip` answers ICMP echo within the bound: iputils `ping -c 2 -W 1`. Reachability is
 * judged by ping, not ARP, because an AP doing proxy ARP answers ARP for stations it will not let
 * talk to each other (client isolation).
 */
export function pings(ip: string, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ping', ['-n', '-c', '2', '-i', '0.2', '-W', '1', ip], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err) => resolve(err === null));
  });
}
