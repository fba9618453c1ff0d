import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { AirlbError } from '../../errors.js';
import { ipv4FromBytes, ipv4ToBytes } from '../arp/ipv4.js';
import { MAC_LENGTH, macFromBytes, macToBytes } from '../ethernet/mac.js';
import { IPV6_ADDRESS_LENGTH, ipv6FromBytes, ipv6ToBytes } from '../ndp/ipv6-address.js';

/*
 * The speaker status message: what one airlb speaker tells every other, over UDP on the node
 * network, besides BFD (which carries no payload). It carries the sender's announcing MACs (the
 * others check ARP/NA replies for its VIPs against them) and its announcement-verification
 * verdicts (src/domain/l2/verification.ts), and the VIPs it answers for now (its claims).
 * airlb's own format, version 1, network byte order:
 *
 *    0       version (1)
 *    1       flags: 0x01 an HMAC trailer follows; other bits 0 on send, refused on receipt
 *    2..3    total length in octets, trailer included
 *    4..7    incarnation: random, chosen when the speaker starts (a new value = a restarted speaker)
 *    8..11   sequence: +1 per message within an incarnation (newer replaces older)
 *    12      node name length n (1..253, a Kubernetes node name), then n octets UTF-8
 *            MAC count m (0..255), then m × 6 octets
 *            owner count k (0..255), then k × (length 1..253, UTF-8 name)
 *            entry count v (0..65535: verdicts and claims), then v × (flags, owner index, address):
 *              flags 0x01 IPv6 (16 address octets; else IPv4, 4), 0x02 heard (else unheard),
 *              0x04 claim (below); other bits are ignored
 *    [16]    HMAC-SHA256 over every preceding octet with the shared key, first 16 octets
 *            (RFC 2104 §5 allows truncation to no less than half the hash length)
 *
 * Claims were added without a new version, because a receiver of the first release refuses
 * everything else (another version, another header flag, octets after the last verdict) and
 * must keep interoperating. A sender that publishes its claims lists its own node name first in
 * the owner table (also with no claims at all: that is what tells "claims nothing" from "an
 * older speaker, claims unknown"), and sends each claimed VIP as an entry with flags 0x04|0x02
 * (plus 0x01 for IPv6) and owner index 0. An older receiver reads these as 'heard' verdicts of
 * the sender about itself, which its tally skips (an owner's opinion of its own announcement
 * counts for nothing), and ignores the unused owner name. No speaker sends a verdict about
 * itself, so an older sender never puts its own name first. The claims share the 16-bit entry
 * count with the verdicts and the datagram with everything else: 6 octets per IPv4 claim, 18 per
 * IPv6 claim, so 1,000 of each take 24,000 of the 65,507 octets (MAX_MESSAGE_LENGTH); past it the runtime sends
 * the message without claims.
 *
 * Authentication is optional, as in BFD (RFC 5880 §6.7): with a key configured only messages
 * with a valid trailer are accepted; without one, messages carrying a trailer are refused, so a
 * half-configured cluster fails loudly instead of silently trusting. Replay within an
 * incarnation is stopped by the sequence number (the receiver keeps the highest).
 */

export const PEER_STATUS_VERSION = 1;
/** Next to memberlist's 7946, so a firewall rule written for MetalLB speakers is easy to extend. */
export const PEER_STATUS_PORT = 7947;
export const HMAC_LENGTH = 16;
const FLAG_HMAC = 0x01;
const VERDICT_IPV6 = 0x01;
const VERDICT_HEARD = 0x02;
const VERDICT_CLAIM = 0x04;
const HEADER_LENGTH = 12;
const MAX_NAME = 253;
/** The largest UDP payload over IPv4 (65535 − 20 − 8). */
export const MAX_MESSAGE_LENGTH = 65_507;

export interface PeerStatusVerdict {
  readonly ip: string;
  readonly owner: string;
  readonly heard: boolean;
}

export interface PeerStatusMessage {
  readonly incarnation: number;
  readonly sequence: number;
  readonly node: string;
  /** Lower-case colon form. */
  readonly macs: readonly string[];
  readonly verdicts: readonly PeerStatusVerdict[];
  /**
   * The VIPs the sender answers for now (canonical text form); absent when it does not say (a
   * speaker of the first release): its claims are unknown.
   */
  readonly claims?: readonly string[];
}

