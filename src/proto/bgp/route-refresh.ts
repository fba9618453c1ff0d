import { ErrorCode, RouteRefreshSubcode, decodeError } from './errors.js';
import { MessageType, bodyOf, encodeMessage } from './header.js';
import type { AfiSafi } from './family.js';

/**
 * RFC 2918 §3 message; the octet between AFI and SAFI was "reserved" and is the message subtype
 * since RFC 7313 §3.2 (0 normal request, 1 BoRR, 2 EoRR).
 */
export interface RouteRefreshMessage extends AfiSafi {
  readonly subtype: number;
}

export function decodeRouteRefresh(msg: Buffer): RouteRefreshMessage {
  const body = bodyOf(msg, MessageType.routeRefresh);
  if (body.length !== 4) {
    // RFC 7313 §5: wrong length → ROUTE-REFRESH Message Error / Invalid Message Length, data is the message.
    throw decodeError(`ROUTE-REFRESH of ${msg.length} octets (must be 23)`, ErrorCode.routeRefresh, RouteRefreshSubcode.invalidMessageLength, Buffer.from(msg));
  }
  return { afi: body.readUInt16BE(0), subtype: body[2]!, safi: body[3]! };
}

export function encodeRouteRefresh(r: RouteRefreshMessage): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt16BE(r.afi, 0);
  body[2] = r.subtype;
  body[3] = r.safi;
  return encodeMessage(MessageType.routeRefresh, body);
}
