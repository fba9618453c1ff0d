import { collectDefaultMetrics, Registry } from 'prom-client';
import { UsageError } from '../../errors.js';
import { createLogger, isLogFormat, isLogLevel, type Logger } from '../../io/logger.js';
import { startMetricsServer, type MetricsServer, type Probe } from '../../metrics/server.js';
import type { CommandIo } from '../command.js';
import { parseListenAddress } from './listen-address.js';

/**
 * What the in-cluster daemons (controller, speaker) share besides their work: the flags both take
 * and the Prometheus endpoint. Imports no Kubernetes client, so either command pays only for its own.
 */

/** The parseArgs options both daemons take; each adds its own. */
export const daemonOptions = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'lb-class': { type: 'string' },
  'metrics-bind': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface DaemonSettings {
  readonly logger: Logger;
  /** --metrics-bind, default :7472 (MetalLB's port). */
  readonly listen: { readonly host: string; readonly port: number };
  /** --namespace, else $METALLB_NAMESPACE, else metallb-system. */
  readonly namespace: string;
}

/** Reads the flags of `daemonOptions`; a bad value is a usage error naming `command`. */
export function daemonSettings(
  command: string,
  values: { readonly namespace?: string; readonly 'metrics-bind'?: string; readonly 'log-format'?: string; readonly 'log-level'?: string },
  io: CommandIo,
): DaemonSettings {
  const logger = loggerFromFlags(command, values, io);
  const listen = parseListenAddress(command, '--metrics-bind', values['metrics-bind'] ?? ':7472');
  const namespace = values.namespace ?? io.env['METALLB_NAMESPACE'] ?? 'metallb-system';
  return { logger, listen, namespace };
}

/** The logger --log-format (json|text, default text) and --log-level (default info) ask for, on stderr. */
function loggerFromFlags(command: string, values: { readonly 'log-format'?: string; readonly 'log-level'?: string }, io: CommandIo): Logger {
  const format = values['log-format'] ?? 'text';
  const level = values['log-level'] ?? 'info';
  if (!isLogFormat(format)) throw new UsageError(`${command}: --log-format must be json or text, not '${format}'`);
  if (!isLogLevel(level)) throw new UsageError(`${command}: --log-level must be debug, info, warn or error, not '${level}'`);
  return createLogger({ format, level, write: (line) => io.stderr.write(line) });
}

/** A registry holding Node's process metrics (CPU, RSS, heap, event loop lag) for the command's own to join. */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Serves `registry` on --metrics-bind. /healthz answers ok whenever the process answers at all
 * (the liveness probe is there to catch a hung event loop); /readyz asks the component.
 */
export function serveMetrics(listen: { readonly host: string; readonly port: number }, registry: Registry, ready: () => Probe): Promise<MetricsServer> {
  return startMetricsServer({ host: listen.host, port: listen.port, registry, healthy: () => ({ ok: true, detail: 'ok' }), ready });
}