export type PeerStatusDecodeReason = 'truncated' | 'bad-version' | 'bad-flags' | 'bad-length' | 'bad-name' | 'bad-owner-index' | 'bad-claim' | 'authentication-missing' | 'authentication-failed' | 'authentication-not-configured';

export class PeerStatusDecodeError extends AirlbError {
  readonly reason: PeerStatusDecodeReason;
  constructor(reason: PeerStatusDecodeReason, detail: string) {
    super('peer-status-decode', `speaker status: ${reason}: ${detail}`);
    this.name = 'PeerStatusDecodeError';
    this.reason = reason;
  }
}

/** A value the encoder cannot put on the wire (a bug in the caller, or too many VIPs). */
export class PeerStatusEncodeError extends AirlbError {
  constructor(message: string) {
    super('peer-status-encode', `speaker status: cannot encode: ${message}`);
    this.name = 'PeerStatusEncodeError';
  }
}

function nameBytes(name: string, what: string): Buffer {
  const b = Buffer.from(name, 'utf8');
  if (b.length < 1 || b.length > MAX_NAME) throw new PeerStatusEncodeError(`${what} '${name}' must be 1..${MAX_NAME} octets`);
  return b;
}

function u32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new PeerStatusEncodeError(`${what} ${value} is not a 32-bit unsigned integer`);
  return value;
}

/** The entry flags and octets of one address (a verdict's or a claim's). */
function addressEntry(ip: string, flags: number, index: number): Buffer[] {
  if (isIPv4(ip)) return [Buffer.from([flags, index]), ipv4ToBytes(ip)];
  if (isIPv6(ip)) return [Buffer.from([flags | VERDICT_IPV6, index]), ipv6ToBytes(ip)];
  throw new PeerStatusEncodeError(`'${ip}' is not an IP address`);
}

function mac16(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest().subarray(0, HMAC_LENGTH);
}

export function encodePeerStatus(message: PeerStatusMessage, key?: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = PEER_STATUS_VERSION;
  header[1] = key !== undefined ? FLAG_HMAC : 0;
  header.writeUInt32BE(u32(message.incarnation, 'incarnation'), 4);
  header.writeUInt32BE(u32(message.sequence, 'sequence'), 8);
  parts.push(header);
  const node = nameBytes(message.node, 'node name');
  parts.push(Buffer.from([node.length]), node);
  if (message.macs.length > 255) throw new PeerStatusEncodeError(`${message.macs.length} MACs, at most 255`);
  parts.push(Buffer.from([message.macs.length]), ...message.macs.map((m) => macToBytes(m)));
  // A verdict about the sender itself would be read as the claims marker (the header comment).
  if (message.verdicts.some((v) => v.owner === message.node)) throw new PeerStatusEncodeError(`a verdict about the sender '${message.node}' itself`);
  const claims = message.claims;
  const owners = [...(claims !== undefined ? [message.node] : []), ...new Set(message.verdicts.map((v) => v.owner))];
  if (owners.length > 255) throw new PeerStatusEncodeError(`${owners.length} owners, at most 255`);
  parts.push(Buffer.from([owners.length]));
  for (const o of owners) {
    const b = nameBytes(o, 'owner name');
    parts.push(Buffer.from([b.length]), b);
  }
  const entries = message.verdicts.length + (claims?.length ?? 0);
  if (entries > 0xffff) throw new PeerStatusEncodeError(`${entries} verdicts and claims, at most 65535`);
  const count = Buffer.alloc(2);
  count.writeUInt16BE(entries);
  parts.push(count);
  const ownerIndex = new Map(owners.map((o, i) => [o, i]));
  for (const v of message.verdicts) parts.push(...addressEntry(v.ip, v.heard ? VERDICT_HEARD : 0, ownerIndex.get(v.owner)!));
  for (const ip of claims ?? []) parts.push(...addressEntry(ip, VERDICT_CLAIM | VERDICT_HEARD, 0));
  const body = Buffer.concat(parts);
  const total = body.length + (key !== undefined ? HMAC_LENGTH : 0);
  if (total > MAX_MESSAGE_LENGTH) throw new PeerStatusEncodeError(`${total} octets, more than one UDP datagram (${MAX_MESSAGE_LENGTH})`);
  body.writeUInt16BE(total, 2);
  return key !== undefined ? Buffer.concat([body, mac16(key, body)]) : body;
}

