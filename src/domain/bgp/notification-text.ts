import type { NotificationFields } from '../../proto/bgp/index.js';

/**
 * Human names of NOTIFICATION codes and subcodes (RFC 4271 §4.5 and §6, RFC 4486 §4, RFC 6608 §3,
 * RFC 7313 §5), so logs say "Cease/Administrative Shutdown" rather than "6/2".
 */
const codes: Record<number, { readonly name: string; readonly subcodes: readonly string[] }> = {
  1: { name: 'Message Header Error', subcodes: ['Unspecific', 'Connection Not Synchronized', 'Bad Message Length', 'Bad Message Type'] },
  2: {
    name: 'OPEN Message Error',
    subcodes: ['Unspecific', 'Unsupported Version Number', 'Bad Peer AS', 'Bad BGP Identifier', 'Unsupported Optional Parameter', '(deprecated 5)', 'Unacceptable Hold Time', 'Unsupported Capability'],
  },
  3: {
    name: 'UPDATE Message Error',
    subcodes: [
      'Unspecific', 'Malformed Attribute List', 'Unrecognized Well-known Attribute', 'Missing Well-known Attribute', 'Attribute Flags Error',
      'Attribute Length Error', 'Invalid ORIGIN Attribute', '(deprecated 7)', 'Invalid NEXT_HOP Attribute', 'Optional Attribute Error',
      'Invalid Network Field', 'Malformed AS_PATH',
    ],
  },
  4: { name: 'Hold Timer Expired', subcodes: ['Unspecific'] },
  5: { name: 'Finite State Machine Error', subcodes: ['Unspecified', 'Unexpected Message in OpenSent', 'Unexpected Message in OpenConfirm', 'Unexpected Message in Established'] },
  6: {
    name: 'Cease',
    subcodes: [
      'Unspecific', 'Maximum Number of Prefixes Reached', 'Administrative Shutdown', 'Peer De-configured', 'Administrative Reset',
      'Connection Rejected', 'Other Configuration Change', 'Connection Collision Resolution', 'Out of Resources', 'Hard Reset',
    ],
  },
  7: { name: 'ROUTE-REFRESH Message Error', subcodes: ['Unspecific', 'Invalid Message Length'] },
};

export function describeNotification(n: NotificationFields): string {
  const code = codes[n.code];
  if (code === undefined) return `code ${n.code}/subcode ${n.subcode}`;
  return `${code.name}/${code.subcodes[n.subcode] ?? `subcode ${n.subcode}`}`;
}
