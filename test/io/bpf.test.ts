import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { arpFilter, BPF_INSTRUCTION_SIZE, compileBpf, neighborDiscoveryFilter } from '../../src/io/bpf.js';
import { arpProbe, arpRequest } from '../../src/proto/arp/forms.js';
import { encodeArpFrame } from '../../src/proto/arp/frame.js';
import { encodeEthernet, EtherType } from '../../src/proto/ethernet/frame.js';
import { encodeNeighborFrame } from '../../src/proto/ndp/frame.js';

/**
 * Runs a compiled program the way the kernel does (ld abs / jeq k / ret k only — all compileBpf
 * emits); an unknown opcode fails the test. An out-of-bounds load drops the frame, as in the kernel.
 * The real kernel accepting these programs is covered by test/io/packet-socket.test.ts.
 */
function run(program: Buffer, frame: Buffer): number {
  const little = endianness() === 'LE';
  let pc = 0;
  let a = 0;
  for (let steps = 0; steps < 4096; steps++) {
    const at = pc * BPF_INSTRUCTION_SIZE;
    assert.ok(at < program.length, 'ran off the end of the program');
    const code = little ? program.readUInt16LE(at) : program.readUInt16BE(at);
    const jt = program[at + 2]!;
    const jf = program[at + 3]!;
    const k = little ? program.readUInt32LE(at + 4) : program.readUInt32BE(at + 4);
    const size = code === 0x30 ? 1 : code === 0x28 ? 2 : code === 0x20 ? 4 : 0;
    if (size > 0) {
      if (k + size > frame.length) return 0;
      a = frame.readUIntBE(k, size);
      pc++;
    } else if (code === 0x15) {
      pc += 1 + (a === k ? jt : jf);
    } else if (code === 0x06) {
      return k;
    } else {
      assert.fail(`unexpected opcode 0x${code.toString(16)}`);
    }
  }
  assert.fail('program did not terminate');
}

const MAC_A = '02:00:00:00:00:01';
const MAC_B = '02:00:00:00:00:02';

describe('classic BPF filters', () => {
  it('ARP filter accepts requests, replies and probes and drops other ARP and non-ARP frames', () => {
    const filter = arpFilter();
    const request = encodeArpFrame(arpRequest({ senderMac: MAC_A, senderIp: '10.0.0.1', targetIp: '10.0.0.2' }));
    assert.ok(run(filter, request) > 0);
    assert.ok(run(filter, encodeArpFrame(arpProbe({ senderMac: MAC_A, ip: '10.0.0.2' }))) > 0);
    const rarp = Buffer.from(request);
    rarp.writeUInt16BE(3, 20); // opcode 3: RARP request
    assert.equal(run(filter, rarp), 0);
    const ipv4 = encodeEthernet({ destination: MAC_B, source: MAC_A, etherType: EtherType.ipv4, payload: Buffer.alloc(40) });
    assert.equal(run(filter, ipv4), 0);
    assert.equal(run(filter, request.subarray(0, 20)), 0);
  });

  it('NDP filter accepts NS and NA and drops other ICMPv6 and other IPv6', () => {
    const filter = neighborDiscoveryFilter();
    const ns = encodeNeighborFrame({ kind: 'ns', source: 'fe80::1', destination: 'ff02::1:ff00:2', target: '2001:db8::2', sourceLinkAddr: MAC_A }, MAC_A);
    const na = encodeNeighborFrame(
      { kind: 'na', source: '2001:db8::2', destination: 'fe80::1', target: '2001:db8::2', router: false, solicited: true, override: true, targetLinkAddr: MAC_B },
      MAC_B,
      MAC_A,
    );
    assert.ok(run(filter, ns) > 0);
    assert.ok(run(filter, na) > 0);
    const routerSolicitation = Buffer.from(ns);
    routerSolicitation[54] = 133;
    assert.equal(run(filter, routerSolicitation), 0);
    const udp = Buffer.from(ns);
    udp[20] = 17;
    assert.equal(run(filter, udp), 0);
  });

  it('compiles each value of a check into a jump that skips the rest of that check', () => {
    const program = compileBpf([{ offset: 0, size: 1, anyOf: [1, 2, 3] }]);
    // ld, 3 × jeq, ret accept, ret drop
    assert.equal(program.length, 6 * BPF_INSTRUCTION_SIZE);
    for (const [byte, accepted] of [[1, true], [2, true], [3, true], [4, false]] as const) {
      assert.equal(run(program, Buffer.from([byte])) > 0, accepted, `value ${byte}`);
    }
    assert.throws(() => compileBpf([{ offset: 0, size: 1, anyOf: [] }]), RangeError);
  });
});