/** Reads a message; with `key`, it must carry a valid HMAC trailer, without, it must carry none. */
export function decodePeerStatus(buf: Buffer, key?: Buffer): PeerStatusMessage {
  if (buf.length < HEADER_LENGTH) throw new PeerStatusDecodeError('truncated', `${buf.length} octets, the header alone is ${HEADER_LENGTH}`);
  if (buf[0] !== PEER_STATUS_VERSION) throw new PeerStatusDecodeError('bad-version', `version ${buf[0]}, this speaker reads ${PEER_STATUS_VERSION}`);
  const flags = buf[1]!;
  if ((flags & ~FLAG_HMAC) !== 0) throw new PeerStatusDecodeError('bad-flags', `unknown flags 0x${flags.toString(16)}`);
  const total = buf.readUInt16BE(2);
  if (total !== buf.length) throw new PeerStatusDecodeError('bad-length', `length field ${total}, datagram ${buf.length}`);
  const authenticated = (flags & FLAG_HMAC) !== 0;
  if (key !== undefined && !authenticated) throw new PeerStatusDecodeError('authentication-missing', 'a key is configured and the message carries no HMAC');
  if (key === undefined && authenticated) throw new PeerStatusDecodeError('authentication-not-configured', 'the message carries an HMAC and no key is configured');
  let end = buf.length;
  if (authenticated) {
    end -= HMAC_LENGTH;
    if (end < HEADER_LENGTH) throw new PeerStatusDecodeError('truncated', 'no room for the HMAC');
    if (!timingSafeEqual(mac16(key!, buf.subarray(0, end)), buf.subarray(end))) throw new PeerStatusDecodeError('authentication-failed', 'the HMAC does not verify');
  }
  let at = HEADER_LENGTH;
  const need = (n: number, what: string) => {
    if (at + n > end) throw new PeerStatusDecodeError('truncated', `${what} needs ${n} octets at ${at}, the message ends at ${end}`);
  };
  const readName = (what: string): string => {
    need(1, what);
    const n = buf[at++]!;
    if (n < 1 || n > MAX_NAME) throw new PeerStatusDecodeError('bad-name', `${what} length ${n}`);
    need(n, what);
    const s = buf.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const node = readName('node name');
  need(1, 'MAC count');
  const macCount = buf[at++]!;
  need(macCount * MAC_LENGTH, 'MACs');
  const macs: string[] = [];
  for (let i = 0; i < macCount; i++, at += MAC_LENGTH) macs.push(macFromBytes(buf, at));
  need(1, 'owner count');
  const ownerCount = buf[at++]!;
  const owners: string[] = [];
  for (let i = 0; i < ownerCount; i++) owners.push(readName('owner name'));
  need(2, 'verdict count');
  const verdictCount = buf.readUInt16BE(at);
  at += 2;
  const verdicts: PeerStatusVerdict[] = [];
  const claims: string[] | undefined = owners[0] === node ? [] : undefined;
  for (let i = 0; i < verdictCount; i++) {
    need(2, 'verdict');
    const vflags = buf[at]!;
    const index = buf[at + 1]!;
    at += 2;
    if (index >= owners.length) throw new PeerStatusDecodeError('bad-owner-index', `owner index ${index} of ${owners.length}`);
    const v6 = (vflags & VERDICT_IPV6) !== 0;
    need(v6 ? IPV6_ADDRESS_LENGTH : 4, 'verdict address');
    const ip = v6 ? ipv6FromBytes(buf, at) : ipv4FromBytes(buf, at);
    at += v6 ? IPV6_ADDRESS_LENGTH : 4;
    if ((vflags & VERDICT_CLAIM) === 0) verdicts.push({ ip, owner: owners[index]!, heard: (vflags & VERDICT_HEARD) !== 0 });
    else if (claims === undefined || index !== 0) throw new PeerStatusDecodeError('bad-claim', `a claim for ${ip} names owner ${index} '${owners[index]}', not the sender '${node}' listed first`);
    else claims.push(ip);
  }
  if (at !== end) throw new PeerStatusDecodeError('bad-length', `${end - at} octets left after the last verdict`);
  const message = { incarnation: buf.readUInt32BE(4), sequence: buf.readUInt32BE(8), node, macs, verdicts };
  return claims === undefined ? message : { ...message, claims };
}
