import { AirlbError } from '../../errors.js';

/**
 * BFD Control packet codec (RFC 5880 §4.1, §4.2). The codec checks what a packet's own bytes can
 * prove (version, length fields, authentication section layout); the reception rules that depend
 * on session state (§6.8.6: detect mult, M bit, discriminators, A bit vs configured auth) live in
 * src/domain/bfd/session.ts.
 */

/** RFC 5880 §4.1: the only version defined. */
export const BFD_VERSION = 1;
/** RFC 5880 §4.1: the mandatory section is 24 octets. */
export const MANDATORY_LENGTH = 24;
/** RFC 5880 §6.8.6: with the A bit set the packet must hold at least the auth type and length. */
export const MINIMUM_AUTH_LENGTH = 26;

/** Session states (RFC 5880 §4.1 "State (Sta)"). */
export const BfdState = {
  adminDown: 0,
  down: 1,
  init: 2,
  up: 3,
} as const;
export type BfdStateCode = (typeof BfdState)[keyof typeof BfdState];

export const bfdStateName: Record<BfdStateCode, 'AdminDown' | 'Down' | 'Init' | 'Up'> = {
  0: 'AdminDown',
  1: 'Down',
  2: 'Init',
  3: 'Up',
};

/** Diagnostic codes (RFC 5880 §4.1 "Diagnostic (Diag)"); 9–31 are reserved but carried as-is. */
export const BfdDiag = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;

/** Authentication types (RFC 5880 §4.1 "Auth Type"). */
export const BfdAuthType = {
  simplePassword: 1,
  keyedMd5: 2,
  meticulousKeyedMd5: 3,
  keyedSha1: 4,
  meticulousKeyedSha1: 5,
} as const;

/**
 * The authentication section. For simple password (§4.2.2) `data` is the password; for the keyed
 * MD5/SHA1 types (§4.2.3, §4.2.4) it is everything after Auth Key ID (reserved octet, sequence
 * number, digest). airlb validates the layout only: it does not configure authentication, so the
 * session discards any packet with the A bit (§6.8.6).
 */
export interface BfdAuth {
  readonly type: number;
  readonly keyId: number;
  readonly data: Buffer;
}

export interface BfdControlPacket {
  /** 5-bit diagnostic code (§4.1). */
  readonly diag: number;
  readonly state: BfdStateCode;
  /** P: Poll (§6.5). */
  readonly poll: boolean;
  /** F: Final (§6.5). */
  readonly final: boolean;
  /** C: Control Plane Independent. */
  readonly controlPlaneIndependent: boolean;
  /** D: Demand mode (§6.6). */
  readonly demand: boolean;
  /** M: Multipoint, must be zero (§4.1); carried so the session can apply §6.8.6. */
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  /** Microseconds (§4.1). */
  readonly desiredMinTxUs: number;
  /** Microseconds (§4.1). */
  readonly requiredMinRxUs: number;
  /** Microseconds (§4.1); 0 means this system does not support Echo. */
  readonly requiredMinEchoRxUs: number;
  /** Present exactly when the A bit is set. */
  readonly auth?: BfdAuth;
}

/** A received datagram is not a well-formed BFD Control packet; the receiver discards it (§6.8.6). */
export class BfdDecodeError extends AirlbError {
  constructor(message: string) {
    super('bfd-decode', `BFD: ${message}`);
    this.name = 'BfdDecodeError';
  }
}

/** A value handed to the encoder cannot be put on the wire (a bug in the caller). */
export class BfdEncodeError extends AirlbError {
  constructor(message: string) {
    super('bfd-encode', `BFD: cannot encode: ${message}`);
    this.name = 'BfdEncodeError';
  }
}

// Flag bits of octet 1, after the 2-bit state (§4.1).
const FLAG_P = 0x20;
const FLAG_F = 0x10;
const FLAG_C = 0x08;
const FLAG_A = 0x04;
const FLAG_D = 0x02;
const FLAG_M = 0x01;

/** Auth Len values fixed by §4.2.3/§4.2.4; simple password is 4–19 (§4.2.2: 1–16 octet password). */
const fixedAuthLength: Record<number, number> = {
  [BfdAuthType.keyedMd5]: 24,
  [BfdAuthType.meticulousKeyedMd5]: 24,
  [BfdAuthType.keyedSha1]: 28,
  [BfdAuthType.meticulousKeyedSha1]: 28,
};

function checkAuthLength(type: number, authLen: number, fail: (msg: string) => Error): void {
  if (type === BfdAuthType.simplePassword) {
    if (authLen < 4 || authLen > 19) throw fail(`simple password Auth Len ${authLen} is outside 4..19 (RFC 5880 §4.2.2)`);
    return;
  }
  const fixed = fixedAuthLength[type];
  if (fixed !== undefined && authLen !== fixed) {
    throw fail(`Auth Len ${authLen} for auth type ${type} must be ${fixed} (RFC 5880 §4.2.3/§4.2.4)`);
  }
  // Reserved types (0, 6–255): only the generic rule that the section holds type, length, key id.
  if (authLen < 3) throw fail(`Auth Len ${authLen} is shorter than its own header (RFC 5880 §4.2.1)`);
}

