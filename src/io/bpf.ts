import { endianness } from 'node:os';
import { EtherType } from '../proto/ethernet/frame.js';

/**
 * Classic BPF programs for the packet socket (SO_ATTACH_FILTER, linux/filter.h). The kernel runs
 * them on every frame of the interface before queueing it, so the responder wakes up for the few
 * frames it answers instead of all traffic — which matters on a promiscuous WiFi interface.
 *
 * A program here is a list of checks that must all hold ("the 16 bits at offset 12 are one of
 * ..."); it compiles to load / jump-if-equal instructions ending in accept or drop. Offsets count
 * from the Ethernet header: packet sockets see frames without the 802.1Q tag, which the NIC or
 * the VLAN device strips (frames carrying a tag just fail the checks and are dropped).
 */

export interface BpfCheck {
  readonly offset: number;
  readonly size: 1 | 2 | 4;
  /** Accept when the big-endian value at offset equals any of these. */
  readonly anyOf: readonly number[];
}

/** Instruction classes and modes from linux/bpf_common.h. */
const BPF_LD = 0x00;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_ABS = 0x20;
const BPF_JEQ = 0x10;
const BPF_K = 0x00;
/** sizeof(struct sock_filter): u16 code, u8 jt, u8 jf, u32 k. */
export const BPF_INSTRUCTION_SIZE = 8;
/** Accept result: how many octets of the frame to keep (all of them). */
const ACCEPT_SNAPLEN = 0x40000;

const LOAD_SIZE = { 1: BPF_B, 2: BPF_H, 4: BPF_W } as const;

interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Compiles checks into struct sock_filter[] in host byte order (the kernel reads it as a C array). */
export function compileBpf(checks: readonly BpfCheck[]): Buffer {
  const total = checks.reduce((n, c) => n + 1 + c.anyOf.length, 0) + 2;
  const reject = total - 1;
  const program: Instruction[] = [];
  for (const check of checks) {
    if (check.anyOf.length === 0 || check.anyOf.length > 255) throw new RangeError('a BPF check needs 1..255 values');
    program.push({ code: BPF_LD | LOAD_SIZE[check.size] | BPF_ABS, jt: 0, jf: 0, k: check.offset });
    const next = program.length + check.anyOf.length;
    check.anyOf.forEach((value, i) => {
      const here = program.length;
      const last = i === check.anyOf.length - 1;
      // Jump offsets count instructions after this one: on a match go to the next check; on a
      // mismatch try the next value, or drop after the last one.
      program.push({ code: BPF_JMP | BPF_JEQ | BPF_K, jt: next - here - 1, jf: last ? reject - here - 1 : 0, k: value >>> 0 });
    });
  }
  program.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: ACCEPT_SNAPLEN });
  program.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 });
  if (program.some((ins) => ins.jt > 255 || ins.jf > 255)) throw new RangeError('BPF program too long for 8-bit jumps');
  const out = Buffer.alloc(program.length * BPF_INSTRUCTION_SIZE);
  const little = endianness() === 'LE';
  program.forEach((ins, i) => {
    const at = i * BPF_INSTRUCTION_SIZE;
    if (little) {
      out.writeUInt16LE(ins.code, at);
      out.writeUInt32LE(ins.k, at + 4);
    } else {
      out.writeUInt16BE(ins.code, at);
      out.writeUInt32BE(ins.k, at + 4);
    }
    out[at + 2] = ins.jt;
    out[at + 3] = ins.jf;
  });
  return out;
}

/** ARP requests and replies for IPv4 over Ethernet (RFC 826 field offsets after the 14-octet header). */
export const ARP_CHECKS: readonly BpfCheck[] = [
  { offset: 12, size: 2, anyOf: [EtherType.arp] },
  { offset: 14, size: 2, anyOf: [1] }, // ar$hrd Ethernet
  { offset: 16, size: 2, anyOf: [EtherType.ipv4] }, // ar$pro IPv4
  { offset: 18, size: 1, anyOf: [6] }, // ar$hln
  { offset: 19, size: 1, anyOf: [4] }, // ar$pln
  { offset: 20, size: 2, anyOf: [1, 2] }, // ar$op request, reply
];

/**
 * ICMPv6 Neighbor Solicitations and Advertisements: IPv6 Next Header (offset 14 + 6) is 58 and the
 * ICMPv6 type (14 + 40) is 135 or 136. Hop limit and checksum are left to the decoder so that
 * malformed packets are counted by reason rather than vanishing in the kernel.
 */
export const NEIGHBOR_DISCOVERY_CHECKS: readonly BpfCheck[] = [
  { offset: 12, size: 2, anyOf: [EtherType.ipv6] },
  { offset: 20, size: 1, anyOf: [58] },
  { offset: 54, size: 1, anyOf: [135, 136] },
];

export const arpFilter = (): Buffer => compileBpf(ARP_CHECKS);
export const neighborDiscoveryFilter = (): Buffer => compileBpf(NEIGHBOR_DISCOVERY_CHECKS);
