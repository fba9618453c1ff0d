import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { arpRequest } from '../proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../proto/arp/frame.js';
import { ArpOp } from '../proto/arp/packet.js';
import { CodecError } from '../proto/codec-error.js';
import { EtherType } from '../proto/ethernet/frame.js';
import { decodeNeighborFrame, encodeNeighborFrame } from '../proto/ndp/frame.js';
import { solicitedNodeAddress } from '../proto/ndp/solicited-node.js';
import { canonicalIp } from '../domain/net/ip.js';
import { AirlbError } from '../errors.js';
import { arpFilter, neighborDiscoveryFilter } from './bpf.js';
import { openPacketSocket, type PacketSocket } from './packet-socket.js';

/**
 * The sockets announcement verification probes through (src/domain/l2/verification.ts): on the
 * interface that holds this node's InternalIP — the node network, where the other nodes' VIPs are
 * announced — an ARP request "who has VIP, tell NODE-IP" (RFC 826) for an IPv4 VIP, a Neighbor
 * Solicitation to the VIP's solicited-node group from the interface's own IPv6 address with a
 * Source Link-Layer Address option (RFC 4861 §7.2.2) for an IPv6 one. Replies (ARP reply
 * addressed to us; NA with its Target Link-Layer Address, or the frame's source without one) go to
 * `onReply(vip, mac)`. Its own sockets, separate from the responder's: probing runs even on a node
 * that announces nothing.
 */

export interface ProbeLinkOptions {
  /** This node's InternalIP; the interface carrying it is used. */
  readonly localAddress: string;
  readonly onReply: (ip: string, mac: string) => void;
  readonly onWarning?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

export interface ProbeLink {
  readonly ifname: string;
  /** The interface MAC: what this node answers and announces with on the node network. */
  readonly mac: string;
  send(vip: string): void;
  close(): void;
}

export class ProbeLinkError extends AirlbError {
  constructor(message: string) {
    super('probe-link', `verification: ${message}`);
    this.name = 'ProbeLinkError';
  }
}

/** The interface holding `address`, its MAC, and its IPv4 and first IPv6 address (global first). */
function findInterface(address: string): { ifname: string; mac: string; ipv4: string | null; ipv6: string | null } {
  for (const [ifname, addrs] of Object.entries(networkInterfaces())) {
    if (addrs === undefined || !addrs.some((a) => canonicalIp(a.address) === address)) continue;
    const v4 = addrs.find((a) => a.family === 'IPv4');
    const v6 = addrs.filter((a) => a.family === 'IPv6').sort((a, b) => Number(a.scopeid !== 0) - Number(b.scopeid !== 0))[0];
    return { ifname, mac: addrs[0]!.mac, ipv4: v4?.address ?? null, ipv6: v6 !== undefined ? canonicalIp(v6.address) : null };
  }
  throw new ProbeLinkError(`no interface holds ${address}, the node's InternalIP; is --node right, and the Node's status.addresses?`);
}

export function openProbeLink(options: ProbeLinkOptions): ProbeLink {
  const local = canonicalIp(options.localAddress);
  if (local === null) throw new ProbeLinkError(`'${options.localAddress}' is not an IP address`);
  const found = findInterface(local);
  const { ifname, mac } = found;
  const warn = options.onWarning ?? (() => undefined);
  const arp: PacketSocket = openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() });
  let nd: PacketSocket;
  try {
    nd = openPacketSocket({ ifname, ethertype: EtherType.ipv6, filter: neighborDiscoveryFilter() });
  } catch (err) {
    arp.close();
    throw err;
  }
  arp.on('frame', (frame) => {
    try {
      const { arp: packet } = decodeArpFrame(frame);
      if (packet.op === ArpOp.reply && packet.targetMac === mac) options.onReply(packet.senderIp, packet.senderMac);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
  });
  nd.on('frame', (frame) => {
    try {
      const { ethernet, message } = decodeNeighborFrame(frame);
      if (message.kind === 'na' && message.solicited) options.onReply(message.target, message.targetLinkAddr ?? ethernet.source);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
  });
  for (const s of [arp, nd]) s.on('error', (err) => warn('probe socket error', { ifname, error: err.message }));
  let warnedNoIpv6 = false;
  return {
    ifname,
    mac,
    send(vip: string): void {
      if (isIPv4(vip)) {
        if (found.ipv4 === null) return;
        arp.send(encodeArpFrame(arpRequest({ senderMac: mac, senderIp: found.ipv4, targetIp: vip })));
        return;
      }
      if (found.ipv6 === null) {
        if (!warnedNoIpv6) warn('cannot verify IPv6 VIPs: the node-network interface has no IPv6 address', { ifname });
        warnedNoIpv6 = true;
        return;
      }
      const destination = solicitedNodeAddress(vip);
      nd.send(encodeNeighborFrame({ kind: 'ns', source: found.ipv6, destination, target: vip, sourceLinkAddr: mac }, mac));
    },
    close(): void {
      arp.close();
      nd.close();
    },
  };
}
