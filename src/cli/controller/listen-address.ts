import { UsageError } from '../../errors.js';

/** "HOST:PORT", ":PORT" or "[v6]:PORT" → host and port (host "" means every address). */
export function parseListenAddress(command: string, flag: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new UsageError(`${command}: ${flag} must be HOST:PORT or :PORT, not '${text}'`);
  return { host: m[1] ?? m[2] ?? '', port };
}