/**
 * Decodes one UDP payload. §6.8.6: the Length field must be at least 24 (26 with A) and not more
 * than the payload; octets after Length are ignored (they are not part of the packet).
 */
export function decodeControl(buf: Buffer): BfdControlPacket {
  if (buf.length < MANDATORY_LENGTH) {
    throw new BfdDecodeError(`a Control packet needs at least ${MANDATORY_LENGTH} octets, got ${buf.length}`);
  }
  const version = buf[0]! >> 5;
  if (version !== BFD_VERSION) throw new BfdDecodeError(`version ${version} is not ${BFD_VERSION} (RFC 5880 §6.8.6)`);
  const flags = buf[1]!;
  const hasAuth = (flags & FLAG_A) !== 0;
  const length = buf[3]!;
  const minimum = hasAuth ? MINIMUM_AUTH_LENGTH : MANDATORY_LENGTH;
  if (length < minimum) throw new BfdDecodeError(`Length ${length} is below ${minimum} (RFC 5880 §6.8.6)`);
  if (length > buf.length) throw new BfdDecodeError(`Length ${length} exceeds the ${buf.length}-octet payload (RFC 5880 §6.8.6)`);

  let auth: BfdAuth | undefined;
  if (hasAuth) {
    const type = buf[24]!;
    const authLen = buf[25]!;
    checkAuthLength(type, authLen, (msg) => new BfdDecodeError(msg));
    if (MANDATORY_LENGTH + authLen !== length) {
      throw new BfdDecodeError(`Length ${length} does not equal 24 + Auth Len ${authLen} (RFC 5880 §4.1, §4.2.1)`);
    }
    auth = { type, keyId: buf[26]!, data: Buffer.from(buf.subarray(27, length)) };
  } else if (length !== MANDATORY_LENGTH) {
    throw new BfdDecodeError(`Length ${length} with the A bit clear must be ${MANDATORY_LENGTH} (RFC 5880 §4.1)`);
  }

  const packet: BfdControlPacket = {
    diag: buf[0]! & 0x1f,
    state: (flags >> 6) as BfdStateCode,
    poll: (flags & FLAG_P) !== 0,
    final: (flags & FLAG_F) !== 0,
    controlPlaneIndependent: (flags & FLAG_C) !== 0,
    demand: (flags & FLAG_D) !== 0,
    multipoint: (flags & FLAG_M) !== 0,
    detectMult: buf[2]!,
    myDiscriminator: buf.readUInt32BE(4),
    yourDiscriminator: buf.readUInt32BE(8),
    desiredMinTxUs: buf.readUInt32BE(12),
    requiredMinRxUs: buf.readUInt32BE(16),
    requiredMinEchoRxUs: buf.readUInt32BE(20),
  };
  return auth === undefined ? packet : { ...packet, auth };
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new BfdEncodeError(`${name} ${value} is not an integer in 0..${max}`);
  }
}

export function encodeControl(packet: BfdControlPacket): Buffer {
  checkUint('diag', packet.diag, 0x1f);
  checkUint('state', packet.state, 3);
  checkUint('detectMult', packet.detectMult, 0xff);
  checkUint('myDiscriminator', packet.myDiscriminator, 0xffffffff);
  checkUint('yourDiscriminator', packet.yourDiscriminator, 0xffffffff);
  checkUint('desiredMinTxUs', packet.desiredMinTxUs, 0xffffffff);
  checkUint('requiredMinRxUs', packet.requiredMinRxUs, 0xffffffff);
  checkUint('requiredMinEchoRxUs', packet.requiredMinEchoRxUs, 0xffffffff);
  // §6.5: a packet never carries both P and F.
  if (packet.poll && packet.final) throw new BfdEncodeError('Poll and Final must not both be set (RFC 5880 §6.5)');

  const auth = packet.auth;
  let authLen = 0;
  if (auth !== undefined) {
    checkUint('auth.type', auth.type, 0xff);
    checkUint('auth.keyId', auth.keyId, 0xff);
    authLen = 3 + auth.data.length;
    checkAuthLength(auth.type, authLen, (msg) => new BfdEncodeError(msg));
  }
  const length = MANDATORY_LENGTH + authLen;
  const out = Buffer.alloc(length);
  out[0] = (BFD_VERSION << 5) | packet.diag;
  out[1] =
    (packet.state << 6) |
    (packet.poll ? FLAG_P : 0) |
    (packet.final ? FLAG_F : 0) |
    (packet.controlPlaneIndependent ? FLAG_C : 0) |
    (auth !== undefined ? FLAG_A : 0) |
    (packet.demand ? FLAG_D : 0) |
    (packet.multipoint ? FLAG_M : 0);
  out[2] = packet.detectMult;
  out[3] = length;
  out.writeUInt32BE(packet.myDiscriminator, 4);
  out.writeUInt32BE(packet.yourDiscriminator, 8);
  out.writeUInt32BE(packet.desiredMinTxUs, 12);
  out.writeUInt32BE(packet.requiredMinRxUs, 16);
  out.writeUInt32BE(packet.requiredMinEchoRxUs, 20);
  if (auth !== undefined) {
    out[24] = auth.type;
    out[25] = authLen;
    out[26] = auth.keyId;
    auth.data.copy(out, 27);
  }
  return out;
}
