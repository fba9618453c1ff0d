import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { LabelSelector, LabelSelectorRequirement } from '../../src/domain/config/types.js';
import { selectorMatches } from '../../src/domain/selector.js';
import type { Connection } from '../../src/k8s/connection.js';
import { isJsonObject, metaOf, type Json, type JsonObject } from '../../src/k8s/json.js';
import { apiVersionOf, RESOURCES, type ResourceType } from '../../src/k8s/resources.js';

/**
 * An API server for tests that speaks the real wire protocol for the resources in
 * src/k8s/resources.ts, so the official client and airlb's informers run unmodified against it:
 *
 * - list (GET collection, across namespaces or in one) with labelSelector, returning the
 *   collection's resourceVersion;
 * - watch (?watch=true) from a resourceVersion: newline-delimited JSON events ADDED / MODIFIED /
 *   DELETED, BOOKMARK when allowWatchBookmarks=true, and an ERROR event carrying a 410 Expired
 *   Status when the version is older than the retained history (`compact()`), as the real server
 *   does; a watch without resourceVersion starts with synthetic ADDED events for every object;
 * - get, create (POST, 409 AlreadyExists), update (PUT, 409 Conflict on a stale
 *   metadata.resourceVersion), merge patch (RFC 7386, application/merge-patch+json; other patch
 *   types get 415), delete;
 * - the status subresource: writes to the object keep the stored status, writes to /status
 *   change only status;
 * - label selectors with equality (=, ==, !=) and set (in, notin, exists, !key) requirements.
 *
 * Faults for tests: `setAvailable(false)` answers every request 503 and ends every watch (the
 * control plane is down), `compact()` forgets history (watchers must re-list), `dropWatches()`
 * ends streams the way a load balancer idling them out would.
 */

interface Stored {
  readonly type: ResourceType;
  obj: JsonObject;
}

interface HistoryEvent {
  readonly rv: number;
  readonly type: ResourceType;
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
}

interface Watcher {
  readonly type: ResourceType;
  readonly namespace: string | null;
  readonly selector: LabelSelector | null;
  readonly res: ServerResponse;
  readonly bookmarks: boolean;
}

interface Route {
  readonly type: ResourceType;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly status: boolean;
}

/** What a test can count: requests by verb and resource plural ("list services", "patch-status services"). */
export type RequestLog = Map<string, number>;

