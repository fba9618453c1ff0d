// A LAN client for the lab tests, run inside the client's namespace:
//   node --import tsx test/membership/vip-prober.ts IFNAME SENDER_IP VIP
// sends a broadcast ARP request for VIP every 10 ms from a packet socket and prints one line
// "epochMs mac" per reply as it is read (arping cannot probe faster than once a second here, and
// prints no times), until killed.
import { arpFilter } from '../../src/io/bpf.js';
import { openPacketSocket } from '../../src/io/packet-socket.js';
import { arpRequest } from '../../src/proto/arp/forms.js';
import { decodeArpFrame, encodeArpFrame } from '../../src/proto/arp/frame.js';
import { ArpOp } from '../../src/proto/arp/packet.js';
import { EtherType } from '../../src/proto/ethernet/frame.js';

const [ifname, senderIp, vip] = process.argv.slice(2) as [string, string, string];
const socket = openPacketSocket({ ifname, ethertype: EtherType.arp, filter: arpFilter() });
const request = encodeArpFrame(arpRequest({ senderMac: socket.mac, senderIp, targetIp: vip }));
socket.on('frame', (frame) => {
  const at = performance.timeOrigin + performance.now();
  const { arp } = decodeArpFrame(frame);
  if (arp.op === ArpOp.reply && arp.senderIp === vip && arp.targetMac === socket.mac) process.stdout.write(`${at.toFixed(3)} ${arp.senderMac}\n`);
});
setInterval(() => socket.send(request), 10);
