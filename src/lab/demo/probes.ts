import { AirlbError } from '../../errors.js';
import type { Lab } from '../lab.js';

/**
 * What a client on the LAN sees, measured with the tools the field guide uses: an HTTP request
 * to the VIP (its "curl http://VIP"), `arping` for the VIP and for the node's own address ("if
 * arping times out but the node's real IP is reachable, WiFi ARP is the problem"), and the
 * client's neighbour entry. Run with Node itself as the HTTP client, so nothing beyond the lab's
 * own tools is needed.
 */

export interface HttpResult {
  readonly answered: boolean;
  /** The node that served the request (the web server names itself). */
  readonly servedBy: string | null;
  /** Why it failed: EHOSTUNREACH when ARP got no answer, ETIMEDOUT, ... */
  readonly error: string | null;
  readonly ms: number;
}

const httpClient = [
  'const [host, port, timeout] = process.argv.slice(1);',
  'const started = performance.now();',
  'const done = (r) => { console.log(JSON.stringify({ ...r, ms: Math.round(performance.now() - started) })); process.exit(0); };',
  "const req = require('node:http').get({ host, port: Number(port), path: '/', timeout: Number(timeout), agent: false }, (res) => {",
  "  let body = ''; res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => done({ answered: true, body }));",
  '});',
  "req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));",
  "req.on('error', (err) => done({ answered: false, error: err.code ?? err.message }));",
].join('\n');

/**
 * One HTTP GET from `client` to `ip:port`. When ARP gets no answer the kernel gives up after its
 * three solicitations one second apart (mcast_solicit × retrans_time) with EHOSTUNREACH, so the
 * default timeout leaves room for that.
 */
export async function httpGet(lab: Lab, client: string, ip: string, port: number, timeoutMs = 4000): Promise<HttpResult> {
  const r = await lab.exec(client, [process.execPath, '-e', httpClient, ip, String(port), String(timeoutMs)], { timeoutMs: timeoutMs + 5000 });
  // No answer is a result; a client that could not run (the namespace gone) is not.
  if (r.code !== 0) throw new AirlbError('demo-probe-failed', `the HTTP client in ${client} failed (${r.code}): ${r.stderr.trim()}`);
  const parsed = JSON.parse(r.stdout) as { answered: boolean; body?: string; error?: string; ms: number };
  const served = parsed.body === undefined ? null : /served by (\S+)/.exec(parsed.body)?.[1] ?? null;
  return { answered: parsed.answered, servedBy: served, error: parsed.error ?? null, ms: parsed.ms };
}

export interface ArpingResult {
  readonly replies: number;
  /** The MAC that answered, lowercase; null when nobody did. */
  readonly mac: string | null;
}

/** One ARP request from `client` for `ip`, waiting at most a second (iputils arping). */
export async function arping(lab: Lab, client: string, ip: string): Promise<ArpingResult> {
  const r = await lab.exec(client, ['arping', '-c', '1', '-w', '1', '-I', lab.node(client).iface, ip]);
  const received = /Received (\d+) response/.exec(r.stdout);
  if (received === null) throw new AirlbError('demo-probe-failed', `arping in ${client} did not run: ${r.stdout.trim()} ${r.stderr.trim()}`);
  const replies = Number(received[1]);
  const mac = /reply from \S+ \[([0-9a-fA-F:]{17})\]/.exec(r.stdout)?.[1]?.toLowerCase() ?? null;
  return { replies, mac };
}

export interface NeighbourEntry {
  readonly lladdr: string | null;
  readonly state: string;
}

/** The client's neighbour-table entry for `ip` (state NONE when there is none). */
export async function neighbour(lab: Lab, client: string, ip: string): Promise<NeighbourEntry> {
  const r = await lab.exec(client, ['ip', '-j', 'neigh', 'show', 'to', ip, 'dev', lab.node(client).iface]);
  if (r.code !== 0) throw new AirlbError('demo-probe-failed', `ip neigh show in ${client} failed: ${r.stderr.trim()}`);
  const entries = JSON.parse(r.stdout.trim() || '[]') as { lladdr?: string; state?: string[] }[];
  const entry = entries[0];
  return { lladdr: entry?.lladdr ?? null, state: entry?.state?.join(',') ?? 'NONE' };
}

/** Makes the client resolve `ip` afresh, like a device that has never talked to it. */
export async function forgetNeighbour(lab: Lab, client: string, ip: string): Promise<void> {
  await lab.exec(client, ['ip', 'neigh', 'del', ip, 'dev', lab.node(client).iface]);
}

/** A permanent entry, the field guide's `arp -s VIP MAC` (Solution 1). */
export async function pinNeighbour(lab: Lab, client: string, ip: string, mac: string): Promise<void> {
  const r = await lab.exec(client, ['ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', lab.node(client).iface, 'nud', 'permanent']);
  if (r.code !== 0) throw new AirlbError('demo-setup-failed', `cannot add the static entry ${ip} -> ${mac} on ${client}: ${r.stderr.trim()}`);
}
