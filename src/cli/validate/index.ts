import { AirlbError } from '../../errors.js';
import { formatIssue, formatWarning, loadConfig } from '../../domain/config/index.js';
import { readConfigSources } from '../../io/config-files.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command } from '../command.js';

const help = `Usage: airlb validate -f PATH [-f PATH ...] [--json]

Checks MetalLB configuration (IPAddressPool, L2Advertisement, BGPPeer, BGPAdvertisement,
Community, BFDProfile) and the Kubernetes objects it applies to (Service, Node, Namespace,
EndpointSlice) with MetalLB's rules, and prints every problem at once as
  FILE:LINE: Kind/name: field.path: message
MetalLB fields that airlb accepts but does not honour yet are warnings:
  FILE:LINE: warning: Kind/name: field.path: message

Options:
  -f, --file PATH   a YAML/JSON file, or a folder read recursively (*.yaml, *.yml, *.json);
                    repeat for more
  --json            print {"valid": bool, "errors": [...], "warnings": [...]} on stdout, each
                    entry {file, line, kind, name, path, message}, instead of text on stderr
  -h, --help        this text

Other kinds are skipped with a note on stderr. Exit status: 0 valid (warnings or not),
1 invalid, 2 usage error or unreadable path. Supported fields and every rule:
docs/configuration.md
`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const validateCommand: Command = {
  name: 'validate',
  help,
  async run(args, io) {
    if (wantsHelp(args)) {
      io.stdout.write(help);
      return 0;
    }
    const { values } = parseCommandArgs('validate', args, {
      file: { type: 'string', short: 'f', multiple: true },
      json: { type: 'boolean' },
    });
    const paths = values.file ?? [];
    if (paths.length === 0) {
      io.stderr.write(`airlb validate: give at least one -f PATH (see 'airlb validate --help')\n`);
      return 2;
    }
    let sources;
    try {
      sources = await readConfigSources(paths);
    } catch (err) {
      // A path that cannot be read is a mistake in the command line, not an invalid config.
      if (!(err instanceof AirlbError)) throw err;
      io.stderr.write(`airlb validate: ${err.message} [${err.code}]\n`);
      return 2;
    }
    const { issues, warnings, ignored } = loadConfig(sources);
    for (const doc of ignored) {
      const name = doc.name === '' ? '' : `/${doc.name}`;
      io.stderr.write(`${doc.file}:${doc.line}: note: skipped ${doc.apiVersion} ${doc.kind}${name} (${doc.reason})\n`);
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ valid: issues.length === 0, errors: issues, warnings }, null, 2)}\n`);
    } else {
      // Warnings and errors interleaved in file order, as a compiler prints them.
      const lines = [...issues.map((i) => ({ i, text: formatIssue(i) })), ...warnings.map((i) => ({ i, text: formatWarning(i) }))];
      const order = new Map(sources.map((s, n) => [s.file, n] as const));
      lines.sort((a, b) => (order.get(a.i.file) ?? 0) - (order.get(b.i.file) ?? 0) || a.i.line - b.i.line);
      for (const { text } of lines) io.stderr.write(`${text}\n`);
      const warned = warnings.length === 0 ? '' : `, ${plural(warnings.length, 'warning')}`;
      if (issues.length === 0) io.stdout.write(`valid: ${plural(sources.length, 'file')} checked${warned}\n`);
      else io.stderr.write(`${plural(issues.length, 'problem')} found${warned}\n`);
    }
    return issues.length === 0 ? 0 : 1;
  },
};
