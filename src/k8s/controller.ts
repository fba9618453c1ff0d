import { Allocator, type AssignResult } from '../domain/allocator/allocator.js';
import { readRequest, serviceKey, unhandledReason } from '../domain/allocator/request.js';
import type { Clock, Timer } from '../domain/clock.js';
import { readAddressEntry } from '../domain/config/index.js';
import { rangeSize } from '../domain/net/ip.js';
import type { ConfigIssue, ConfigSet, Service } from '../domain/config/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import type { ControllerMetrics } from '../metrics/controller-metrics.js';
import { statusOf } from './api-error.js';
import { ClusterState } from './cluster-state.js';
import { ConfigStatusWriter } from './config-status.js';
import { apiOrigin, validateObjects } from './convert.js';
import { subjectOf, type EventSink } from './events.js';
import type { BackoffOptions } from './informer.js';
import type { JsonObject } from './json.js';
import { RESOURCES, type ResourceType } from './resources.js';
import { ServiceWriter, writeFor } from './service-status.js';
import type { ApiTransport } from './transport.js';

/**
 * `airlb controller`: MetalLB's controller on the API server. It allocates addresses to
 * LoadBalancer Services with the domain Allocator and publishes them in
 * status.loadBalancer.ingress plus the metallb.io/ip-allocated-from-pool annotation.
 *
 * Stability across restarts: the Allocator lives in memory, so on start the controller first
 * restores every address Services already show in their status, and only then assigns anything
 * new. Until the pools have been accepted once nothing is written, so a restart with a broken or
 * unreadable configuration never clears a status.
 *
 * Invalid metallb.io configuration (the file-mode validator, run on the API objects) is reported
 * as Warning Events on the offending objects and in airlb_config_issues; pools with problems are
 * not applied, the last good ones stay in force. MetalLB fields airlb accepts but does not honour
 * are Warning Events too (reason ConfigurationWarning), and change nothing else.
 */

export interface ControllerOptions {
  readonly transport: ApiTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventSink;
  readonly metrics?: ControllerMetrics | null;
  /** Where the metallb.io resources live; null = every namespace. */
  readonly configNamespace: string | null;
  readonly loadBalancerClass?: string | null;
  readonly backoff?: BackoffOptions;
  readonly debounceMs?: number;
}

const CONTROLLER_TYPES: readonly ResourceType[] = [
  RESOURCES.service,
  RESOURCES.namespace,
  RESOURCES.ipAddressPool,
  RESOURCES.l2Advertisement,
  RESOURCES.bgpPeer,
  RESOURCES.bgpAdvertisement,
  RESOURCES.community,
  RESOURCES.bfdProfile,
];

const METALLB_TYPES = CONTROLLER_TYPES.filter((t) => t.group === 'metallb.io');
const POOL_INPUTS: ReadonlySet<ResourceType> = new Set([RESOURCES.namespace, ...METALLB_TYPES]);

/** The allocation order of planAllocations: specific addresses first, then a named pool, then the rest. */
function allocationStep(service: Service): number {
  const read = readRequest(service);
  return !read.ok ? 3 : read.request.ips.length > 0 ? 1 : read.request.pool !== null ? 2 : 3;
}

export class Controller {
  private readonly state: ClusterState;
  private readonly allocator: Allocator;
  private readonly writer: ServiceWriter;
  private readonly configStatus: ConfigStatusWriter | null;
  private readonly log: Logger;
  private readonly events: EventSink;
  private readonly metrics: ControllerMetrics | null;
  private readonly clock: Clock;
  private readonly loadBalancerClass: string | null;
  private readonly backoff: BackoffOptions;

  private poolsAccepted = false;
  private restored = false;
  private firstPass = false;
  private busy: Promise<void> = Promise.resolve();
  private pendingPools = true;
  private retryTimer: Timer | null = null;
  private retryDelay = 0;
  private stopped = false;
  /** Last failure reported per Service, so a failure is counted once, not once per pass. */
  private readonly failures = new Map<string, string>();
  /** uids Events may have been recorded for, to forget them once their object is gone. */
  private known = new Set<string>();

  constructor(options: ControllerOptions) {
    this.log = options.logger.child({ component: 'controller' });
    this.clock = options.clock;
    this.events = options.events;
    this.metrics = options.metrics ?? null;
    this.loadBalancerClass = options.loadBalancerClass ?? null;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.allocator = new Allocator({ loadBalancerClass: this.loadBalancerClass });
    this.writer = new ServiceWriter(options.transport);
    this.configStatus = options.configNamespace === null ? null : new ConfigStatusWriter(options.transport, options.configNamespace, this.log);
    this.state = new ClusterState({
      transport: options.transport,
      clock: options.clock,
      logger: this.log,
      types: CONTROLLER_TYPES,
      configNamespace: options.configNamespace,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
    });
    this.state.onChange((changed) => {
      if ([...changed].some((t) => POOL_INPUTS.has(t))) this.pendingPools = true;
      this.schedule();
    });
  }

