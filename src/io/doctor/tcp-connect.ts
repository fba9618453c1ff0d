import { connect } from 'node:net';

export interface TcpResult {
  readonly ok: boolean;
  readonly ms: number;
  /** The error code (ECONNREFUSED, ETIMEDOUT, ...), null when connected. */
  readonly error: string | null;
}

/** Opens a TCP connection to host:port and closes it at once; bounded by `timeoutMs`. */
export function tcpConnect(host: string, port: number, timeoutMs = 3000): Promise<TcpResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (error: string | null): void => {
      socket.destroy();
      resolve({ ok: error === null, ms: Math.round(performance.now() - started), error });
    };
    socket.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
