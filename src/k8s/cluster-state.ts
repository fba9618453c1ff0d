import type { Clock, Timer } from '../domain/clock.js';
import type { ConfigSet, Resource } from '../domain/config/types.js';
import type { Logger } from '../io/logger.js';
import { toConfigSet, toResource } from './convert.js';
import { Informer, type BackoffOptions, type InformerEvent } from './informer.js';
import { objectKey, type JsonObject } from './json.js';
import type { ResourceType } from './resources.js';
import type { ApiTransport } from './transport.js';

export interface ClusterStateOptions {
  readonly transport: ApiTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly types: readonly ResourceType[];
  /**
   * Where the metallb.io resources are read from (MetalLB reads its own namespace only, so a
   * pool left in another namespace does nothing); null = every namespace.
   */
  readonly configNamespace: string | null;
  readonly backoff?: BackoffOptions;
  /** Changes arriving within this window are handed over together (default 50 ms). */
  readonly debounceMs?: number;
}

/**
 * Everything one component knows about the cluster: one informer per resource type, the typed
 * view of each object (converted once per change, not per reconcile), and a debounced "these
 * types changed" notification. While the API server is unreachable the caches stay as they were,
 * so consumers keep acting on the last known state.
 */
export class ClusterState {
  private readonly informers = new Map<ResourceType, Informer>();
  private readonly typed = new Map<ResourceType, Map<string, Resource>>();
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly listeners: ((changed: ReadonlySet<ResourceType>) => void)[] = [];
  private pending = new Set<ResourceType>();
  private timer: Timer | null = null;
  private cached: ConfigSet | null = null;
  private isSynced = false;
  /** Resolves when every informer has listed once. */
  readonly synced: Promise<void>;

  constructor(options: ClusterStateOptions) {
    this.clock = options.clock;
    this.debounceMs = options.debounceMs ?? 50;
    for (const type of options.types) {
      const informer = new Informer({
        transport: options.transport,
        type,
        namespace: type.group === 'metallb.io' ? options.configNamespace : null,
        clock: options.clock,
        logger: options.logger,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      });
      const typed = new Map<string, Resource>();
      this.typed.set(type, typed);
      informer.onEvent((e) => this.onEvent(type, typed, e));
      this.informers.set(type, informer);
    }
    this.synced = Promise.all([...this.informers.values()].map((i) => i.synced)).then(() => {
      this.isSynced = true;
      // Consumers start from the full state; what changed while listing is already in it.
      this.pending.clear();
    });
  }

  start(): void {
    for (const i of this.informers.values()) i.start();
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
    this.timer?.cancel();
    this.timer = null;
  }

  /** Called with the types that changed, at most once per debounce window, after the first sync. */
  onChange(listener: (changed: ReadonlySet<ResourceType>) => void): void {
    this.listeners.push(listener);
  }

  /** The typed view of every cached object (recomputed only after a change). */
  config(): ConfigSet {
    this.cached ??= toConfigSet([...this.typed.values()].flatMap((m) => [...m.values()]));
    return this.cached;
  }

  /** The raw objects of one type, as the API server sent them. */
  objects(type: ResourceType): JsonObject[] {
    return this.informers.get(type)?.list() ?? [];
  }

  object(type: ResourceType, key: string): JsonObject | undefined {
    return this.informers.get(type)?.get(key);
  }

  get synchronized(): boolean {
    return this.isSynced;
  }

  /** Every informer has a working watch: the API server is reachable. */
  get connected(): boolean {
    return [...this.informers.values()].every((i) => i.isConnected);
  }

  private onEvent(type: ResourceType, typed: Map<string, Resource>, e: InformerEvent): void {
    const key = objectKey(e.object);
    if (e.type === 'delete') typed.delete(key);
    else {
      const r = toResource(type, e.object);
      if (r !== null) typed.set(key, r);
    }
    this.cached = null;
    this.pending.add(type);
    if (this.timer === null && this.isSynced) this.timer = this.clock.setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = null;
    const changed = this.pending;
    this.pending = new Set();
    for (const l of this.listeners) l(changed);
  }
}
