import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { arpReply } from '../../src/standalone/frames.js';
import { requireNetworkPrivileges } from '../support/root.js';

/**
 * The packet socket against real clients, across a veth pair between two namespaces this test
 * creates: "resp" runs our code (fixtures/*.ts), "client" runs arping / ndisc6 / ping.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = 'test/io/fixtures';
const prefix = `alb${randomBytes(2).toString('hex')}`;
const RESP_NS = `${prefix}resp`;
const CLIENT_NS = `${prefix}cli`;
const RESP_IF = `${prefix}r`;
const CLIENT_IF = `${prefix}c`;
const VIP4 = '10.77.0.200';
const VIP6 = '2001:db8:77::c8';
const children: ChildProcessWithoutNullStreams[] = [];

function run(args: readonly string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: timeoutMs, cwd: ROOT });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function must(args: readonly string[]): string {
  const result = run(args);
  assert.equal(result.status, 0, `${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A long-running fixture whose stdout lines can be awaited. */
class Fixture {
  readonly lines: string[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  #waiters: Array<() => void> = [];

  constructor(namespace: string, script: string, args: readonly string[], nodeFlags: readonly string[] = []) {
    this.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...nodeFlags, '--import', 'tsx', `${FIXTURES}/${script}`, ...args], { cwd: ROOT });
    children.push(this.child);
    let stderr = '';
    this.child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        if (code !== 0) process.stderr.write(`${script} exited ${code}: ${stderr}\n`);
        for (const wake of this.#waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  /** The first line matching, waiting at most timeoutMs. */
  async waitFor(match: (line: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) assert.fail(`timed out waiting for ${what}; output so far: ${this.lines.join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async exit(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fixture did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const event = (name: string) => (line: string) => (JSON.parse(line) as { event?: string }).event === name;

function promiscuity(): number {
  const out = must(['ip', '-n', RESP_NS, '-d', 'link', 'show', RESP_IF]);
  const m = /promiscuity (\d+)/.exec(out);
  assert.ok(m, `no promiscuity in: ${out}`);
  return Number(m[1]);
}

describe('packet socket on a veth pair between two namespaces', () => {
  before(() => {
    requireNetworkPrivileges(['ip', 'arping', 'ndisc6', 'ping', 'setpriv']);
    must(['ip', 'netns', 'add', RESP_NS]);
    must(['ip', 'netns', 'add', CLIENT_NS]);
    must(['ip', 'link', 'add', RESP_IF, 'netns', RESP_NS, 'type', 'veth', 'peer', 'name', CLIENT_IF, 'netns', CLIENT_NS]);
    for (const [ns, ifname, v4, v6] of [
      [RESP_NS, RESP_IF, '10.77.0.2/24', '2001:db8:77::2/64'],
      [CLIENT_NS, CLIENT_IF, '10.77.0.1/24', '2001:db8:77::1/64'],
    ] as const) {
      // No DAD, so addresses (link-local included) are usable as soon as the link is up.
      must(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${ifname}.accept_dad=0`]);
      must(['ip', '-n', ns, 'addr', 'add', v4, 'dev', ifname]);
      must(['ip', '-n', ns, 'addr', 'add', v6, 'dev', ifname, 'nodad']);
      must(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
    }
    // IPv6 is usable (ndisc6 can send) only once the link-local address exists, a few ms after up.
    for (const [ns, ifname] of [[RESP_NS, RESP_IF], [CLIENT_NS, CLIENT_IF]] as const) {
      const deadline = Date.now() + 5000;
      const ready = (): boolean => /inet6 fe80::\S+ scope link(?![^\n]*tentative)/.test(must(['ip', '-n', ns, '-6', 'addr', 'show', 'dev', ifname]));
      while (!ready()) {
        assert.ok(Date.now() < deadline, `${ifname}: no usable link-local address after 5 s`);
        spawnSync('sleep', ['0.05']);
      }
    }
  });

  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    // Deleting the namespaces deletes the veth pair with them.
    run(['ip', 'netns', 'del', RESP_NS]);
    run(['ip', 'netns', 'del', CLIENT_NS]);
  });

  it('receives the ARP request arping sends and arping prints the MAC of our reply', async () => {
    const responder = new Fixture(RESP_NS, 'l2-responder.ts', [RESP_IF, VIP4, VIP6]);
    const ready = JSON.parse(await responder.waitFor(event('ready'), 'the responder')) as { mac: string };
    const arping = run(['ip', 'netns', 'exec', CLIENT_NS, 'arping', '-c', '1', '-w', '3', '-I', CLIENT_IF, VIP4]);
    assert.equal(arping.status, 0, `arping got no reply: ${arping.stdout}${arping.stderr}`);
    assert.match(arping.stdout.toLowerCase(), new RegExp(`reply from ${VIP4.replaceAll('.', '\\.')} \\[${ready.mac}\\]`));
    const seen = JSON.parse(await responder.waitFor((l) => l.includes(`"targetIp":"${VIP4}"`), 'the ARP request')) as Record<string, unknown>;
    assert.deepEqual(seen, { event: 'arp', op: 1, senderIp: '10.77.0.1', targetIp: VIP4, packetType: 'broadcast' });

    // The NS from ndisc6 goes to the solicited-node group we joined (visible in `ip maddr`).
    const groups = must(['ip', '-n', RESP_NS, 'maddr', 'show', 'dev', RESP_IF]);
    assert.match(groups, /link\s+33:33:ff:00:00:c8/);
    const ndisc = run(['ip', 'netns', 'exec', CLIENT_NS, 'ndisc6', '-1', '-r', '2', '-w', '1500', VIP6, CLIENT_IF], 10_000);
    assert.equal(ndisc.status, 0, `ndisc6 got no answer: ${ndisc.stdout}${ndisc.stderr}`);
    assert.match(ndisc.stdout.toLowerCase(), new RegExp(`target link-layer address: ${ready.mac}`));
    const ns = JSON.parse(await responder.waitFor(event('ns'), 'the NS')) as Record<string, unknown>;
    assert.equal(ns.target, VIP6);
    assert.equal(ns.packetType, 'multicast');

    responder.child.stdin.write('drop\n');
    await responder.waitFor(event('dropped'), 'leaving the group');
    assert.doesNotMatch(must(['ip', '-n', RESP_NS, 'maddr', 'show', 'dev', RESP_IF]), /33:33:ff:00:00:c8/);

    // End of stdin closes both sockets; the process must then exit by itself.
    responder.child.stdin.end();
    await responder.waitFor(event('closed'), 'close');
    assert.equal(await responder.exit(), 0);
  });

  it('reports ENETDOWN when the link goes down and answers again once it is back up', async () => {
    const responder = new Fixture(RESP_NS, 'l2-responder.ts', [RESP_IF, VIP4, VIP6]);
    await responder.waitFor(event('ready'), 'the responder');
    must(['ip', '-n', RESP_NS, 'link', 'set', RESP_IF, 'down']);
    const error = JSON.parse(await responder.waitFor(event('error'), 'the error event')) as Record<string, unknown>;
    assert.deepEqual(error, { event: 'error', code: 'packet-socket', errno: 'ENETDOWN' });
    must(['ip', '-n', RESP_NS, 'link', 'set', RESP_IF, 'up']);
    const arping = run(['ip', 'netns', 'exec', CLIENT_NS, 'arping', '-c', '1', '-w', '5', '-I', CLIENT_IF, VIP4]);
    assert.equal(arping.status, 0, `no reply after the link came back: ${arping.stdout}${arping.stderr}`);
    responder.child.stdin.end();
    assert.equal(await responder.exit(), 0);
  });

  it('shows promiscuity while a promiscuous socket is open and not after close()', async () => {
    assert.equal(promiscuity(), 0);
    const holder = new Fixture(RESP_NS, 'promiscuous.ts', [RESP_IF]);
    await holder.waitFor((l) => l === 'open', 'the promiscuous socket');
    assert.equal(promiscuity(), 1);
    holder.child.stdin.write('close\n');
    await holder.waitFor((l) => l === 'closed', 'close');
    assert.equal(promiscuity(), 0, 'close() must release promiscuous mode while the process lives on');
    holder.child.stdin.end();
    assert.equal(await holder.exit(), 0);
  });

  it('answers from the ARP fast path exactly the requests its table covers, with the bytes the engine would send, and stops the moment the table is emptied', async () => {
    const responder = new Fixture(RESP_NS, 'arp-fast-path.ts', [RESP_IF]);
    const { mac } = JSON.parse(await responder.waitFor(event('ready'), 'the responder')) as { mac: string };
    const asker = new Fixture(CLIENT_NS, 'arp-asker.ts', [CLIENT_IF]);
    let acks = 0;
    const command = async (line: string): Promise<void> => {
      responder.child.stdin.write(`${line}\n`);
      const want = ++acks;
      await responder.waitFor(() => responder.lines.filter(event('ok')).length >= want, `ack of ${line}`);
    };
    let asked = 0;
    const ask = async (senderMac: string, senderIp: string, targetIp: string): Promise<Buffer | null> => {
      asker.child.stdin.write(`${senderMac} ${senderIp} ${targetIp}\n`);
      const n = asked++;
      await asker.waitFor(() => asker.lines.length > n, `the answer to request ${n}`);
      const { reply } = JSON.parse(asker.lines[n]!) as { reply: string | null };
      return reply === null ? null : Buffer.from(reply, 'hex');
    };
    const OWN = '02:a1:b0:00:00:01';
    const CLIENT = '02:a1:c0:00:00:01';
    await command(`table ${mac} ${OWN} ${VIP4} 10.77.0.210`);

    // RFC 826 reply to the asker, byte for byte what src/standalone/frames.ts arpReply builds.
    const facts = (senderIp: string, targetIp: string) => ({ op: 1, senderMac: CLIENT, senderIp, targetIp, ifname: RESP_IF });
    assert.deepEqual(await ask(CLIENT, '10.77.0.1', VIP4), arpReply(mac, facts('10.77.0.1', VIP4)));
    assert.deepEqual(await ask(CLIENT, '10.77.0.1', '10.77.0.210'), arpReply(mac, facts('10.77.0.1', '10.77.0.210')));
    // An RFC 5227 probe for a covered address is defended like any request.
    assert.deepEqual(await ask(CLIENT, '0.0.0.0', VIP4), arpReply(mac, facts('0.0.0.0', VIP4)));
    // Not in the table, an announcement (sender IP = target IP), and a request from one of our own MACs.
    assert.equal(await ask(CLIENT, '10.77.0.1', '10.77.0.205'), null);
    assert.equal(await ask(CLIENT, VIP4, VIP4), null);
    assert.equal(await ask(OWN, '10.77.0.1', VIP4), null);

    // Release: once the table is replaced, the very next request goes unanswered.
    await command('off');
    assert.equal(await ask(CLIENT, '10.77.0.1', VIP4), null);

    // Every request still reached JS, flagged with whether the fast path answered it.
    const frames = responder.lines.filter(event('frame')).map((l) => JSON.parse(l) as { senderIp: string; targetIp: string; answered: boolean });
    assert.deepEqual(
      frames.map((f) => `${f.senderIp}>${f.targetIp}:${f.answered}`),
      [
        `10.77.0.1>${VIP4}:true`,
        '10.77.0.1>10.77.0.210:true',
        `0.0.0.0>${VIP4}:true`,
        '10.77.0.1>10.77.0.205:false',
        `${VIP4}>${VIP4}:false`,
        `10.77.0.1>${VIP4}:false`,
        `10.77.0.1>${VIP4}:false`,
      ],
    );
    asker.child.stdin.end();
    responder.child.stdin.end();
    assert.equal(await asker.exit(), 0);
    assert.equal(await responder.exit(), 0);
  });

  it('closes with frames pending without crashing, delivering nothing after close, and leaks no fd', async () => {
    const flood = spawn('ip', ['netns', 'exec', CLIENT_NS, 'ping', '-f', '-q', '-w', '8', '10.77.0.2'], { cwd: ROOT });
    children.push(flood);
    try {
      const checker = new Fixture(RESP_NS, 'close-under-load.ts', [RESP_IF], ['--expose-gc']);
      const line = await checker.waitFor(() => true, 'the result', 15_000);
      const result = JSON.parse(line) as {
        inside: { before: number; after: number };
        queueFull: { after: number };
        leaks: { fdsBefore: number; fdsAfter: number };
      };
      assert.deepEqual(result.inside, { before: 1, after: 0 });
      assert.equal(result.queueFull.after, 0);
      assert.equal(result.leaks.fdsAfter, result.leaks.fdsBefore);
      assert.equal(await checker.exit(), 0);
    } finally {
      flood.kill('SIGKILL');
    }
  });

  it('names the interface when it does not exist and CAP_NET_RAW when it is missing', () => {
    const missing = run(['ip', 'netns', 'exec', RESP_NS, process.execPath, '--import', 'tsx', `${FIXTURES}/open-error.ts`, `${prefix}none`]);
    assert.equal(missing.status, 0, missing.stderr);
    const noDevice = JSON.parse(missing.stdout) as { code: string; errno: string; message: string };
    assert.equal(noDevice.code, 'no-such-interface');
    assert.equal(noDevice.errno, 'ENODEV');
    assert.match(noDevice.message, new RegExp(`${prefix}none`));

    const unprivileged = run([
      'ip', 'netns', 'exec', RESP_NS,
      'setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw',
      process.execPath, '--import', 'tsx', `${FIXTURES}/open-error.ts`, RESP_IF,
    ]);
    assert.equal(unprivileged.status, 0, unprivileged.stderr);
    const noCap = JSON.parse(unprivileged.stdout) as { code: string; errno: string; message: string };
    assert.equal(noCap.code, 'needs-cap-net-raw');
    assert.equal(noCap.errno, 'EPERM');
    assert.match(noCap.message, /CAP_NET_RAW/);
  });
});
