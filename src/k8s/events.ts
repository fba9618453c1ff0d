import { describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { metaOf, type JsonObject } from './json.js';
import { collectionPath, RESOURCES } from './resources.js';
import type { ApiTransport } from './transport.js';

export type EventType = 'Normal' | 'Warning';

/** What an Event is about: the fields of its involvedObject. */
export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** "" for cluster-scoped objects (their Events go to the "default" namespace, as kubectl expects). */
  readonly namespace: string;
  readonly uid: string;
}

export function subjectOf(obj: JsonObject): EventSubject {
  const { name, namespace, uid } = metaOf(obj);
  const text = (k: string): string => (typeof obj[k] === 'string' ? (obj[k] as string) : '');
  return { apiVersion: text('apiVersion'), kind: text('kind'), name, namespace, uid };
}

/** Anything that records Events (the API writer in production, a list in unit tests). */
export interface EventSink {
  record(subject: EventSubject, type: EventType, reason: string, message: string): void;
  /** The subject is gone: forget what was said about it. */
  forget(uid: string): void;
}

/**
 * core/v1 Events, the ones `kubectl describe service` shows. A reason and message already said
 * about an object is not said again until something else was said about it (an allocation
 * failing on every reconcile gives one Event, not one per pass). Failures to write an Event are
 * logged and dropped: Events are advice, never a reason to stop.
 */
export class EventRecorder implements EventSink {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly transport: ApiTransport,
    private readonly component: string,
    private readonly host: string,
    private readonly log: Logger,
  ) {}

  record(subject: EventSubject, type: EventType, reason: string, message: string): void {
    const said = `${reason}\u0000${message}`;
    if (this.last.get(subject.uid) === said) return;
    this.last.set(subject.uid, said);
    const namespace = subject.namespace === '' ? 'default' : subject.namespace;
    const now = new Date().toISOString();
    const body = {
      metadata: { generateName: `${subject.name}.`, namespace },
      involvedObject: { apiVersion: subject.apiVersion, kind: subject.kind, name: subject.name, uid: subject.uid, ...(subject.namespace === '' ? {} : { namespace: subject.namespace }) },
      reason,
      message,
      type,
      source: { component: this.component, host: this.host },
      reportingComponent: `airlb.io/${this.component}`,
      reportingInstance: this.host,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.log.info('event', { kind: subject.kind, object: subject.namespace === '' ? subject.name : `${subject.namespace}/${subject.name}`, reason, message });
    this.transport.send('POST', collectionPath(RESOURCES.event, namespace), body).catch((err: unknown) => {
      this.log.warn('could not record an Event', { reason, error: describeError(err) });
    });
  }

  forget(uid: string): void {
    this.last.delete(uid);
  }
}
