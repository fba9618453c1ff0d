import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Logger } from '../io/logger.js';
import { listenOn, type ListeningServer } from '../metrics/listen.js';
import { reviewAdmission, type ConfigObject } from './admission.js';
import { isJsonObject } from './json.js';

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM files (a cert-manager Secret mounted in the pod); the API server only calls HTTPS webhooks. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The configuration objects currently stored (the controller's informer caches). */
  readonly current: () => readonly ConfigObject[];
  readonly logger: Logger;
}

export type WebhookServer = ListeningServer;

/** Serves POST /validate-metallb: an AdmissionReview in, the decision of reviewAdmission out. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer({ cert: readFileSync(options.certFile), key: readFileSync(options.keyFile) }, (req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'https://local').pathname !== '/validate-metallb') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('POST /validate-metallb\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let review: unknown;
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        review = null;
      }
      if (!isJsonObject(review)) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('the body must be an AdmissionReview (JSON)\n');
        return;
      }
      const answer = reviewAdmission(review, options.current());
      const response = answer['response'];
      if (isJsonObject(response) && response['allowed'] === false) {
        options.logger.info('admission refused', { message: String(isJsonObject(response['status']) ? response['status']['message'] : '') });
      }
      if (isJsonObject(response) && Array.isArray(response['warnings'])) {
        options.logger.info('admission warnings', { warnings: response['warnings'].map(String) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return listenOn(server, options.host, options.port);
}
