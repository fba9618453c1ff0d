import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { AirlbError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';

/**
 * Where the API server is and how to authenticate, for HttpTransport: a pod's service account
 * (KUBERNETES_SERVICE_HOST/PORT, the mounted CA and token) or a kubeconfig whose user has a
 * token, a token file or a client certificate. Exec and auth-provider plugins need the official
 * client: run `airlb controller` for those, or give the speaker a token kubeconfig.
 */
export interface Connection {
  readonly server: string;
  readonly ca: Buffer | null;
  readonly cert: Buffer | null;
  readonly key: Buffer | null;
  readonly insecureSkipTlsVerify: boolean;
  /** A fixed bearer token, or a file re-read as the kubelet rotates it (bound service account tokens). */
  readonly token: { readonly value: string } | { readonly file: string } | null;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function text(o: JsonObject | null, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

function named(list: Json | undefined, name: string, what: string, file: string): JsonObject {
  const entry = Array.isArray(list) ? list.find((e) => isJsonObject(e) && e['name'] === name) : undefined;
  const body = isJsonObject(entry) ? entry[what] : undefined;
  if (!isJsonObject(body)) throw new AirlbError('bad-kubeconfig', `${file}: no ${what} named "${name}"; fix current-context or the ${what}s list`);
  return body;
}

/** Inline base64 data, else a file relative to the kubeconfig's folder, else null. */
function material(o: JsonObject, key: string, base: string): Buffer | null {
  const data = text(o, `${key}-data`);
  if (data !== null) return Buffer.from(data, 'base64');
  const path = text(o, key);
  return path === null ? null : readFileSync(resolve(base, path));
}

export function connectionFromKubeconfig(file: string): Connection {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AirlbError('bad-kubeconfig', `cannot read ${file}: ${String(err)}`, { cause: err });
  }
  if (!isJsonObject(doc)) throw new AirlbError('bad-kubeconfig', `${file} is not a kubeconfig (a YAML mapping)`);
  const config = doc;
  const contextName = text(config, 'current-context');
  if (contextName === null) throw new AirlbError('bad-kubeconfig', `${file} has no current-context; set one`);
  const context = named(config['contexts'], contextName, 'context', file);
  const cluster = named(config['clusters'], text(context, 'cluster') ?? '', 'cluster', file);
  const userName = text(context, 'user');
  const user = userName === null ? {} : named(config['users'], userName, 'user', file);
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined) {
    throw new AirlbError('unsupported-kubeconfig', `${file}: user "${userName}" authenticates through an exec or auth-provider plugin, which the speaker does not run; use a kubeconfig with a token or client certificate`);
  }
  const server = text(cluster, 'server');
  if (server === null) throw new AirlbError('bad-kubeconfig', `${file}: cluster "${text(context, 'cluster')}" has no server`);
  const base = dirname(file);
  const tokenValue = text(user, 'token');
  const tokenFile = text(user, 'tokenFile');
  return {
    server,
    ca: material(cluster, 'certificate-authority', base),
    cert: material(user, 'client-certificate', base),
    key: material(user, 'client-key', base),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: tokenValue !== null ? { value: tokenValue } : tokenFile !== null ? { file: resolve(base, tokenFile) } : null,
  };
}

export function connectionInCluster(env: Readonly<Record<string, string | undefined>>, dir = SERVICE_ACCOUNT_DIR): Connection {
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    cert: null,
    key: null,
    insecureSkipTlsVerify: false,
    token: { file: `${dir}/token` },
  };
}

/** `--kubeconfig FILE` when given, else the pod's service account, else an error saying which to provide. */
export function loadConnection(path: string | null, env: Readonly<Record<string, string | undefined>>): Connection {
  if (path !== null) return connectionFromKubeconfig(path);
  if ((env['KUBERNETES_SERVICE_HOST'] ?? '') === '') {
    throw new AirlbError('no-kubeconfig', 'not running in a pod (KUBERNETES_SERVICE_HOST is unset); pass --kubeconfig FILE');
  }
  try {
    return connectionInCluster(env);
  } catch (err) {
    throw new AirlbError('bad-kubeconfig', `cannot read the service account in ${SERVICE_ACCOUNT_DIR}: ${String(err)}`, { cause: err });
  }
}
