import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Clock, Timer } from '../domain/clock.js';
import { systemClock } from '../io/system-clock.js';

/**
 * When standalone mode reloads its configuration: on SIGHUP at once, and when a watched file or
 * folder changes, after `debounceMs` of quiet — editors write a file in several steps (truncate,
 * write, rename a swap file over it) and `kubectl`-style ConfigMap mounts swap a `..data` symlink,
 * so one save yields a handful of events that should make one reload.
 *
 * A file is watched through its folder, filtered by name: watching the file itself stops at the
 * first editor that saves by renaming a new file over the old one (the watch follows the old
 * inode). A folder is watched recursively, as `-f FOLDER` reads it recursively.
 */
export type ReloadCause = 'file-change' | 'sighup';

export interface ReloadWatchOptions {
  readonly paths: readonly string[];
  readonly onReload: (cause: ReloadCause, detail: string) => void;
  /** A watch that failed (folder removed, too many watches): the caller logs it. */
  readonly onWatchError: (path: string, err: Error) => void;
  readonly debounceMs?: number;
  readonly clock?: Clock;
  /** Where SIGHUP comes from; a test passes an EventEmitter. */
  readonly signals?: SignalSource;
}

/** process, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: 'SIGHUP', listener: () => void): unknown;
  off(event: 'SIGHUP', listener: () => void): unknown;
}

export interface ReloadWatch {
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 300;

export async function watchForReload(options: ReloadWatchOptions): Promise<ReloadWatch> {
  const clock = options.clock ?? systemClock;
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const signals = options.signals ?? process;
  const watchers: FSWatcher[] = [];
  let pending: Timer | null = null;
  let lastDetail = '';
  let closed = false;

  const changed = (detail: string): void => {
    if (closed) return;
    lastDetail = detail;
    pending?.cancel();
    pending = clock.setTimeout(() => {
      pending = null;
      if (!closed) options.onReload('file-change', lastDetail);
    }, debounceMs);
  };
  const onHup = (): void => {
    if (!closed) options.onReload('sighup', 'SIGHUP');
  };

  for (const path of options.paths) {
    const full = resolve(path);
    const isDir = (await stat(full)).isDirectory();
    const target = isDir ? full : dirname(full);
    const name = basename(full);
    const watcher = watch(target, { recursive: isDir, persistent: false }, (_event, filename) => {
      const changedName = filename === null ? null : String(filename);
      if (isDir) changed(changedName === null ? full : resolve(full, changedName));
      else if (changedName === null || changedName === name) changed(full);
    });
    watcher.on('error', (err) => options.onWatchError(full, err));
    watchers.push(watcher);
  }
  signals.on('SIGHUP', onHup);

  return {
    close(): void {
      closed = true;
      pending?.cancel();
      pending = null;
      signals.off('SIGHUP', onHup);
      for (const w of watchers) w.close();
    },
  };
}
