import { AirlbError } from '../errors.js';

/**
 * A request the API server refused or could not be made. `status` is the HTTP status (0 when no
 * response came back: connection refused, timeout), so callers can tell a 409 Conflict (re-read
 * and retry), a 410 Gone (re-list) and an outage (keep the last known state) apart.
 */
export class ApiError extends AirlbError {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(status === 0 ? 'api-unreachable' : `api-${status}`, message, options);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The HTTP status of anything a transport threw; 0 when no answer came back. */
export function statusOf(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  // @kubernetes/client-node's Watch reports a refused stream as an Error with `statusCode`.
  if (typeof err === 'object' && err !== null && typeof (err as { statusCode?: unknown }).statusCode === 'number') {
    return (err as { statusCode: number }).statusCode;
  }
  return 0;
}
