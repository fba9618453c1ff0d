/**
 * Structured logs for long-running commands (standalone, speaker, controller, lab). One line per
 * event, either JSON (for collectors) or `time level msg key=value` text (for people). Fields are
 * the facts a person needs at 2 a.m.: which VIP, which interface, which peer, and why.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'text';
export type LogFields = Readonly<Record<string, unknown>>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. { component: 'responder' }). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  write: (line: string) => void;
  now?: () => Date;
}

function textValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(s ?? '') ? JSON.stringify(s) : String(s);
}

export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (rank[level] < rank[options.level]) return;
    const all = { ...base, ...fields };
    if (options.format === 'json') {
      options.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...all })}\n`);
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${textValue(v)}`)
        .join(' ');
      options.write(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

export function isLogFormat(value: string): value is LogFormat {
  return value === 'json' || value === 'text';
}

export function isLogLevel(value: string): value is LogLevel {
  return value in rank;
}
