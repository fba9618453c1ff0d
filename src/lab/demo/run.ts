import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST_TIMINGS } from '../../domain/l2/timings.js';
import { formatIpValue, parseAddressRange } from '../../domain/net/ip.js';
import { AirlbError, describeError } from '../../errors.js';
import type { Logger } from '../../io/logger.js';
import { Lab } from '../lab.js';
import { defaultTopology } from '../topology.js';
import { fieldGuideBgp, fieldGuideWiredLabel, fieldGuideWiredNode, plainLayer2 } from './field-guide.js';
import { ManifestDir } from './manifest-dir.js';
import { demoService } from './manifests.js';
import { measure, type Measurement } from './measure.js';
import { forgetNeighbour, httpGet, pinNeighbour } from './probes.js';
import { startBird, waitForRoute } from './router.js';
import type { DemoProcess } from './processes.js';
import { Speakers } from './speakers.js';
import { judge, stepSpec, stepSpecs, summarise, type DemoStep, type StepName } from './steps.js';
import { startWorkload } from './workload.js';

/**
 * `airlb lab demo`: the field guide's story, live. A default lab (router, AP, wired pi1, WiFi pi2
 * and pi3, clients); `airlb standalone` on every Pi reading one folder of manifests; a web server
 * behind the VIP on every Pi; the wired desktop as the client. Each step changes one thing —
 * the manifests, the client, the AP or airlb's flags — and measures the VIP from the client.
 */
export interface DemoOptions {
  readonly prefix: string;
  /** Leave the lab, the speakers and the web servers running at the end. */
  readonly keep: boolean;
  readonly logger?: Logger;
  /** Called as each step finishes. */
  readonly onStep: (step: DemoStep) => void;
}

export interface DemoResult {
  readonly steps: readonly DemoStep[];
  /** Every step ran and behaved as expected. */
  readonly ok: boolean;
  /**
   * The demo's manifests, state/status files and logs, when they were kept (--keep, or a failure
   * in a lab this run built); null when removed.
   */
  readonly workDir: string | null;
  readonly kept: boolean;
  readonly seconds: number;
}

/** The desktop: a wired client, so the client's own link is never the problem. */
const client = 'desktop';

/** From a claim to its last gratuitous ARP, with room for the status file's write delay. */
const burstMs = FAST_TIMINGS.burstCount * FAST_TIMINGS.burstIntervalMs + 300;

/** The pool's first address: what the allocator gives the demo's only Service. */
function vipOf(lab: Lab): string {
  const range = lab.topology.vipPool === null ? null : parseAddressRange(lab.topology.vipPool);
  if (range === null) throw new AirlbError('demo-no-pool', 'the lab topology has no vipPool');
  return formatIpValue(range.family, range.first);
}

