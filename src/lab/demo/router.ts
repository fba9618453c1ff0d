import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../domain/config/index.js';
import { formatIssue } from '../../domain/config/format.js';
import { routerConfig } from '../../domain/router-config/index.js';
import { AirlbError } from '../../errors.js';
import { readConfigSources } from '../../io/config-files.js';
import type { Lab } from '../lab.js';
import { DemoProcess, waitUntil } from './processes.js';

/**
 * The home router's half of BGP mode: BIRD 2 in the lab's router namespace, configured by what
 * `airlb router-config --for bird` prints for the same manifests the speakers read — one
 * neighbour per Node, only the pools' prefixes accepted, the routes installed in the router's
 * kernel as one multipath route (docs/router-config.md).
 */
export async function startBird(lab: Lab, router: string, manifestDir: string, runDir: string): Promise<DemoProcess> {
  const { config, issues } = loadConfig(await readConfigSources([manifestDir]));
  if (issues.length > 0) throw new AirlbError('demo-setup-failed', `the BGP manifests do not load:\n${issues.map(formatIssue).join('\n')}`);
  const conf = join(runDir, 'bird.conf');
  await writeFile(conf, routerConfig('bird', config).text);
  const argv = ['bird', '-f', '-c', conf, '-s', join(runDir, 'bird.ctl'), '-P', join(runDir, 'bird.pid')];
  return DemoProcess.start(`BIRD on ${router}`, lab.node(router).netns, argv, join(runDir, 'bird.log'));
}

/**
 * The next hops of the router's kernel route to `vip` once BIRD has installed it from BGP with at
 * least `nextHops` of them (one per announcing node: every session is up and has sent its route).
 */
export async function waitForRoute(lab: Lab, router: string, vip: string, nextHops: number, bird: DemoProcess, timeoutMs = 15_000): Promise<string[]> {
  return waitUntil(
    `a BGP route to ${vip} with ${nextHops} next hops in ${router}'s kernel (BIRD's log: ${bird.logPath})`,
    async () => {
      await bird.assertRunning();
      const r = await lab.exec(router, ['ip', '-j', 'route', 'show', `${vip}/32`, 'proto', 'bird']);
      const routes = JSON.parse(r.stdout.trim() || '[]') as { gateway?: string; nexthops?: { gateway: string }[] }[];
      const route = routes[0];
      const gateways = route?.nexthops?.map((h) => h.gateway) ?? (route?.gateway === undefined ? [] : [route.gateway]);
      return gateways.length >= nextHops ? gateways.sort() : undefined;
    },
    timeoutMs,
    100,
  );
}
