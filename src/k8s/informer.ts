import type { Clock, Timer } from '../domain/clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { statusOf } from './api-error.js';
import { isJsonObject, metaOf, objectKey, type JsonObject } from './json.js';
import { collectionPath, type ResourceType } from './resources.js';
import type { ApiTransport, WatchHandle } from './transport.js';

/**
 * A local cache of one resource type kept current by list + watch, as client-go's reflector:
 *
 * 1. list the collection, replace the cache (emitting add/update/delete for the differences, so a
 *    re-list after an outage tells listeners what changed meanwhile), remember its resourceVersion;
 * 2. watch from that resourceVersion with bookmarks, applying each event and advancing the
 *    resourceVersion (BOOKMARK events advance it without a change, so a quiet watch can resume);
 * 3. when the watch ends, watch again from the last resourceVersion; when the server says 410
 *    Gone (the version left its history window), list again;
 * 4. on errors (server down, 5xx, connection refused) retry after an exponential backoff, keeping
 *    the cache as it was: consumers go on with the last known state.
 */

export type InformerEventType = 'add' | 'update' | 'delete';

export interface InformerEvent {
  readonly type: InformerEventType;
  readonly object: JsonObject;
  /** The cached object before an update. */
  readonly old: JsonObject | null;
}

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface InformerOptions {
  readonly transport: ApiTransport;
  readonly type: ResourceType;
  /** One namespace, or null for all (and for cluster-scoped types). */
  readonly namespace?: string | null;
  readonly labelSelector?: string | null;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default 500 ms doubling to 30 s (client-go's reflector backs off from 800 ms to 30 s). */
  readonly backoff?: BackoffOptions;
  /** Server-side watch timeout; a fresh watch after it keeps load balancers from idling the stream out. */
  readonly watchTimeoutSeconds?: number;
}

/** A watch that ended this soon without an event counts as a failure, so it cannot spin. */
const MIN_HEALTHY_WATCH_MS = 1000;

export class Informer {
  readonly type: ResourceType;
  private readonly transport: ApiTransport;
  private readonly namespace: string | null;
  private readonly labelSelector: string | null;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: BackoffOptions;
  private readonly watchTimeoutSeconds: number;

  private readonly cache = new Map<string, JsonObject>();
  private readonly listeners: ((e: InformerEvent) => void)[] = [];
  private resourceVersion = '';
  private delayMs = 0;
  private retryTimer: Timer | null = null;
  private abort: WatchHandle | null = null;
  /** Identifies the current watch, so a late answer from an older one changes nothing. */
  private watchId = 0;
  private running = false;
  private hasSynced = false;
  private connected = false;
  private lastError: string | null = null;
  private resolveSynced: () => void = () => undefined;
  /** Resolves after the first successful list. */
  readonly synced: Promise<void>;

  constructor(options: InformerOptions) {
    this.type = options.type;
    this.transport = options.transport;
    this.namespace = options.namespace ?? null;
    this.labelSelector = options.labelSelector ?? null;
    this.clock = options.clock;
    this.log = options.logger.child({ informer: options.type.plural });
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
  }

  /** Called for every change after it is applied to the cache. */
  onEvent(listener: (e: InformerEvent) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.cycle();
  }

  stop(): void {
    this.running = false;
    this.watchId++;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.abort?.abort();
    this.abort = null;
    this.connected = false;
  }

  /** Every cached object. */
  list(): JsonObject[] {
    return [...this.cache.values()];
  }

  /** By "namespace/name" (or "name" when cluster-scoped). */
  get(key: string): JsonObject | undefined {
    return this.cache.get(key);
  }

  get synchronized(): boolean {
    return this.hasSynced;
  }

  /** The last list succeeded and a watch is open (false while the API server is unreachable). */
  get isConnected(): boolean {
    return this.connected;
  }

  get error(): string | null {
    return this.lastError;
  }

  private emit(e: InformerEvent): void {
    for (const l of this.listeners) l(e);
  }

  private async cycle(): Promise<void> {
    if (!this.running) return;
    if (this.resourceVersion === '') {
      try {
        await this.relist();
      } catch (err) {
        this.fail(err);
        return;
      }
    }
    if (!this.running) return;
    this.watch();
  }

  private async relist(): Promise<void> {
    const result = await this.transport.list(collectionPath(this.type, this.namespace), this.labelSelector);
    if (!this.running) return;
    const seen = new Set<string>();
    for (const obj of result.items) {
      const key = objectKey(obj);
      seen.add(key);
      this.apply(key, obj);
    }
    for (const [key, obj] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit({ type: 'delete', object: obj, old: null });
      }
    }
    this.resourceVersion = result.resourceVersion;
    this.lastError = null;
    this.log.debug('listed', { objects: result.items.length, resourceVersion: result.resourceVersion });
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.resolveSynced();
    }
  }

  /** Puts `obj` in the cache; an object at the version already cached is no change. */
  private apply(key: string, obj: JsonObject): void {
    const old = this.cache.get(key) ?? null;
    if (old !== null && metaOf(old).resourceVersion === metaOf(obj).resourceVersion) return;
    this.cache.set(key, obj);
    this.emit({ type: old === null ? 'add' : 'update', object: obj, old });
  }

  private watch(): void {
    const id = ++this.watchId;
    const started = this.clock.now();
    let events = 0;
    let gone = false;
    const query = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.watchTimeoutSeconds),
      ...(this.labelSelector === null ? {} : { labelSelector: this.labelSelector }),
    };
    const onEvent = (phase: string, obj: unknown): void => {
      if (id !== this.watchId || !isJsonObject(obj)) return;
      if (phase === 'ERROR') {
        // The server reports an expired resourceVersion as an ERROR event with a 410 Status.
        if (obj['code'] === 410) gone = true;
        else this.log.warn('watch error event', { message: String(obj['message'] ?? '') });
        return;
      }
      events++;
      this.connected = true;
      this.delayMs = 0;
      const rv = metaOf(obj).resourceVersion;
      if (phase === 'ADDED' || phase === 'MODIFIED') this.apply(objectKey(obj), obj);
      else if (phase === 'DELETED') {
        const key = objectKey(obj);
        if (this.cache.delete(key)) this.emit({ type: 'delete', object: obj, old: null });
      }
      if (rv !== '') this.resourceVersion = rv;
    };
    const onDone = (err: unknown): void => {
      if (id !== this.watchId) return;
      this.abort = null;
      if (!this.running) return;
      if (gone || statusOf(err) === 410) {
        this.log.info('resourceVersion expired; listing again', { resourceVersion: this.resourceVersion });
        this.resourceVersion = '';
        void this.cycle();
        return;
      }
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      if (err !== null && err !== undefined && !timedOut) {
        this.fail(err);
        return;
      }
      if (events === 0 && !timedOut && this.clock.now() - started < MIN_HEALTHY_WATCH_MS) {
        this.retryLater('watch closed at once');
        return;
      }
      void this.cycle();
    };
    let ended = false;
    this.transport
      .watch(collectionPath(this.type, this.namespace), query, onEvent, (err) => {
        ended = true;
        onDone(err);
      })
      .then((handle) => {
        if (!this.running || id !== this.watchId) handle.abort();
        else if (!ended) {
          // The stream is open; errors arrive through onDone instead.
          this.abort = handle;
          this.connected = true;
        }
      })
      .catch((err: unknown) => this.fail(err));
  }

  private fail(err: unknown): void {
    this.connected = false;
    this.lastError = describeError(err);
    this.retryLater(this.lastError);
  }

  private retryLater(why: string): void {
    if (!this.running) return;
    this.delayMs = this.delayMs === 0 ? this.backoff.initialMs : Math.min(this.delayMs * 2, this.backoff.maxMs);
    this.log.warn('API server request failed; keeping the last known state and retrying', { error: why, retryInMs: this.delayMs });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.cycle();
    }, this.delayMs);
  }
}
