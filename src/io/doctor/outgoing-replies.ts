import { spawn } from 'node:child_process';
import { ipv4ToBytes } from '../../proto/arp/ipv4.js';

/**
 * Counts ARP replies for one address leaving an interface, with tcpdump. The packet socket cannot:
 * the addon sets PACKET_IGNORE_OUTGOING so a responder never reads its own replies back. tcpdump is
 * optional — without it the count is null ("not seen"), never zero.
 */
export interface OutgoingReplies {
  /** Replies seen so far. */
  count(): number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 3000;

/**
 * Starts `tcpdump -p -Q out` on `ifname` for ARP replies (ar$op = 2, RFC 826) whose sender
 * protocol address (octets 14-17 of the ARP packet) is `ip` and whose target protocol address
 * (octets 24-27) is not: gratuitous replies (RFC 5944 §4.6) announce, they answer nobody. `-p` keeps tcpdump from raising the
 * interface's promiscuity, which would lift a WiFi firmware filter and change what is measured.
 * Resolves once tcpdump listens, or null when tcpdump is missing or does not start.
 */
export function countOutgoingReplies(ifname: string, ip: string): Promise<OutgoingReplies | null> {
  const hex = `0x${ipv4ToBytes(ip).toString('hex')}`;
  const child = spawn('tcpdump', ['-p', '-n', '-l', '-Q', 'out', '-i', ifname, `arp and arp[6:2] = 2 and arp[14:4] = ${hex} and arp[24:4] != ${hex}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  // One line per packet; tcpdump also writes a bare newline as it exits, which is no packet.
  let lines = 0;
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines += parts.filter((l) => l.trim() !== '').length;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const handle: OutgoingReplies = {
    count: () => lines,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void handle.stop().then(() => resolve(null));
    }, READY_TIMEOUT_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(null);
    });
    // tcpdump says "listening on IFACE" on stderr once its capture is armed.
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('listening on')) {
        clearTimeout(timer);
        resolve(handle);
      }
    });
  });
}
