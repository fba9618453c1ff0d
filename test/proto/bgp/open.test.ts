import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AS_TRANS,
  BgpDecodeError,
  BgpEncodeError,
  IPV4_UNICAST,
  IPV6_UNICAST,
  decodeOpen,
  encodeOpen,
  makeOpen,
  openAsn,
  type OpenMessage,
} from '../../../src/proto/bgp/index.js';
import { hex } from '../../support/codec.js';

const withHeader = (type: number, body: Buffer) => {
  const head = Buffer.alloc(19, 0xff);
  head.writeUInt16BE(19 + body.length, 16);
  head[18] = type;
  return Buffer.concat([head, body]);
};

// RFC 4271 §4.2 OPEN with RFC 5492 capabilities, written out field by field.
const OPEN_VECTOR = withHeader(
  1,
  hex(`
    04            # version 4
    fde9          # My AS 65001
    005a          # Hold Time 90
    c0000201      # BGP Identifier 192.0.2.1
    1e            # Optional Parameters Length 30
    02 1c         # parameter type 2 (Capabilities), 28 octets
      01 04 0001 00 01   # multiprotocol IPv4 unicast (RFC 4760 §8)
      01 04 0002 00 01   # multiprotocol IPv6 unicast
      02 00              # route refresh (RFC 2918)
      41 04 0000fde9     # 4-octet AS 65001 (RFC 6793 §3)
      40 06 0078 0001 01 80   # graceful restart: 120 s; IPv4 unicast, forwarding preserved (RFC 4724 §3)
  `),
);

const OPEN_VALUE: OpenMessage = {
  myAs: 65001,
  holdTime: 90,
  bgpId: 0xc0000201,
  capabilities: {
    multiprotocol: [IPV4_UNICAST, IPV6_UNICAST],
    routeRefresh: true,
    fourOctetAs: 65001,
    gracefulRestart: { restarting: false, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: true }] },
    other: [],
  },
};

function openFails(body: string, code: number, subcode: number, data?: string): void {
  assert.throws(
    () => decodeOpen(withHeader(1, hex(body))),
    (err: unknown) => {
      assert.ok(err instanceof BgpDecodeError);
      assert.equal(err.handling, 'session-reset');
      assert.deepEqual([err.notification.code, err.notification.subcode], [code, subcode]);
      if (data !== undefined) assert.equal(err.notification.data.toString('hex'), data);
      return true;
    },
  );
}

test('an OPEN with multiprotocol, route refresh, 4-octet AS and graceful restart decodes field by field and encodes back to the same bytes', () => {
  assert.deepEqual(decodeOpen(OPEN_VECTOR), OPEN_VALUE);
  assert.deepEqual(encodeOpen(OPEN_VALUE), OPEN_VECTOR);
});

test('capabilities spread over several optional parameters are merged, unknown ones kept raw (RFC 5492 §4)', () => {
  const open = decodeOpen(withHeader(1, hex(`04 fde9 00b4 c0000201 0e  02 06 01 04 0001 00 01  02 04 46 02 abcd`)));
  assert.deepEqual(open.capabilities.multiprotocol, [IPV4_UNICAST]);
  assert.deepEqual(open.capabilities.other, [{ code: 0x46, value: hex('abcd') }]);
  assert.equal(open.capabilities.fourOctetAs, null);
  assert.equal(openAsn(open), 65001);
});

test('a 4-octet AS goes in the capability with AS_TRANS in My AS, and the peer AS is read back from the capability (RFC 6793 §4.1)', () => {
  const open = makeOpen({ asn: 4200000001, holdTime: 90, bgpId: 1, capabilities: { multiprotocol: [], routeRefresh: false, gracefulRestart: null, other: [] } });
  assert.equal(open.myAs, AS_TRANS);
  const decoded = decodeOpen(encodeOpen(open));
  assert.equal(decoded.myAs, 23456);
  assert.equal(openAsn(decoded), 4200000001);
  assert.equal(makeOpen({ asn: 65001, holdTime: 0, bgpId: 1, capabilities: OPEN_VALUE.capabilities }).myAs, 65001);
});

test('graceful restart R and N bits and the 12-bit restart time round-trip (RFC 4724 §3, RFC 8538 §2)', () => {
  const gr = { restarting: true, notification: true, restartTime: 4095, families: [{ afi: 2, safi: 1, forwardingPreserved: false }] };
  const open = { ...OPEN_VALUE, capabilities: { ...OPEN_VALUE.capabilities, gracefulRestart: gr } };
  const wire = encodeOpen(open);
  assert.ok(wire.includes(hex('40 06 cfff 0002 01 00')));
  assert.deepEqual(decodeOpen(wire).capabilities.gracefulRestart, gr);
  assert.throws(() => encodeOpen({ ...open, capabilities: { ...open.capabilities, gracefulRestart: { ...gr, restartTime: 4096 } } }), BgpEncodeError);
});

test('OPEN errors carry the RFC 4271 §6.2 subcode and data', () => {
  openFails('03 fde9 005a c0000201 00', 2, 1, '0004'); // version 3: data is the version we support
  openFails('04 0000 005a c0000201 00', 2, 2, '0000'); // AS 0 (RFC 7607 §2)
  openFails('04 fde9 005a 00000000 00', 2, 3, '00000000'); // BGP Identifier 0 (RFC 6286)
  openFails('04 fde9 0002 c0000201 00', 2, 6); // hold time 2
  openFails('04 fde9 0001 c0000201 00', 2, 6); // hold time 1
  openFails('04 fde9 005a c0000201 02 01 00', 2, 4); // parameter type 1 (authentication, deprecated)
  openFails('04 fde9 005a c0000201 05 02 03 01 04 00', 2, 0); // capability runs past its parameter
  openFails('04 fde9 005a c0000201 05 02 03 01 01 00', 2, 0, '010100'); // multiprotocol capability of length 1
  openFails('04 fde9 005a c0000201 06 02 04 41 02 0000', 2, 0); // 4-octet AS capability of length 2
  openFails('04 fde9 005a c0000201 08 02 06 41 04 00000000', 2, 2); // 4-octet AS 0
  openFails('04 fde9 005a c0000201 09 02 02 02 00', 2, 0); // Optional Parameters Length larger than the message
  assert.equal(decodeOpen(withHeader(1, hex('04 fde9 0000 c0000201 00'))).holdTime, 0);
  assert.equal(decodeOpen(withHeader(1, hex('04 fde9 0003 c0000201 00'))).holdTime, 3);
});

test('an OPEN whose capabilities do not fit one optional parameter is refused at encode time', () => {
  const other = Array.from({ length: 30 }, (_, i) => ({ code: 200 + i, value: Buffer.alloc(7) }));
  assert.throws(() => encodeOpen({ ...OPEN_VALUE, capabilities: { ...OPEN_VALUE.capabilities, other } }), BgpEncodeError);
});