function routerOf(lab: Lab): string {
  const node = lab.nodes().find((n) => n.role === 'router');
  if (node === undefined) throw new AirlbError('demo-topology', 'the lab has no router');
  return node.name;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function onlyNode(lab: Lab, port: 'wired' | 'wifi'): string {
  const node = lab.nodes().find((n) => n.role === 'node' && n.port === port);
  if (node === undefined) throw new AirlbError('demo-topology', `the lab has no ${port} node`);
  return node.name;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), `airlb-demo-${options.prefix}-`));
  const manifests = new ManifestDir(join(workDir, 'manifests'));
  const runDir = join(workDir, 'run');
  await mkdir(manifests.path);
  await mkdir(runDir);
  const steps: DemoStep[] = [];
  let lab: Lab | null = null;
  let speakers: Speakers | null = null;
  let web: DemoProcess[] = [];
  let bird: DemoProcess | null = null;

  const record = (step: DemoStep): void => {
    steps.push(step);
    options.onStep(step);
  };
  /** Runs one step: `body` does its changes and returns the measurement plus extra evidence. */
  const step = async (name: StepName, body: () => Promise<{ m: Measurement; extra?: Record<string, unknown>; summary?: string }>): Promise<void> => {
    const spec = stepSpec(name);
    const t0 = performance.now();
    const { m, extra, summary } = await body();
    const vipReachable = m.http.answered;
    record({
      step: name,
      fix: spec.fix,
      vipReachable,
      evidence: { ...m, ...extra, ...(spec.why === undefined ? {} : { note: spec.why }) },
      expectReachable: spec.expectReachable,
      ok: judge(spec, vipReachable),
      title: spec.title,
      summary: summary ?? summarise(m),
      seconds: Math.round(performance.now() - t0) / 1000,
    });
  };

  let failure: unknown = null;
  let removed = false;
  try {
    const t0 = performance.now();
    const upLab = await Lab.up(defaultTopology(), { prefix: options.prefix, logger: options.logger });
    lab = upLab;
    const vip = vipOf(upLab);
    const wired = onlyNode(upLab, 'wired');
    const router = routerOf(upLab);
    const port = demoService.port;
    const look = (announcer: string | null, keepNeighbour = false): Promise<Measurement> => measure(upLab, client, vip, port, announcer, { keepNeighbour });
    speakers = new Speakers(upLab, manifests.path, runDir);
    const sp = speakers;

    web = await startWorkload(upLab, vip, port, runDir);
    await Promise.all(web.map((w) => w.waitForLog('listening on')));
    await step('lab-up', async () => {
      const m = await look(null);
      const nodes = upLab.nodes().map((n) => `${n.name} (${n.role}, ${n.port})`);
      return { m, extra: { prefix: upLab.prefix, nodes, buildSeconds: Math.round(performance.now() - t0) / 1000 } };
    });

    // MetalLB's L2 as the field guide's reader runs it: every node a candidate, no WiFi handling.
    let wifiAnnouncer = '';
    await step('metallb-l2-on-wifi', async () => {
      await manifests.write(upLab, plainLayer2, {});
      await sp.start({ wifiPromiscuous: false });
      const holder = await sp.waitForOwner(vip, null);
      wifiAnnouncer = holder.node;
      if (upLab.node(wifiAnnouncer).port !== 'wifi') {
        throw new AirlbError('demo-election', `MetalLB's hash elected ${wifiAnnouncer}, a wired node, for ${vip}; the demo needs a WiFi announcer to show the problem`);
      }
      return { m: await look(wifiAnnouncer), extra: { election: "MetalLB's sha256(node#VIP) order, every node a candidate", manifests: manifests.path } };
    });

    await step('static-arp', async () => {
      const mac = upLab.node(wifiAnnouncer).mac;
      await pinNeighbour(upLab, client, vip, mac);
      const m = await look(wifiAnnouncer, true);
      await forgetNeighbour(upLab, client, vip);
      return { m, extra: { staticEntry: { ip: vip, lladdr: mac, on: client, command: `ip neigh replace ${vip} lladdr ${mac} dev ${upLab.node(client).iface} nud permanent` } } };
    });

    await step('wired-node', async () => {
      await manifests.write(upLab, fieldGuideWiredNode, { extraLabels: { [wired]: fieldGuideWiredLabel } });
      sp.reload();
      await sp.waitForOwner(vip, wired);
      return { m: await look(wired), extra: { labelled: { [wired]: fieldGuideWiredLabel } } };
    });

    await step('ap-proxy-arp-off', async () => {
      await manifests.write(upLab, plainLayer2, {});
      sp.reload();
      await sp.waitForOwner(vip, wifiAnnouncer);
      const claimed = performance.now();
      await upLab.setBehaviour(wifiAnnouncer, { proxyArp: false, garpFilter: false });
      // pi2 claims the VIP afresh here, and with the AP's filter off its gratuitous ARP burst
      // reaches clients: one resolving at that instant learns the MAC from it. Measure after
      // the burst, as a client that comes later (the field guide's reader) finds the network.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, claimed + burstMs - performance.now())));
      return { m: await look(wifiAnnouncer), extra: { measuredAfterClaimBurst: true } };
    });

    await step('airlb-wifi-promiscuous', async () => {
      await sp.start({ wifiPromiscuous: true });
      const holder = await sp.waitForOwner(vip, wifiAnnouncer);
      await upLab.waitForFirmwareFilter(wifiAnnouncer, 'lifted (promiscuous)');
      return { m: await look(wifiAnnouncer), extra: { promiscuousOn: holder.promiscuous } };
    });

    await step('airlb-wifi-wired-preference', async () => {
      await upLab.setBehaviour(wifiAnnouncer, { proxyArp: true, garpFilter: true });
      await manifests.write(upLab, plainLayer2, { uplinkLabels: true });
      sp.reload();
      await sp.waitForOwner(vip, wired);
      return { m: await look(wired), extra: { election: 'airlb.io/uplink labels: wired nodes rank before wireless ones, then MetalLB\'s hash' } };
    });

    // The field guide's Solution 4: its manifest verbatim, BIRD on the router from router-config.
    await step('bgp', async () => {
      await manifests.write(upLab, fieldGuideBgp, {});
      sp.reload();
      await sp.waitForNoHolder(vip);
      bird = await startBird(upLab, router, manifests.path, runDir);
      const nodes = upLab.nodes().filter((n) => n.role === 'node');
      const nextHops = await waitForRoute(upLab, router, vip, nodes.length, bird);
      const sessions = await sp.settledBgpSessions();
      await forgetNeighbour(upLab, client, vip);
      const withoutRoute = await httpGet(upLab, client, vip, port);
      const routerIp = upLab.node(router).ipv4;
      const clientRoute = ['ip', 'route', 'replace', `${vip}/32`, 'via', routerIp];
      const added = await upLab.exec(client, clientRoute);
      if (added.code !== 0) throw new AirlbError('demo-setup-failed', `${clientRoute.join(' ')} on ${client} failed: ${added.stderr.trim()}`);
      const m = await look(null);
      const summary = [
        `${nodes.map((n) => n.name).join(', ')} announce ${vip}/32; ${router}: ${plural(nextHops.length, 'next hop')}`,
        `via ${router}: ${m.http.answered ? `served by ${m.http.servedBy ?? '?'} in ${m.http.ms} ms` : (m.http.error ?? 'no answer')}`,
        `no route: ${withoutRoute.answered ? 'answered' : (withoutRoute.error ?? 'no answer')} (on-link VIP, no ARP in BGP mode)`,
      ].join(' | ');
      return {
        m,
        summary,
        extra: { routerNextHops: nextHops, sessions, clientRoute: clientRoute.join(' '), withoutClientRoute: withoutRoute, birdConfig: join(runDir, 'bird.conf') },
      };
    });
  } catch (err) {
    failure = err;
  } finally {
    if (!options.keep || failure !== null) {
      await speakers?.stop();
      await Promise.all([...web, ...(bird === null ? [] : [bird])].map((p) => p.stop()));
      // Only a lab this run built is removed: a `lab-exists` failure must not sweep someone else's.
      if (lab !== null) {
        await lab.close();
        await Lab.down({ prefix: options.prefix, logger: options.logger });
      }
      // After a failure in a lab this run built, the speakers' logs are what explains it: keep them.
      if (failure === null || lab === null) {
        await rm(workDir, { recursive: true, force: true });
        removed = true;
      }
    } else {
      await lab?.close();
    }
  }
  if (failure !== null) {
    const next = stepSpecs[steps.length];
    if (next === undefined) throw failure;
    record({
      step: next.step,
      fix: next.fix,
      vipReachable: false,
      evidence: { error: describeError(failure), code: failure instanceof AirlbError ? failure.code : null },
      expectReachable: next.expectReachable,
      ok: false,
      title: next.title,
      summary: `could not run: ${describeError(failure)}`,
      seconds: 0,
    });
  }
  return {
    steps,
    ok: failure === null && steps.every((s) => s.ok),
    workDir: removed ? null : workDir,
    kept: options.keep && failure === null,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
