import { arpAnnouncement, classifyArp } from '../../proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../../proto/arp/frame.js';
import { EtherType } from '../../proto/ethernet/frame.js';
import { arpFilter } from '../bpf.js';
import { openPacketSocket } from '../packet-socket.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `count` gratuitous ARP announcements for `ip` from the interface's own MAC (RFC 5227 §2.3:
 * sender and target IP both `ip`), 100 ms apart — what a speaker sends when it takes a VIP over.
 * Only the node that answers for `ip` may send this: anyone else would pull the VIP's traffic.
 */
export async function sendGratuitousArp(ifname: string, ip: string, count = 3): Promise<number> {
  const socket = openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() });
  try {
    const frame = encodeArpFrame(arpAnnouncement({ senderMac: socket.mac, ip }));
    for (let i = 0; i < count; i++) {
      if (i > 0) await sleep(100);
      socket.send(frame);
    }
    return count;
  } finally {
    socket.close();
  }
}

/** Gratuitous ARP for one address seen on an interface, by sender MAC, while it listens. */
export interface GratuitousWatch {
  /** Stops listening; the MACs that announced the address, sorted. */
  stop(): string[];
}

export function watchGratuitousArp(ifname: string, ip: string): GratuitousWatch {
  const seen = new Set<string>();
  const socket = openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() });
  socket.on('frame', (frame) => {
    try {
      const arp = decodeArpFrame(frame).arp;
      const kind = classifyArp(arp);
      if ((kind === 'announcement' || kind === 'gratuitous-reply') && arp.senderIp === ip) seen.add(arp.senderMac);
    } catch {
      // Not a well-formed ARP frame: no announcement.
    }
  });
  socket.on('error', () => undefined);
  return {
    stop() {
      socket.close();
      return [...seen].sort();
    },
  };
}
