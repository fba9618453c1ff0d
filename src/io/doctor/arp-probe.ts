import { arpRequest } from '../../proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../../proto/arp/frame.js';
import { ArpOp } from '../../proto/arp/packet.js';
import { EtherType } from '../../proto/ethernet/frame.js';
import type { ProbeResult } from '../../domain/doctor/facts.js';
import { arpFilter } from '../bpf.js';
import { openPacketSocket } from '../packet-socket.js';
import type { LocalInterface } from './local-interface.js';

export interface ArpProbeOptions {
  readonly from: LocalInterface;
  readonly target: string;
  /** Requests to send (default 3); ignored when `until` is given. */
  readonly count?: number;
  /** Between requests (default 200 ms). */
  readonly intervalMs?: number;
  /** How long to keep listening after the last request (default 1000 ms). */
  readonly waitMs?: number;
  /** Keep asking every `intervalMs` until this settles (bounded by the caller), then wait `waitMs`. */
  readonly until?: Promise<unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks "who has target?" from a raw socket, as `arping` does, and collects every reply: all the MACs
 * that claim the address, not just the first (two MACs is a conflict or a split brain). The kernel's
 * neighbour table is neither used nor changed, so a stale or static entry cannot hide the answer.
 * Replies are matched on the ARP sender address (RFC 826): an AP doing proxy ARP answers with the
 * station's MAC there.
 */
export async function probeArp(options: ArpProbeOptions): Promise<ProbeResult> {
  const { from, target } = options;
  const intervalMs = options.intervalMs ?? 200;
  const socket = openPacketSocket({ ifname: from.ifname, ethertype: EtherType.arp, filter: arpFilter() });
  let replies = 0;
  let sent = 0;
  const macs = new Set<string>();
  socket.on('frame', (frame) => {
    let arp;
    try {
      arp = decodeArpFrame(frame).arp;
    } catch {
      return; // Not ours to judge: the doctor only counts well-formed replies.
    }
    if (arp.op === ArpOp.reply && arp.senderIp === target && arp.targetIp === from.ipv4) {
      replies++;
      macs.add(arp.senderMac);
    }
  });
  socket.on('error', () => undefined);
  const request = encodeArpFrame(arpRequest({ senderMac: socket.mac, senderIp: from.ipv4, targetIp: target }));
  try {
    if (options.until !== undefined) {
      let done = false;
      const stop = (): void => {
        done = true;
      };
      options.until.then(stop, stop);
      while (!done) {
        socket.send(request);
        sent++;
        await sleep(intervalMs);
      }
    } else {
      const count = options.count ?? 3;
      for (let i = 0; i < count; i++) {
        if (i > 0) await sleep(intervalMs);
        socket.send(request);
        sent++;
      }
    }
    await sleep(options.waitMs ?? 1000);
  } finally {
    socket.close();
  }
  return { target, sent, replies, macs: [...macs].sort() };
}
