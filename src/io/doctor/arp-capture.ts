import { readFile } from 'node:fs/promises';
import type { CaptureFacts } from '../../domain/doctor/facts.js';
import { decodeArpFrame } from '../../proto/arp/frame.js';
import { classifyArp } from '../../proto/arp/forms.js';
import { arpFilter } from '../bpf.js';
import { ALL_PROTOCOLS, openPacketSocket, type PacketSocket } from '../packet-socket.js';
import { countOutgoingReplies, type OutgoingReplies } from './outgoing-replies.js';

/** IFF_PROMISC (linux/if.h). sysfs `flags` shows it while any user holds promiscuity. */
const IFF_PROMISC = 0x100;

/** Whether the interface is promiscuous now (`ip link set promisc on`, tcpdump, a packet socket's membership). */
export async function isPromiscuous(ifname: string): Promise<boolean> {
  const flags = parseInt((await readFile(`/sys/class/net/${ifname}/flags`, 'utf8')).trim(), 16);
  return (flags & IFF_PROMISC) !== 0;
}

/** A running capture on the node; `stop()` gives what it counted. */
export interface ArpCapture {
  stop(): Promise<CaptureFacts>;
}

/**
 * Counts ARP requests for `vip` arriving on `ifname` (probes and requests, not gratuitous ones) and
 * replies for it leaving. `promiscuous: true` holds the interface promiscuous for the capture —
 * on a Raspberry Pi that turns the firmware's ARP offload off, so requests it would hide arrive;
 * `false` captures the interface as it runs (as the speaker set it).
 */
export async function startArpCapture(ifname: string, vip: string, promiscuous: boolean): Promise<ArpCapture> {
  let requests = 0;
  // ETH_P_ALL, not ETH_P_ARP: airlb's in-kernel responder answers at tc ingress and consumes the
  // request before ETH_P_ARP sockets are served; taps on every protocol see it first.
  const socket: PacketSocket = openPacketSocket({ ifname, ethertype: ALL_PROTOCOLS, filter: arpFilter(), promiscuous });
  socket.on('frame', (frame, packetType) => {
    if (packetType === 'other') return; // our own outgoing frames
    try {
      const arp = decodeArpFrame(frame).arp;
      const kind = classifyArp(arp);
      if ((kind === 'request' || kind === 'probe') && arp.targetIp === vip) requests++;
    } catch {
      // A malformed frame is no request for the VIP.
    }
  });
  socket.on('error', () => undefined);
  let outgoing: OutgoingReplies | null;
  try {
    outgoing = await countOutgoingReplies(ifname, vip);
  } catch (err) {
    socket.close();
    throw err;
  }
  const wasPromiscuous = promiscuous || (await isPromiscuous(ifname));
  return {
    async stop() {
      socket.close();
      await outgoing?.stop();
      return { promiscuous: wasPromiscuous, requestsForVip: requests, repliesForVip: outgoing === null ? null : outgoing.count() };
    },
  };
}
