import { join } from 'node:path';
import { AirlbError } from '../../errors.js';
import type { Lab } from '../lab.js';
import { DemoProcess } from './processes.js';

/**
 * What stands behind the VIP on each node, in place of kube-proxy and a pod: the VIP as a /32 on
 * `lo`, so the node accepts traffic addressed to it, and a tiny HTTP server that says which node
 * served the request — the evidence of where the client's packets went.
 *
 * With the VIP on an interface the kernel would answer ARP for it itself, on every node at once.
 * `arp_ignore=1` (answer only for addresses on the interface the request came in on — never for
 * one on `lo`) and `arp_announce=2` (never use the VIP as the sender of the node's own requests)
 * leave ARP for the VIP to airlb alone; that is what kube-proxy's IPVS mode with `strictARP: true`
 * sets up in a real cluster (ip-sysctl.rst documents both). The kernel uses the larger of the
 * `all` and per-interface values, so writing `all` is enough.
 */

const server = [
  "const [name, port] = process.argv.slice(1);",
  "require('node:http')",
  "  .createServer((req, res) => res.end(`served by ${name}\\n`))",
  "  .listen(Number(port), () => console.log(`listening on ${port}`));",
].join('\n');

export async function startWorkload(lab: Lab, vip: string, port: number, logDir: string): Promise<DemoProcess[]> {
  const nodes = lab.nodes().filter((n) => n.role === 'node');
  const processes: DemoProcess[] = [];
  for (const node of nodes) {
    for (const argv of [
      ['sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'],
      ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo'],
    ]) {
      const r = await lab.exec(node.name, argv);
      if (r.code !== 0) throw new AirlbError('demo-setup-failed', `${argv.join(' ')} in ${node.name} failed: ${r.stderr.trim()}`);
    }
    processes.push(DemoProcess.start(`web server on ${node.name}`, node.netns, [process.execPath, '-e', server, node.name, String(port)], join(logDir, `web-${node.name}.log`)));
  }
  return processes;
}
