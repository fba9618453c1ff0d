/**
 * Resolves on the first SIGTERM or SIGINT; a second one while stopping is ignored, so cleanup
 * (closing sockets, withdrawing announcements) runs once.
 */
export function terminated(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const ignore = (): void => undefined;
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      process.on('SIGTERM', ignore);
      process.on('SIGINT', ignore);
      resolveSignal(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
