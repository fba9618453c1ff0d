import type { Command, CommandIo } from '../command.js';
import { wantsHelp } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../../errors.js';
import { loadConfig } from '../../domain/config/index.js';
import { formatIssue, formatWarning } from '../../domain/config/format.js';
import { readConfigSources } from '../../io/config-files.js';
import { buildPlan, type Plan } from './build-plan.js';
import { renderTable } from '../table.js';

const help = `Usage: airlb plan -f PATH [-f PATH ...] [--json]

Validates the configuration, allocates an address to every LoadBalancer Service as the controller
would (MetalLB's rules), elects the node that announces each address by ARP/NDP, and lists the
routes each node sends its BGP peers, as the speakers would.
PATH is a YAML/JSON file or a folder of them: metallb.io resources, Services, Nodes, Namespaces,
EndpointSlices. Pending Services are results, not failures. MetalLB fields airlb accepts but does
not honour yet are printed on stderr as for 'airlb validate':
  FILE:LINE: warning: Kind/name: field.path: message

Options:
  -f, --file PATH   input file or folder (repeatable)
  --json            print {"services": [...], "l2": [...], "bgp": [...]} on stdout
  -h, --help        this text

Exit status: 0 a plan was computed, 1 invalid configuration, 2 usage error.
`;

function renderHuman(plan: Plan): string {
  const out: string[] = [];
  if (plan.services.length === 0) {
    out.push('No LoadBalancer Services in the inputs (add Service manifests to plan their addresses).');
  } else {
    out.push(
      renderTable(
        ['SERVICE', 'ADDRESSES', 'POOL', 'STATUS'],
        plan.services.map((s) => [
          `${s.namespace}/${s.name}`,
          s.ips.length > 0 ? s.ips.join(',') : '-',
          s.pool ?? '-',
          s.error === null ? 'allocated' : `pending: ${s.error}`,
        ]),
      ),
    );
  }
  if (plan.l2.length > 0) {
    out.push('', 'Layer 2 announcements:');
    out.push(
      renderTable(
        ['ADDRESS', 'SERVICE', 'NODE', 'INTERFACES'],
        plan.l2.map((a) => [
          a.ip,
          a.service,
          a.node ?? `nobody (${a.reason})`,
          a.node === null ? '-' : a.allInterfaces ? 'all eligible' : a.interfaces.join(','),
        ]),
      ),
    );
  }
  if (plan.bgp.length > 0) {
    out.push('', 'BGP announcements:');
    out.push(
      renderTable(
        ['PREFIX', 'NODE', 'PEERS', 'LOCALPREF', 'COMMUNITIES'],
        plan.bgp.map((r) => [r.prefix, r.node, r.peers.join(','), r.localPref === null ? '-' : String(r.localPref), r.communities.join(',') || '-']),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('plan', args, {
    file: { type: 'string', short: 'f', multiple: true },
    json: { type: 'boolean' },
  });
  const files = values.file ?? [];
  if (files.length === 0) throw new UsageError("plan: at least one -f PATH is required (see 'airlb plan --help')");
  const sources = await readConfigSources(files);
  const { config, issues, warnings, ignored } = loadConfig(sources);
  for (const doc of ignored) io.stderr.write(`note: ${doc.file}:${doc.line}: ignoring ${doc.kind}/${doc.name} (${doc.apiVersion}): not a kind airlb reads\n`);
  // On stderr in both modes, so --json output stays one document.
  for (const warning of warnings) io.stderr.write(`${formatWarning(warning)}\n`);
  if (issues.length > 0) {
    for (const issue of issues) io.stderr.write(`${formatIssue(issue)}\n`);
    io.stderr.write(`airlb plan: ${issues.length} configuration error${issues.length === 1 ? '' : 's'}; nothing planned\n`);
    return 1;
  }
  const plan = buildPlan(config);
  if (values.json === true) {
    const json = {
      services: plan.services.map((s) => ({ namespace: s.namespace, name: s.name, ips: s.ips, pool: s.pool, error: s.error, reason: s.reason })),
      l2: plan.l2.map((a) => ({ ip: a.ip, service: a.service, node: a.node, interfaces: a.interfaces, allInterfaces: a.allInterfaces, reason: a.reason })),
      bgp: plan.bgp,
    };
    io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout.write(renderHuman(plan));
  }
  return 0;
}

export const planCommand: Command = {
  name: 'plan',
  help,
  run,
};