/** One request in RBAC terms (what a Role rule would have to allow). */
export interface AuditEntry {
  readonly verb: string;
  readonly group: string;
  /** "services" or "services/status". */
  readonly resource: string;
  /** null for requests across namespaces and for cluster-scoped resources. */
  readonly namespace: string | null;
  readonly name: string | null;
  /** The bearer token the request carried: tests give each component its own. */
  readonly token: string;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const TYPES: readonly ResourceType[] = Object.values(RESOURCES);

function statusBody(code: number, reason: string, message: string): JsonObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function clone(o: JsonObject): JsonObject {
  return structuredClone(o);
}

/** RFC 7386 §2: objects merge key by key, null deletes a key, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return patch;
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function labelsMatch(selector: LabelSelector | null, obj: JsonObject | null): boolean {
  if (obj === null) return false;
  return selector === null || selectorMatches(selector, metaOf(obj).labels);
}

/** The labelSelector query syntax (apimachinery labels.Parse) as a metav1.LabelSelector. */
export function parseLabelSelector(text: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  // Split on commas outside parentheses: "a in (x,y),b" has two requirements.
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' && depth === 0) || i === text.length) {
      if (text.slice(start, i).trim() !== '') parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  for (const part of parts) {
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (set !== null) {
      const values = set[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      matchExpressions.push({ key: set[1]!, operator: set[2] === 'in' ? 'In' : 'NotIn', values });
    } else if (eq !== null) {
      if (eq[2] === '!=') matchExpressions.push({ key: eq[1]!, operator: 'NotIn', values: [eq[3]!] });
      else matchLabels[eq[1]!] = eq[3]!;
    } else if (/^![^\s!=()]+$/.test(part)) {
      matchExpressions.push({ key: part.slice(1), operator: 'DoesNotExist', values: [] });
    } else if (/^[^\s!=()]+$/.test(part)) {
      matchExpressions.push({ key: part, operator: 'Exists', values: [] });
    } else {
      throw new HttpError(400, 'BadRequest', `unable to parse requirement: ${part}`);
    }
  }
  return { matchLabels, matchExpressions };
}

export class FakeApiServer {
  private readonly server: Server;
  private readonly objects = new Map<string, Stored>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 100;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private oldestRv = 100;
  private available = true;
  private bookmarkTimer: NodeJS.Timeout | null = null;
  readonly requests: RequestLog = new Map();
  readonly audit: AuditEntry[] = [];
  /** Every Authorization header seen (the server accepts any; tests check what clients send). */
  readonly authorizations = new Set<string>();

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /**
   * Starts on 127.0.0.1 at a free port, or on `listen`: a listening socket made elsewhere (in a
   * network namespace, by a helper process) and reachable at `url`. Bookmarks go out every
   * `bookmarkMs` to watchers that asked.
   */
  static async start(options: { bookmarkMs?: number; listen?: { handle: NetServer; url: string } } = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    const listen = options.listen;
    if (listen === undefined) await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    else {
      s.fixedUrl = listen.url;
      await new Promise<void>((resolve) => s.server.listen(listen.handle, resolve));
    }
    s.bookmarkTimer = setInterval(() => s.sendBookmarks(), options.bookmarkMs ?? 1000);
    return s;
  }

  private fixedUrl: string | null = null;

  get url(): string {
    if (this.fixedUrl !== null) return this.fixedUrl;
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A KubeConfig for the official client pointing at this server. */
  kubeConfig(token = 'test-token'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'test', token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'test' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** The same, for airlb's own HttpTransport. */
  connection(token = 'test-token'): Connection {
    return { server: this.url, ca: null, cert: null, key: null, insecureSkipTlsVerify: true, token: { value: token } };
  }

  async close(): Promise<void> {
    if (this.bookmarkTimer !== null) clearInterval(this.bookmarkTimer);
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Forgets every event so far: a watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.oldestRv = this.rv;
    this.history.length = 0;
  }

  /** Ends every watch stream (the client sees its connection close and must watch again). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** false: every request gets 503 and every watch ends, until set back to true. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) this.dropWatches();
  }

  /** How many requests of `verb` (list, watch, get, create, update, patch, delete; "-status" suffix) on `plural`. */
  count(verb: string, plural: string): number {
    return this.requests.get(`${verb} ${plural}`) ?? 0;
  }

  // ------------------------------------------------------------ direct access for tests

  /** Creates or replaces an object as an administrator would (status included), notifying watchers. */
  put(type: ResourceType, obj: JsonObject): JsonObject {
    const body = clone(obj);
    const { name, namespace } = metaOf(body);
    const key = this.key(type, type.namespaced ? namespace || 'default' : '', name);
    const existing = this.objects.get(key);
    const meta = isJsonObject(body['metadata']) ? body['metadata'] : {};
    if (type.namespaced) meta['namespace'] = namespace || 'default';
    body['metadata'] = meta;
    return existing === undefined ? this.store(type, key, body, null, true) : this.store(type, key, this.carryMeta(body, existing.obj), existing.obj, false);
  }

  get(type: ResourceType, namespace: string, name: string): JsonObject | null {
    const s = this.objects.get(this.key(type, type.namespaced ? namespace : '', name));
    return s === undefined ? null : clone(s.obj);
  }

  list(type: ResourceType): JsonObject[] {
    return [...this.objects.values()].filter((s) => s.type === type).map((s) => clone(s.obj));
  }

  remove(type: ResourceType, namespace: string, name: string): boolean {
    const key = this.key(type, type.namespaced ? namespace : '', name);
    const s = this.objects.get(key);
    if (s === undefined) return false;
    this.drop(type, key, s);
    return true;
  }

  // ------------------------------------------------------------ protocol

  private key(type: ResourceType, namespace: string, name: string): string {
    return `${type.plural}.${type.group}\u0000${namespace}\u0000${name}`;
  }

  private currentToken = '';

  private bump(route: Route, verb: string, name: string | null = route.name): void {
    const k = `${verb}${route.status ? '-status' : ''} ${route.type.plural}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    this.audit.push({
      verb,
      group: route.type.group,
      resource: route.status ? `${route.type.plural}/status` : route.type.plural,
      namespace: route.type.namespaced ? route.namespace : null,
      name,
      token: this.currentToken,
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client hanging up (an aborted watch) is normal: it must not crash the server.
    req.on('error', () => undefined);
    if (req.headers.authorization !== undefined) this.authorizations.add(req.headers.authorization);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    try {
      if (!this.available) throw new HttpError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      const url = new URL(req.url ?? '/', 'http://fake');
      const route = this.route(url.pathname);
      const method = req.method ?? 'GET';
      const body = method === 'GET' || method === 'DELETE' ? null : await readJson(req);
      // From here to the audit entry nothing awaits, so no other request can interleave.
      this.currentToken = token;
      if (method === 'GET' && route.name === null) {
        const selectorText = url.searchParams.get('labelSelector');
        const selector = selectorText === null || selectorText === '' ? null : parseLabelSelector(selectorText);
        const watch = url.searchParams.get('watch');
        if (watch === 'true' || watch === '1') return this.watch(route, selector, url.searchParams, res);
        return this.listRoute(route, selector, res);
      }
      if (method === 'GET') return this.reply(res, 200, this.getRoute(route));
      if (method === 'POST' && route.name === null) return this.reply(res, 201, this.create(route, body));
      if (method === 'PUT') return this.reply(res, 200, this.update(route, body));
      if (method === 'PATCH') return this.reply(res, 200, this.patch(route, body, req.headers['content-type'] ?? ''));
      if (method === 'DELETE' && route.name !== null) return this.reply(res, 200, this.deleteRoute(route));
      throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'InternalError', String(err));
      this.reply(res, e.code, statusBody(e.code, e.reason, e.message));
    }
  }

  private reply(res: ServerResponse, code: number, body: JsonObject): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  /** /api/v1/[namespaces/NS/]PLURAL[/NAME[/status]] and /apis/GROUP/VERSION/... */
  private route(pathname: string): Route {
    const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api') [group, version, rest] = ['', parts[1] ?? '', parts.slice(2)];
    else if (parts[0] === 'apis') [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
    else throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${pathname})`);
    let namespace: string | null = null;
    // "namespaces/NS/PLURAL..." is a namespaced path unless PLURAL is absent (then it names a Namespace).
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
    const [plural, name, sub] = rest;
    const type = TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
    if (type === undefined || (namespace !== null && !type.namespaced) || rest.length > 3 || (sub !== undefined && sub !== 'status')) {
      throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${pathname})`);
    }
    if (sub === 'status' && !type.statusSubresource) throw new HttpError(404, 'NotFound', `${type.plural} has no status subresource`);
    return { type, namespace, name: name ?? null, status: sub === 'status' };
  }

  private inScope(route: Pick<Route, 'type' | 'namespace'>, s: Stored): boolean {
    return s.type === route.type && (route.namespace === null || metaOf(s.obj).namespace === route.namespace);
  }

  private listRoute(route: Route, selector: LabelSelector | null, res: ServerResponse): void {
    this.bump(route, 'list');
    const items = [...this.objects.values()].filter((s) => this.inScope(route, s) && labelsMatch(selector, s.obj)).map((s) => s.obj);
    this.reply(res, 200, {
      kind: `${route.type.kind}List`,
      apiVersion: apiVersionOf(route.type),
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }

  private watch(route: Route, selector: LabelSelector | null, params: URLSearchParams, res: ServerResponse): void {
    this.bump(route, 'watch');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = params.get('resourceVersion') ?? '';
    const watcher: Watcher = { type: route.type, namespace: route.namespace, selector, res, bookmarks: params.get('allowWatchBookmarks') === 'true' };
    if (from === '' || from === '0') {
      // "Any" version: the current state as synthetic ADDED events, then changes.
      for (const s of this.objects.values()) {
        if (this.inScope(route, s) && labelsMatch(selector, s.obj)) this.send(watcher, 'ADDED', s.obj);
      }
    } else {
      const since = Number(from);
      if (!Number.isInteger(since) || since < this.oldestRv) {
        this.send(watcher, 'ERROR', statusBody(410, 'Expired', `too old resource version: ${from} (${this.oldestRv})`));
        res.end();
        return;
      }
      for (const e of this.history) if (e.rv > since) this.deliver(watcher, e);
    }
    this.watchers.add(watcher);
    const timeout = Number(params.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : null;
    res.on('close', () => {
      if (timer !== null) clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }

  private send(w: Watcher, type: string, object: JsonObject): void {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** One change as this watcher sees it: leaving or entering its label selector is a DELETED or ADDED. */
  private deliver(w: Watcher, e: HistoryEvent): void {
    if (e.type !== w.type) return;
    const ref = e.after ?? e.before!;
    if (w.namespace !== null && metaOf(ref).namespace !== w.namespace) return;
    const was = labelsMatch(w.selector, e.before);
    const is = labelsMatch(w.selector, e.after);
    if (is) this.send(w, was ? 'MODIFIED' : 'ADDED', e.after!);
    else if (was) this.send(w, 'DELETED', e.after ?? e.before!);
  }

  private sendBookmarks(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      this.send(w, 'BOOKMARK', { kind: w.type.kind, apiVersion: apiVersionOf(w.type), metadata: { resourceVersion: String(this.rv) } });
    }
  }

  private record(type: ResourceType, before: JsonObject | null, after: JsonObject | null): void {
    const e: HistoryEvent = { rv: this.rv, type, before, after };
    this.history.push(e);
    for (const w of this.watchers) this.deliver(w, e);
  }

  /** Stores `obj` with a fresh resourceVersion and tells the watchers. */
  private store(type: ResourceType, key: string, obj: JsonObject, before: JsonObject | null, created: boolean): JsonObject {
    this.rv++;
    const meta = obj['metadata'] as JsonObject;
    meta['resourceVersion'] = String(this.rv);
    if (created) {
      meta['uid'] = randomUUID();
      meta['creationTimestamp'] = new Date().toISOString();
      meta['generation'] = 1;
    }
    obj['apiVersion'] = apiVersionOf(type);
    obj['kind'] = type.kind;
    this.objects.set(key, { type, obj });
    this.record(type, before, clone(obj));
    return clone(obj);
  }

  /** Fields the server owns survive a client's write: uid, creation time, generation. */
  private carryMeta(next: JsonObject, prev: JsonObject): JsonObject {
    const meta = isJsonObject(next['metadata']) ? next['metadata'] : {};
    const old = prev['metadata'] as JsonObject;
    for (const k of ['uid', 'creationTimestamp', 'generation', 'namespace', 'name']) {
      if (old[k] !== undefined) meta[k] = old[k]!;
    }
    next['metadata'] = meta;
    return next;
  }

  private existing(route: Route): { key: string; stored: Stored } {
    const ns = route.type.namespaced ? (route.namespace ?? '') : '';
    const key = this.key(route.type, ns, route.name!);
    const stored = this.objects.get(key);
    if (stored === undefined) throw new HttpError(404, 'NotFound', `${route.type.plural} "${route.name}" not found`);
    return { key, stored };
  }

  private getRoute(route: Route): JsonObject {
    this.bump(route, 'get');
    return clone(this.existing(route).stored.obj);
  }

  private create(route: Route, body: Json | null): JsonObject {
    this.bump(route, 'create', null);
    if (!isJsonObject(body) || !isJsonObject(body['metadata'])) throw new HttpError(400, 'BadRequest', 'the body must be an object with metadata');
    const obj = clone(body);
    const meta = obj['metadata'] as JsonObject;
    if (route.type.namespaced) {
      const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : route.namespace;
      if (route.namespace === null || (ns !== route.namespace)) throw new HttpError(400, 'BadRequest', 'the namespace of the object does not match the namespace of the request');
      meta['namespace'] = ns;
    }
    if (typeof meta['name'] !== 'string' && typeof meta['generateName'] === 'string') meta['name'] = `${meta['generateName']}${randomUUID().slice(0, 5)}`;
    if (typeof meta['name'] !== 'string' || meta['name'] === '') throw new HttpError(422, 'Invalid', 'metadata.name: Required value');
    const key = this.key(route.type, route.type.namespaced ? route.namespace! : '', meta['name']);
    if (this.objects.has(key)) throw new HttpError(409, 'AlreadyExists', `${route.type.plural} "${meta['name']}" already exists`);
    // With a status subresource, status cannot be set on create (the server resets it).
    if (route.type.statusSubresource) delete obj['status'];
    return this.store(route.type, key, obj, null, true);
  }

  /** Optimistic concurrency: a write naming a resourceVersion must name the current one. */
  private precondition(route: Route, body: JsonObject, current: JsonObject): void {
    const meta = body['metadata'];
    const wanted = isJsonObject(meta) ? meta['resourceVersion'] : undefined;
    if (typeof wanted === 'string' && wanted !== '' && wanted !== metaOf(current).resourceVersion) {
      throw new HttpError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${route.type.plural} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
  }

  /** Applies a whole new object to the stored one, honouring the status subresource split. */
  private write(route: Route, key: string, stored: Stored, next: JsonObject): JsonObject {
    let result: JsonObject;
    if (route.status) {
      result = clone(stored.obj);
      if (next['status'] === undefined) delete result['status'];
      else result['status'] = next['status'];
    } else {
      result = this.carryMeta(clone(next), stored.obj);
      if (route.type.statusSubresource) {
        if (stored.obj['status'] === undefined) delete result['status'];
        else result['status'] = stored.obj['status'];
      }
    }
    if (JSON.stringify(result) === JSON.stringify(stored.obj)) return clone(stored.obj); // no-op writes keep the version
    return this.store(route.type, key, result, stored.obj, false);
  }

  private update(route: Route, body: Json | null): JsonObject {
    this.bump(route, 'update');
    if (route.name === null) throw new HttpError(405, 'MethodNotAllowed', 'PUT needs a name');
    if (!isJsonObject(body)) throw new HttpError(400, 'BadRequest', 'the body must be an object');
    const { key, stored } = this.existing(route);
    this.precondition(route, body, stored.obj);
    return this.write(route, key, stored, body);
  }

  private patch(route: Route, body: Json | null, contentType: string): JsonObject {
    this.bump(route, 'patch');
    if (route.name === null) throw new HttpError(405, 'MethodNotAllowed', 'PATCH needs a name');
    if (!contentType.startsWith('application/merge-patch+json')) {
      throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json (got ${contentType})`);
    }
    if (!isJsonObject(body)) throw new HttpError(400, 'BadRequest', 'a merge patch must be an object');
    const { key, stored } = this.existing(route);
    this.precondition(route, body, stored.obj);
    const merged = mergePatch(stored.obj, body) as JsonObject;
    return this.write(route, key, stored, merged);
  }

  private deleteRoute(route: Route): JsonObject {
    this.bump(route, 'delete');
    const { key, stored } = this.existing(route);
    return this.drop(route.type, key, stored);
  }

  /** Deletes; the DELETED event carries the object's last state at the deletion's resourceVersion. */
  private drop(type: ResourceType, key: string, stored: Stored): JsonObject {
    this.objects.delete(key);
    this.rv++;
    const gone = clone(stored.obj);
    (gone['metadata'] as JsonObject)['resourceVersion'] = String(this.rv);
    this.record(type, gone, null);
    return clone(gone);
  }
}

async function readJson(req: IncomingMessage): Promise<Json | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new HttpError(400, 'BadRequest', 'the body is not JSON');
  }
}
