import { decodeHeader, MessageType } from './header.js';
import { decodeOpen, type OpenMessage } from './open.js';
import { decodeUpdate, type DecodedUpdate } from './update.js';
import { decodeNotification, type NotificationMessage } from './notification.js';
import { decodeKeepalive } from './keepalive.js';
import { decodeRouteRefresh, type RouteRefreshMessage } from './route-refresh.js';
import type { DecodeOptions } from './attributes.js';

/** Any decoded BGP message, tagged by kind. */
export type BgpMessage =
  | { readonly kind: 'open'; readonly open: OpenMessage }
  | { readonly kind: 'update'; readonly update: DecodedUpdate }
  | { readonly kind: 'notification'; readonly notification: NotificationMessage }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'route-refresh'; readonly routeRefresh: RouteRefreshMessage };

/**
 * Decodes one whole message as the framer hands it out. `options` matter only for UPDATE; pass
 * the values negotiated so far (fourOctetAs: false before the OPENs are exchanged).
 */
export function decodeMessage(msg: Buffer, options: DecodeOptions): BgpMessage {
  switch (decodeHeader(msg).type) {
    case MessageType.open:
      return { kind: 'open', open: decodeOpen(msg) };
    case MessageType.update:
      return { kind: 'update', update: decodeUpdate(msg, options) };
    case MessageType.notification:
      return { kind: 'notification', notification: decodeNotification(msg) };
    case MessageType.keepalive:
      decodeKeepalive(msg);
      return { kind: 'keepalive' };
    case MessageType.routeRefresh:
      return { kind: 'route-refresh', routeRefresh: decodeRouteRefresh(msg) };
  }
}
