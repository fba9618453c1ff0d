import type { Service } from '../config/types.js';
import { formatIp, parseIp, type Ip, type IpFamily } from '../net/ip.js';
import { fail, type Failure } from './failure.js';

/**
 * MetalLB's Service annotations. Each exists under the current `metallb.io/` prefix and the older
 * `metallb.universe.tf/` one; when both are present the `metallb.io/` value is used.
 */
export const ANNOTATION = {
  loadBalancerIPs: ['metallb.io/loadBalancerIPs', 'metallb.universe.tf/loadBalancerIPs'],
  addressPool: ['metallb.io/address-pool', 'metallb.universe.tf/address-pool'],
  allowSharedIP: ['metallb.io/allow-shared-ip', 'metallb.universe.tf/allow-shared-ip'],
} as const;

/**
 * How many families the Service gets:
 * - `single`: exactly `families[0]`;
 * - `require`: both families, from one pool (RequireDualStack, or two ipFamilies with no policy);
 * - `prefer`: both if one pool can give both, otherwise one (PreferDualStack), primary first.
 */
export type StackMode = 'single' | 'require' | 'prefer';

/** What a Service asks of the allocator, read from its spec and annotations. */
export interface AllocationRequest {
  /** Requested addresses (annotation or spec.loadBalancerIP), at most one per family; empty = any. */
  readonly ips: readonly Ip[];
  /** The pool named by the address-pool annotation, or null. */
  readonly pool: string | null;
  /** The families to allocate, primary first (one entry for `single`, two otherwise). */
  readonly families: readonly IpFamily[];
  readonly mode: StackMode;
  /** allow-shared-ip value; "" when the Service does not share. */
  readonly sharingKey: string;
  /**
   * MetalLB's backend key: with externalTrafficPolicy Local the Service's selector in canonical
   * form (sharing an address is only sound when the same pods back every Service on it, since
   * traffic goes only to nodes with local endpoints); "" with Cluster.
   */
  readonly backendKey: string;
  /** "TCP/80"-style protocol/port pairs, the unit of conflict between Services sharing an address. */
  readonly ports: readonly string[];
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The first annotation present among `names` (newest prefix first). */
function annotation(service: Service, names: readonly string[]): string | null {
  const annotations = service.metadata.annotations;
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(annotations, name)) return annotations[name]!;
  }
  return null;
}

function familyOfName(name: string): IpFamily {
  return name === 'IPv6' ? 6 : 4;
}

function otherFamily(family: IpFamily): IpFamily {
  return family === 4 ? 6 : 4;
}

function familyLabel(family: IpFamily): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}

function uniqueFamilies(families: readonly IpFamily[]): IpFamily[] {
  return families.filter((f, i) => families.indexOf(f) === i);
}

function readRequestedIps(service: Service): { ok: true; ips: Ip[] } | Failure {
  const who = serviceKey(service.metadata.namespace, service.metadata.name);
  const annotated = annotation(service, ANNOTATION.loadBalancerIPs);
  const specIp = service.spec.loadBalancerIP;
  const hasAnnotation = annotated !== null && annotated.trim() !== '';
  const hasSpec = specIp !== null && specIp.trim() !== '';
  if (hasAnnotation && hasSpec) {
    return fail(
      'conflicting-requests',
      `Service ${who} sets both spec.loadBalancerIP and the ${ANNOTATION.loadBalancerIPs[0]} annotation; keep only the annotation`,
    );
  }
  if (!hasAnnotation && !hasSpec) return { ok: true, ips: [] };
  const source = hasAnnotation ? `annotation ${ANNOTATION.loadBalancerIPs[0]}` : 'spec.loadBalancerIP';
  const texts = (hasAnnotation ? annotated! : specIp!).split(',').map((t) => t.trim());
  const ips: Ip[] = [];
  for (const text of texts) {
    const ip = parseIp(text);
    if (ip === null) {
      return fail('invalid-request', `Service ${who}: ${source} contains "${text}", which is not an IPv4 or IPv6 address`);
    }
    ips.push(ip);
  }
  if (ips.length > 2 || (ips.length === 2 && ips[0]!.family === ips[1]!.family)) {
    return fail(
      'too-many-ips',
      `Service ${who}: ${source} lists ${ips.map(formatIp).join(', ')}; give at most one IPv4 and one IPv6 address`,
    );
  }
  return { ok: true, ips };
}

