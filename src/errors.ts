/**
 * One base class for every error airlb raises on purpose. `code` is stable (tests, JSON output
 * and metrics key on it); the message says what is wrong and what to do about it.
 */
export class AirlbError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AirlbError';
    this.code = code;
  }
}

/** Wrong command-line usage: the CLI exits with status 2. */
export class UsageError extends AirlbError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

/** Renders anything thrown into one line for a log or a terminal. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
