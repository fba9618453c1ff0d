import { AirlbError } from '../../errors.js';
import { formatIssue, loadConfig } from '../../domain/config/index.js';
import { readConfigSources } from '../../io/config-files.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command } from '../command.js';

const help = `Usage: airlb validate -f PATH [-f PATH ...] [--json]

Checks MetalLB configuration (IPAddressPool, L2Advertisement, BGPPeer, BGPAdvertisement,
Community, BFDProfile) and the Kubernetes objects it applies to (Service, Node, Namespace,
EndpointSlice) with MetalLB's rules, and prints every problem at once as
  FILE:LINE: Kind/name: field.path: message

Options:
  -f, --file PATH   a YAML/JSON file, or a folder read recursively (*.yaml, *.yml, *.json);
                    repeat for more
  --json            print {"valid": bool, "errors": [{file, line, kind, name, path, message}]}
                    on stdout instead of text on stderr
  -h, --help        this text

Other kinds are skipped with a note on stderr. Exit status: 0 valid, 1 invalid,
2 usage error or unreadable path. Supported fields and every rule: docs/configuration.md
`;

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
    const { issues, ignored } = loadConfig(sources);
    for (const doc of ignored) {
      const name = doc.name === '' ? '' : `/${doc.name}`;
      io.stderr.write(`${doc.file}:${doc.line}: note: skipped ${doc.apiVersion} ${doc.kind}${name} (${doc.reason})\n`);
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ valid: issues.length === 0, errors: issues }, null, 2)}\n`);
    } else {
      for (const issue of issues) io.stderr.write(`${formatIssue(issue)}\n`);
      if (issues.length === 0) io.stdout.write(`valid: ${sources.length} file${sources.length === 1 ? '' : 's'} checked\n`);
      else io.stderr.write(`${issues.length} problem${issues.length === 1 ? '' : 's'} found\n`);
    }
    return issues.length === 0 ? 0 : 1;
  },
};