  /** Starts the informers; resolves after the first full pass over the synced caches. */
  async start(): Promise<void> {
    this.state.start();
    await this.state.synced;
    this.log.info('caches synced', { services: this.state.objects(RESOURCES.service).length });
    this.schedule();
    await this.busy;
  }

  stop(): void {
    this.stopped = true;
    this.state.stop();
    this.retryTimer?.cancel();
  }

  /** Ready once the caches synced, the pools were accepted and the first pass ran. */
  get ready(): { ok: boolean; detail: string } {
    if (!this.state.synchronized) return { ok: false, detail: 'waiting for the first list of every resource' };
    if (!this.poolsAccepted) return { ok: false, detail: 'no valid IPAddressPool configuration yet (see the Events on the pools)' };
    if (!this.firstPass) return { ok: false, detail: 'first allocation pass not finished' };
    return { ok: true, detail: 'ok' };
  }

  /** The metallb.io configuration objects as stored (what the admission webhook checks against). */
  configObjects(): { type: ResourceType; obj: JsonObject }[] {
    return METALLB_TYPES.flatMap((type) => this.state.objects(type).map((obj) => ({ type, obj })));
  }

  /** Every Service's addresses as the allocator holds them. */
  assignments(): ReturnType<Allocator['assignments']> {
    return this.allocator.assignments();
  }

  /** Runs one pass after the current one (passes never overlap: the allocator is not reentrant). */
  private schedule(): void {
    this.busy = this.busy.then(() => this.pass()).catch((err: unknown) => this.log.error('reconcile failed', { error: describeError(err) }));
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    this.metrics?.apiConnected.set(this.state.connected ? 1 : 0);
    const config = this.state.config();
    if (this.pendingPools) {
      this.pendingPools = false;
      const { issues, warnings, applied } = this.applyPools(config);
      await this.configStatus?.publish(issues, warnings, applied);
    }
    if (!this.poolsAccepted) return;
    if (!this.restored) {
      this.restore(config.services);
      this.restored = true;
    }
    const results = this.allocateAll(config.services);
    const ok = await this.publish(results);
    this.firstPass = true;
    this.forgetDeleted();
    this.updateMetrics(config);
    if (ok) this.retryDelay = 0;
    else this.retryLater();
  }

  /** Validates the metallb.io objects and applies the pools when they are sound. */
  private applyPools(config: ConfigSet): { issues: ConfigIssue[]; warnings: ConfigIssue[]; applied: boolean } {
    const objects = this.configObjects();
    const { issues, warnings } = validateObjects(objects);
    this.metrics?.configIssues.set(issues.length);
    this.reportIssues(objects, issues, warnings);
    if (issues.some((i) => i.kind === 'IPAddressPool' || i.kind === '')) {
      this.log.warn('IPAddressPool configuration has problems; keeping the pools in force', { issues: issues.length });
      return { issues, warnings, applied: false };
    }
    try {
      const { released } = this.allocator.setPools(config.pools, config.namespaces);
      this.poolsAccepted = true;
      if (released.length > 0) this.log.info('addresses released by a pool change', { services: released.map((r) => `${r.namespace}/${r.name}`) });
      return { issues, warnings, applied: true };
    } catch (err) {
      this.log.error('pools rejected; keeping the pools in force', { error: describeError(err) });
      return { issues, warnings, applied: false };
    }
  }

