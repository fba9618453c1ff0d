import { AirlbError } from '../../errors.js';

/**
 * NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5 for ROUTE-REFRESH). The decoder attaches
 * one of these to every error so the session FSM can send the NOTIFICATION without a lookup table.
 */
export const ErrorCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  fsm: 5,
  cease: 6,
  routeRefresh: 7,
} as const;

/** Message Header Error subcodes (RFC 4271 §6.1). */
export const HeaderSubcode = {
  connectionNotSynchronized: 1,
  badMessageLength: 2,
  badMessageType: 3,
} as const;

/** OPEN Message Error subcodes (RFC 4271 §6.2; 0 "Unspecific" from the IANA registry; 7 from RFC 5492). */
export const OpenSubcode = {
  unspecific: 0,
  unsupportedVersionNumber: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
} as const;

/** UPDATE Message Error subcodes (RFC 4271 §6.3). */
export const UpdateSubcode = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOriginAttribute: 6,
  invalidNextHopAttribute: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

/** Cease subcodes (RFC 4486 §4, RFC 8538 §5 for Hard Reset). */
export const CeaseSubcode = {
  maximumPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
} as const;

/** ROUTE-REFRESH Message Error subcodes (RFC 7313 §5). */
export const RouteRefreshSubcode = {
  invalidMessageLength: 1,
} as const;

/**
 * What RFC 7606 §2 says to do about a malformed UPDATE (and, for every other message, what
 * RFC 4271 §6 says: reset). When several errors occur in one UPDATE the strongest wins (RFC 7606
 * §3): the decoder throws on the first session-reset error, and one treat-as-withdraw error makes
 * the whole UPDATE a withdrawal.
 */
export type BgpErrorHandling = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

/** The fields of the NOTIFICATION message this error maps to (RFC 4271 §4.5). */
export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

/**
 * A received BGP message is wrong. `notification` is what to send back (for 'session-reset');
 * `handling` says whether to send it at all (RFC 7606: 'treat-as-withdraw' and
 * 'attribute-discard' keep the session up and only log).
 */
export class BgpDecodeError extends AirlbError {
  readonly notification: NotificationFields;
  readonly handling: BgpErrorHandling;

  constructor(message: string, notification: NotificationFields, handling: BgpErrorHandling = 'session-reset') {
    super('bgp-decode', `BGP: ${message}`);
    this.name = 'BgpDecodeError';
    this.notification = notification;
    this.handling = handling;
  }
}

/** A value handed to an encoder cannot be put on the wire (a bug in the caller, not the peer). */
export class BgpEncodeError extends AirlbError {
  constructor(message: string) {
    super('bgp-encode', `BGP: cannot encode: ${message}`);
    this.name = 'BgpEncodeError';
  }
}

/** Shorthand for the many decode errors that carry code/subcode/data. */
export function decodeError(
  message: string,
  code: number,
  subcode: number,
  data: Buffer = Buffer.alloc(0),
  handling: BgpErrorHandling = 'session-reset',
): BgpDecodeError {
  return new BgpDecodeError(message, { code, subcode, data }, handling);
}