/**
 * Families the Service declares: spec.ipFamilies (set by the API server), else the families of
 * spec.clusterIPs, else those of the requested addresses (a hand-written standalone Service).
 */
function declaredFamilies(service: Service, requested: readonly Ip[]): IpFamily[] {
  if (service.spec.ipFamilies.length > 0) return uniqueFamilies(service.spec.ipFamilies.map(familyOfName));
  const fromClusterIps = service.spec.clusterIPs.map(parseIp).filter((ip): ip is Ip => ip !== null);
  if (fromClusterIps.length > 0) return uniqueFamilies(fromClusterIps.map((ip) => ip.family));
  return uniqueFamilies(requested.map((ip) => ip.family));
}

function stackOf(service: Service, declared: readonly IpFamily[]): { mode: StackMode; families: IpFamily[] } {
  const primary = declared[0] ?? 4;
  const both = [primary, otherFamily(primary)];
  switch (service.spec.ipFamilyPolicy) {
    case 'RequireDualStack':
      return { mode: 'require', families: both };
    case 'PreferDualStack':
      // The API server lists one family under PreferDualStack only on a single-stack cluster.
      return declared.length === 1 ? { mode: 'single', families: [primary] } : { mode: 'prefer', families: both };
    case 'SingleStack':
      return { mode: 'single', families: [primary] };
    case null:
      // No policy: as MetalLB, two declared families make the Service dual-stack.
      return declared.length === 2 ? { mode: 'require', families: both } : { mode: 'single', families: [primary] };
  }
}

/** The canonical text of a selector ("app=web,tier=front"), keys sorted, as Kubernetes prints it. */
function selectorText(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
}

/** Reads what the Service asks for; a Failure when the request itself is contradictory or malformed. */
export function readRequest(service: Service): { ok: true; request: AllocationRequest } | Failure {
  const who = serviceKey(service.metadata.namespace, service.metadata.name);
  const requested = readRequestedIps(service);
  if (!requested.ok) return requested;
  const ips = requested.ips;
  const { mode, families } = stackOf(service, declaredFamilies(service, ips));
  for (const ip of ips) {
    if (!families.includes(ip.family)) {
      return fail(
        'family-mismatch',
        `Service ${who} requests ${formatIp(ip)} but is ${families.map(familyLabel).join('/')} only; request an address of its family or change spec.ipFamilies`,
      );
    }
  }
  if (mode === 'require' && ips.length === 1) {
    return fail(
      'family-mismatch',
      `Service ${who} is dual-stack (RequireDualStack) but requests only ${formatIp(ips[0]!)}; request one IPv4 and one IPv6 address`,
    );
  }
  const pool = annotation(service, ANNOTATION.addressPool);
  const sharingKey = annotation(service, ANNOTATION.allowSharedIP) ?? '';
  return {
    ok: true,
    request: {
      ips,
      pool: pool === null || pool.trim() === '' ? null : pool.trim(),
      families,
      mode,
      sharingKey,
      backendKey: service.spec.externalTrafficPolicy === 'Local' ? selectorText(service.spec.selector) : '',
      ports: service.spec.ports.map((p) => `${p.protocol}/${p.port}`),
    },
  };
}

/**
 * Whether airlb handles the Service at all: it must be of type LoadBalancer, and have no
 * spec.loadBalancerClass or the one airlb is configured for (Kubernetes leaves classed
 * Services to the controller of that class). Null when handled, otherwise why not.
 */
export function unhandledReason(service: Service, loadBalancerClass: string | null): Failure | null {
  const who = serviceKey(service.metadata.namespace, service.metadata.name);
  if (service.spec.type !== 'LoadBalancer') {
    return fail('not-load-balancer', `Service ${who} is of type ${service.spec.type}, not LoadBalancer`);
  }
  const cls = service.spec.loadBalancerClass;
  if (cls !== null && cls !== loadBalancerClass) {
    return fail(
      'other-class',
      `Service ${who} has loadBalancerClass "${cls}", which ${loadBalancerClass === null ? 'airlb is not configured for' : `is not airlb's ("${loadBalancerClass}")`}; another controller handles it`,
    );
  }
  return null;
}
