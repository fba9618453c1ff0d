import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { systemClock } from '../../io/system-clock.js';
import { Controller } from '../../k8s/controller.js';
import { EventRecorder } from '../../k8s/events.js';
import { loadKubeConfig } from '../../k8s/kubeconfig.js';
import { OfficialTransport } from '../../k8s/official-transport.js';
import { startWebhookServer } from '../../k8s/webhook-server.js';
import { ControllerMetrics } from '../../metrics/controller-metrics.js';
import { parseCommandArgs } from '../args.js';
import { wantsHelp, type Command, type CommandIo } from '../command.js';
import { daemonOptions, daemonSettings, processRegistry, serveMetrics } from './daemon.js';
import { parseListenAddress } from './listen-address.js';
import { terminated } from './signals.js';

const help = `Usage: airlb controller [--kubeconfig FILE] [options]

MetalLB's controller for a Kubernetes cluster: allocates addresses from the IPAddressPools to
LoadBalancer Services and writes them to status.loadBalancer.ingress (and the annotation
metallb.io/ip-allocated-from-pool), with Events (IPAllocated, AllocationFailed,
InvalidConfiguration). After a restart it takes back the addresses Services already show before
allocating anything new, so no address moves. Runs in a pod (service account) or against
--kubeconfig. See docs/kubernetes.md.

Options:
  --kubeconfig FILE          use this kubeconfig instead of the pod's service account
  --namespace NS             where the metallb.io resources live (default: metallb-system,
                             or the env var METALLB_NAMESPACE); '*' reads every namespace
  --lb-class NAME            also handle Services with spec.loadBalancerClass NAME
                             (Services without a class are always handled)
  --metrics-bind HOST:PORT   Prometheus /metrics, /healthz and /readyz (default :7472)
  --webhook-bind HOST:PORT   serve the validating admission webhook (HTTPS, POST
                             /validate-metallb) here; needs --webhook-cert and --webhook-key
  --webhook-cert FILE        PEM certificate for the webhook (e.g. from a cert-manager Secret)
  --webhook-key FILE         its PEM private key
  --log-format F             json or text (default text), to stderr
  --log-level L              debug, info, warn or error (default info)
  -h, --help                 this text

Exit status: 0 after SIGTERM/SIGINT, 1 when it cannot start (kubeconfig, port), 2 for wrong usage.
`;

const options = {
  ...daemonOptions,
  'webhook-bind': { type: 'string' },
  'webhook-cert': { type: 'string' },
  'webhook-key': { type: 'string' },
} as const;

async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  const { values } = parseCommandArgs('controller', args, options);
  const { logger, listen, namespace } = daemonSettings('controller', values, io);
  const webhookFlags = [values['webhook-bind'], values['webhook-cert'], values['webhook-key']];
  if (webhookFlags.some((v) => v !== undefined) && webhookFlags.some((v) => v === undefined)) {
    throw new UsageError('controller: --webhook-bind, --webhook-cert and --webhook-key go together');
  }
  const webhookListen = values['webhook-bind'] === undefined ? null : parseListenAddress('controller', '--webhook-bind', values['webhook-bind']);

  const transport = new OfficialTransport(loadKubeConfig(values.kubeconfig === undefined ? null : resolve(io.cwd, values.kubeconfig), io.env));
  const registry = processRegistry();
  const controller = new Controller({
    transport,
    clock: systemClock,
    logger,
    events: new EventRecorder(transport, 'airlb-controller', io.env['POD_NAME'] ?? hostname(), logger),
    metrics: new ControllerMetrics(registry),
    configNamespace: namespace === '*' ? null : namespace,
    loadBalancerClass: values['lb-class'] ?? null,
  });
  const stop = terminated();
  const metrics = await serveMetrics(listen, registry, () => controller.ready);
  const webhook =
    webhookListen === null
      ? null
      : await startWebhookServer({
          ...webhookListen,
          certFile: resolve(io.cwd, values['webhook-cert']!),
          keyFile: resolve(io.cwd, values['webhook-key']!),
          current: () => controller.configObjects(),
          logger,
        });
  logger.info('starting', { namespace, metricsPort: metrics.port, webhookPort: webhook?.port ?? null, pid: process.pid });
  // start() resolves after the first pass; a signal before that still stops cleanly.
  void controller.start();
  const signal = await stop;
  logger.info('stopping', { signal });
  controller.stop();
  await webhook?.close();
  await metrics.close();
  return 0;
}

export const controllerCommand: Command = {
  name: 'controller',
  help,
  run,
};