  private reportIssues(objects: readonly { type: ResourceType; obj: JsonObject }[], issues: readonly ConfigIssue[], warnings: readonly ConfigIssue[]): void {
    const byFile = new Map(objects.map((o) => [apiOrigin(o.type, o.obj).file, o.obj] as const));
    const report = (issue: ConfigIssue, logged: string, reason: string): void => {
      const obj = byFile.get(issue.file);
      const text = `${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
      this.log.warn(logged, { object: issue.file, problem: text });
      if (obj !== undefined) this.events.record(subjectOf(obj), 'Warning', reason, text);
    };
    for (const issue of issues) report(issue, 'invalid configuration', 'InvalidConfiguration');
    for (const warning of warnings) report(warning, 'configuration warning', 'ConfigurationWarning');
  }

  /** After a restart: every address a Service shows in its status is taken back before anything new. */
  private restore(services: readonly Service[]): void {
    let kept = 0;
    for (const service of services) {
      if (service.status.loadBalancerIngress.length === 0 || unhandledReason(service, this.loadBalancerClass) !== null) continue;
      const r = this.allocator.restore(service, service.status.loadBalancerIngress);
      if (r.ok) kept++;
      else this.log.warn('address from status not restored; allocating again', { service: serviceKey(service.metadata.namespace, service.metadata.name), reason: r.reason, detail: r.message });
    }
    this.log.info('restored addresses from Service status', { services: kept });
  }

  /** Releases deleted Services first (their addresses are free for this pass), then assigns every Service. */
  private allocateAll(services: readonly Service[]): Map<Service, AssignResult> {
    const present = new Set(services.map((s) => serviceKey(s.metadata.namespace, s.metadata.name)));
    for (const a of this.allocator.assignments()) {
      const key = serviceKey(a.namespace, a.name);
      if (!present.has(key)) {
        this.allocator.release(a.namespace, a.name);
        this.failures.delete(key);
        this.log.info('released the addresses of a deleted Service', { service: key, ips: a.ips });
      }
    }
    const results = new Map<Service, AssignResult>();
    for (const step of [1, 2, 3]) {
      for (const service of services) if (allocationStep(service) === step) results.set(service, this.allocator.assign(service));
    }
    return results;
  }

  /** Writes what changed; false when a write must be retried (conflict or API unreachable). */
  private async publish(results: Map<Service, AssignResult>): Promise<boolean> {
    const writes: Promise<boolean>[] = [];
    for (const [service, result] of results) {
      const key = serviceKey(service.metadata.namespace, service.metadata.name);
      const obj = this.state.object(RESOURCES.service, key);
      if (obj === undefined) continue;
      this.noteFailure(key, obj, result);
      const write = writeFor(obj, result);
      if (write.ingress === null && write.pool === undefined) continue;
      writes.push(
        this.writer.apply(obj, write).then(
          () => {
            this.metrics?.statusWrites.inc({ result: 'ok' });
            if (result.ok && write.ingress !== null) {
              this.log.info('address assigned', { service: key, ips: result.ips, pool: result.pool });
              this.events.record(subjectOf(obj), 'Normal', 'IPAllocated', `Assigned IP ${JSON.stringify(result.ips)}`);
            } else if (!result.ok && write.ingress !== null) {
              this.events.record(subjectOf(obj), 'Normal', 'IPReleased', 'Released the address: the Service can no longer have it');
            }
            return true;
          },
          (err: unknown) => {
            const status = statusOf(err);
            // 409: the Service changed after this decision; its update is on the way and
            // triggers another pass. Anything else (API down, 5xx) is retried with backoff.
            this.metrics?.statusWrites.inc({ result: status === 409 ? 'conflict' : 'error' });
            if (status !== 409) this.log.warn('could not write Service status', { service: key, status, error: describeError(err) });
            return status === 409;
          },
        ),
      );
    }
    return (await Promise.all(writes)).every(Boolean);
  }

  private noteFailure(key: string, obj: JsonObject, result: AssignResult): void {
    if (result.ok || result.reason === 'other-class' || result.reason === 'not-load-balancer') {
      this.failures.delete(key);
      return;
    }
    if (this.failures.get(key) === result.message) return;
    this.failures.set(key, result.message);
    this.metrics?.allocationFailures.inc({ reason: result.reason });
    this.log.warn('allocation failed', { service: key, reason: result.reason, detail: result.message });
    this.events.record(subjectOf(obj), 'Warning', 'AllocationFailed', result.message);
  }

  private forgetDeleted(): void {
    const now = new Set(CONTROLLER_TYPES.flatMap((t) => this.state.objects(t).map((o) => subjectOf(o).uid)));
    for (const uid of this.known) if (!now.has(uid)) this.events.forget(uid);
    this.known = now;
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryDelay = this.retryDelay === 0 ? this.backoff.initialMs : Math.min(this.retryDelay * 2, this.backoff.maxMs);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, this.retryDelay);
  }

  private updateMetrics(config: ConfigSet): void {
    const m = this.metrics;
    if (m === null) return;
    const inUse = new Map<string, Set<string>>();
    for (const a of this.allocator.assignments()) {
      const ips = inUse.get(a.pool) ?? new Set<string>();
      for (const ip of a.ips) ips.add(ip);
      inUse.set(a.pool, ips);
    }
    m.addressesInUse.reset();
    m.addressesTotal.reset();
    for (const pool of config.pools) {
      let total = 0n;
      for (const text of pool.spec.addresses) {
        const entry = readAddressEntry(text);
        if (entry.ok) total += rangeSize(entry.range);
      }
      m.addressesTotal.set({ pool: pool.metadata.name }, Number(total));
      m.addressesInUse.set({ pool: pool.metadata.name }, inUse.get(pool.metadata.name)?.size ?? 0);
    }
  }
}
