import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** An HTTP(S) server listening on a port: the port it got and how to stop it. */
export interface ListeningServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts `server` on host:port ("" listens on every address, port 0 picks a free one) and
 * resolves once it accepts connections; a bind failure (EADDRINUSE, EACCES) rejects. close()
 * drops open keep-alive connections too, so a scraper or the API server cannot hold shutdown up.
 */
export async function listenOn(server: HttpServer | HttpsServer, host: string, port: number): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host === '') server.listen(port, () => resolve());
    else server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
