import { isJsonObject, metaOf, type JsonObject } from './json.js';

/**
 * The TCP MD5 keys a BGPPeer's passwordSecret can name: the `password` key of each
 * `kubernetes.io/basic-auth` Secret, by Secret name. MetalLB accepts that type only (a Secret of
 * another type is refused, not read), so a Secret holding something else is never sent to a
 * router by mistake. Secret data is base64 (the API server turns stringData into data on write).
 */
export const BASIC_AUTH_SECRET_TYPE = 'kubernetes.io/basic-auth';

export function basicAuthPasswords(secrets: readonly JsonObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const secret of secrets) {
    if (secret['type'] !== BASIC_AUTH_SECRET_TYPE) continue;
    const data = secret['data'];
    const encoded = isJsonObject(data) ? data['password'] : undefined;
    if (typeof encoded !== 'string') continue;
    out.set(metaOf(secret).name, Buffer.from(encoded, 'base64').toString('utf8'));
  }
  return out;
}
