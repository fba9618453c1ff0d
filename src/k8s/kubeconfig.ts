import { KubeConfig } from '@kubernetes/client-node';
import { AirlbError } from '../errors.js';

/**
 * The client configuration: `--kubeconfig FILE` when given, else the pod's service account
 * (KUBERNETES_SERVICE_HOST and the token mounted at /var/run/secrets/kubernetes.io/serviceaccount),
 * else an error that says which of the two to provide.
 */
export function loadKubeConfig(path: string | null, env: Readonly<Record<string, string | undefined>>): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (path !== null) kc.loadFromFile(path);
    else if ((env['KUBERNETES_SERVICE_HOST'] ?? '') !== '') kc.loadFromCluster();
    else throw new AirlbError('no-kubeconfig', 'not running in a pod (KUBERNETES_SERVICE_HOST is unset); pass --kubeconfig FILE');
  } catch (err) {
    if (err instanceof AirlbError) throw err;
    throw new AirlbError('bad-kubeconfig', `cannot load ${path ?? 'the in-cluster configuration'}: ${String(err)}`, { cause: err });
  }
  if (kc.getCurrentCluster() === null) throw new AirlbError('bad-kubeconfig', `${path ?? 'the configuration'} has no current context with a cluster; set current-context`);
  return kc;
}
