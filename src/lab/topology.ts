import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { AirlbError } from '../errors.js';
import {
  canonicalIp,
  cidrToRange,
  formatCidr,
  parseAddressRange,
  parseCidr,
  parseIp,
  rangeContains,
  type Cidr,
} from '../domain/net/ip.js';

/**
 * The lab's topology as a pure description: which namespaces exist, how each reaches the AP
 * (a wired or a WiFi port of one bridge) and which AP behaviours each WiFi port has. Parsing and
 * validation do no I/O; the appliers (apply-*.ts) turn this into `ip`/`bridge`/`nft` commands.
 */

export type PortKind = 'wired' | 'wifi';
export type NodeRole = 'router' | 'node' | 'client';

/** What the AP does to one WiFi station's port (docs/lab.md explains how each is emulated). */
export interface ApBehaviours {
  /** The AP answers ARP for the station's own address and never floods ARP requests to it. */
  readonly proxyArp: boolean;
  /** WiFi stations cannot reach each other, only wired hosts (the router, wired nodes). */
  readonly isolation: boolean;
  /** ARP from the station whose sender IP is not the station's own address is dropped. */
  readonly garpFilter: boolean;
  /** Percent (0–100) of frames dropped in each direction over the air. */
  readonly loss: number;
  /** The Raspberry Pi WiFi firmware answers ARP only for addresses on the interface, unless promiscuous. */
  readonly firmwareFilter: boolean;
}

export interface LabNodeSpec {
  /** Also the AP's port name for this node, so at most 15 characters. */
  readonly name: string;
  readonly role: NodeRole;
  readonly port: PortKind;
  /** The interface name inside the node's namespace (eth0 / wlan0 by default). */
  readonly iface: string;
  readonly ipv4: string;
  readonly ipv6: string | null;
  /** Kubernetes-style labels; the standalone manifests put them on the Node object. */
  readonly labels: Readonly<Record<string, string>>;
  /** Null on a wired port: the AP does nothing special there. */
  readonly behaviours: ApBehaviours | null;
}

export interface Topology {
  readonly lan: { readonly ipv4: string; readonly ipv6: string | null };
  /** The AP's own addresses (the bridge needs one to answer proxy ARP). */
  readonly ap: { readonly ipv4: string; readonly ipv6: string | null };
  /** Addresses the lab's generated IPAddressPool hands out (inclusive range). */
  readonly vipPool: string | null;
  readonly nodes: readonly LabNodeSpec[];
}

export const behaviourNames = ['proxyArp', 'isolation', 'garpFilter', 'loss', 'firmwareFilter'] as const;

/**
 * A consumer AP as the field guide meets it: proxy ARP and GARP filtering on, isolation off
 * (isolation would stop the cluster's own node-to-node traffic), no loss; the firmware filter
 * only on Pi nodes (clients are phones and laptops, not Pis).
 */
export function defaultBehaviours(role: NodeRole): ApBehaviours {
  return { proxyArp: true, isolation: false, garpFilter: true, loss: 0, firmwareFilter: role === 'node' };
}

function node(name: string, role: NodeRole, port: PortKind, host: number): LabNodeSpec {
  const labels: Record<string, string> =
    role === 'node' ? { 'kubernetes.io/hostname': name, 'airlb.io/link': port } : {};
  return {
    name,
    role,
    port,
    iface: port === 'wifi' ? 'wlan0' : 'eth0',
    ipv4: `192.168.1.${host}`,
    ipv6: `fd00:a1b::${host}`,
    labels,
    behaviours: port === 'wifi' ? defaultBehaviours(role) : null,
  };
}

/** The home LAN of issue 4: router, AP, pi1 wired, pi2/pi3 on WiFi, a WiFi and a wired client. */
export function defaultTopology(): Topology {
  return {
    lan: { ipv4: '192.168.1.0/24', ipv6: 'fd00:a1b::/64' },
    ap: { ipv4: '192.168.1.2', ipv6: 'fd00:a1b::2' },
    vipPool: '192.168.1.200-192.168.1.210',
    nodes: [
      node('router', 'router', 'wired', 1),
      node('pi1', 'node', 'wired', 11),
      node('pi2', 'node', 'wifi', 12),
      node('pi3', 'node', 'wifi', 13),
      node('laptop', 'client', 'wifi', 50),
      node('desktop', 'client', 'wired', 51),
    ],
  };
}

/** Node names become namespace suffixes and AP port names (IFNAMSIZ: 15 characters). */
const nodeNamePattern = /^[a-z][a-z0-9]{0,14}$/;
const ifacePattern = /^[a-zA-Z][a-zA-Z0-9_.]{0,14}$/;
/** `ap` is the AP's own namespace suffix and `br0` its bridge. */
const reservedNames = new Set(['ap', 'br0']);

type Path = readonly (string | number)[];

interface Problem {
  readonly path: Path;
  readonly subject: string;
  readonly message: string;
}

function formatPath(path: Path): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates the plain value of a topology document; collects every problem before failing. */
class Validator {
  readonly problems: Problem[] = [];

  fail(path: Path, subject: string, message: string): void {
    this.problems.push({ path, subject, message });
  }

  keys(value: Record<string, unknown>, allowed: readonly string[], path: Path, subject: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail([...path, key], subject, `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }

  cidr(value: unknown, family: 4 | 6, path: Path, subject: string): Cidr | null {
    const cidr = typeof value === 'string' ? parseCidr(value, true) : null;
    if (cidr === null || cidr.family !== family) {
      this.fail(path, subject, `expected an IPv${family} prefix with host bits zero, e.g. ${family === 4 ? '192.168.1.0/24' : 'fd00:a1b::/64'}`);
      return null;
    }
    return cidr;
  }

  /** A host address inside `subnet` (not its network or IPv4 broadcast address), canonical. */
  host(value: unknown, subnet: Cidr | null, path: Path, subject: string): string | null {
    const ip = typeof value === 'string' ? parseIp(value) : null;
    if (ip === null) {
      this.fail(path, subject, 'expected an IP address');
      return null;
    }
    if (subnet === null) return canonicalIp(value as string);
    const range = cidrToRange(subnet);
    if (ip.family !== subnet.family || !rangeContains(range, ip)) {
      this.fail(path, subject, `${String(value)} is not inside the LAN ${formatCidr(subnet)}`);
      return null;
    }
    if (ip.value === range.first || (ip.family === 4 && ip.value === range.last)) {
      this.fail(path, subject, `${String(value)} is the network or broadcast address of ${formatCidr(subnet)}`);
      return null;
    }
    return canonicalIp(value as string);
  }
}

/** The behaviours a map sets; absent keys are left to the defaults. */
function readBehaviours(v: Validator, raw: unknown, path: Path, subject: string): Partial<ApBehaviours> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    v.fail(path, subject, 'expected a map of behaviours');
    return {};
  }
  v.keys(raw, behaviourNames, path, subject);
  const out: { -readonly [K in keyof ApBehaviours]?: ApBehaviours[K] } = {};
  for (const name of behaviourNames) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'loss') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
        v.fail([...path, name], subject, 'expected a whole percentage from 0 to 100');
      } else out.loss = value;
    } else if (typeof value !== 'boolean') {
      v.fail([...path, name], subject, 'expected true or false');
    } else out[name] = value;
  }
  return out;
}

function readLabels(v: Validator, raw: unknown, path: Path, subject: string): Record<string, string> | null {
  if (raw === undefined) return null;
  if (!isRecord(raw)) {
    v.fail(path, subject, 'expected a map of label names to strings');
    return null;
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') v.fail([...path, key], subject, 'label values must be strings (quote numbers and booleans)');
    else out[key] = value;
  }
  return out;
}

/** Checks a plain topology value; returns the topology or the problems found. */
function validate(raw: unknown): { topology: Topology | null; problems: Problem[] } {
  const v = new Validator();
  const lab = 'Lab';
  if (!isRecord(raw)) {
    v.fail([], lab, 'expected a map with lan, ap, vipPool and nodes');
    return { topology: null, problems: v.problems };
  }
  v.keys(raw, ['lan', 'ap', 'vipPool', 'wifiDefaults', 'nodes'], [], lab);

  const lanRaw = isRecord(raw.lan) ? raw.lan : {};
  if (!isRecord(raw.lan)) v.fail(['lan'], lab, 'expected a map with ipv4 (and optionally ipv6)');
  else v.keys(lanRaw, ['ipv4', 'ipv6'], ['lan'], lab);
  const lan4 = v.cidr(lanRaw.ipv4, 4, ['lan', 'ipv4'], lab);
  const lan6 = lanRaw.ipv6 === undefined ? null : v.cidr(lanRaw.ipv6, 6, ['lan', 'ipv6'], lab);
  const hasV6 = lanRaw.ipv6 !== undefined;

  const apRaw = isRecord(raw.ap) ? raw.ap : {};
  if (!isRecord(raw.ap)) v.fail(['ap'], lab, 'expected a map with the AP\'s ipv4 (and ipv6 when the LAN has one)');
  else v.keys(apRaw, ['ipv4', 'ipv6'], ['ap'], lab);
  const ap4 = v.host(apRaw.ipv4, lan4, ['ap', 'ipv4'], lab);
  let ap6: string | null = null;
  if (hasV6) ap6 = v.host(apRaw.ipv6, lan6, ['ap', 'ipv6'], lab);
  else if (apRaw.ipv6 !== undefined) v.fail(['ap', 'ipv6'], lab, 'the LAN has no ipv6 prefix (add lan.ipv6)');

  let vipPool: string | null = null;
  if (raw.vipPool !== undefined) {
    const range = typeof raw.vipPool === 'string' ? parseAddressRange(raw.vipPool) : null;
    if (range === null || lan4 === null || range.family !== 4) {
      v.fail(['vipPool'], lab, 'expected an IPv4 range "first-last" or prefix inside the LAN, e.g. 192.168.1.200-192.168.1.210');
    } else if (!rangeContains(cidrToRange(lan4), { family: 4, value: range.first }) || !rangeContains(cidrToRange(lan4), { family: 4, value: range.last })) {
      v.fail(['vipPool'], lab, `the pool must lie inside the LAN ${formatCidr(lan4)}`);
    } else vipPool = String(raw.vipPool);
  }

  const wifiDefaults = readBehaviours(v, raw.wifiDefaults, ['wifiDefaults'], lab);

  const nodes: LabNodeSpec[] = [];
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0) {
    v.fail(['nodes'], lab, 'expected a list of nodes (one with role: router)');
  } else {
    const seenNames = new Set<string>();
    const seenIps = new Map<string, string>();
    if (ap4 !== null) seenIps.set(ap4, 'the AP');
    if (ap6 !== null) seenIps.set(ap6, 'the AP');
    raw.nodes.forEach((entry: unknown, i: number) => {
      const path: Path = ['nodes', i];
      if (!isRecord(entry)) {
        v.fail(path, lab, 'expected a map with name, role, port, ipv4');
        return;
      }
      const name = typeof entry.name === 'string' ? entry.name : '';
      const subject = name ? `Node/${name}` : `Node[${i}]`;
      v.keys(entry, ['name', 'role', 'port', 'iface', 'ipv4', 'ipv6', 'labels', 'behaviours'], path, subject);
      if (!nodeNamePattern.test(name)) v.fail([...path, 'name'], subject, 'expected 1-15 lowercase letters and digits starting with a letter');
      else if (reservedNames.has(name)) v.fail([...path, 'name'], subject, `'${name}' is reserved for the AP`);
      else if (seenNames.has(name)) v.fail([...path, 'name'], subject, 'duplicate node name');
      seenNames.add(name);
      const role = entry.role ?? 'node';
      if (role !== 'router' && role !== 'node' && role !== 'client') v.fail([...path, 'role'], subject, 'expected router, node or client');
      const port = entry.port ?? 'wired';
      if (port !== 'wired' && port !== 'wifi') v.fail([...path, 'port'], subject, 'expected wired or wifi');
      if (role === 'router' && port !== 'wired') v.fail([...path, 'port'], subject, 'the router is wired to the AP');
      const iface = entry.iface ?? (port === 'wifi' ? 'wlan0' : 'eth0');
      if (typeof iface !== 'string' || !ifacePattern.test(iface)) v.fail([...path, 'iface'], subject, 'expected an interface name of at most 15 characters');
      const ipv4 = v.host(entry.ipv4, lan4, [...path, 'ipv4'], subject);
      let ipv6: string | null = null;
      if (hasV6) ipv6 = v.host(entry.ipv6, lan6, [...path, 'ipv6'], subject);
      else if (entry.ipv6 !== undefined) v.fail([...path, 'ipv6'], subject, 'the LAN has no ipv6 prefix (add lan.ipv6)');
      for (const [ip, field] of [[ipv4, 'ipv4'], [ipv6, 'ipv6']] as const) {
        if (ip === null) continue;
        const owner = seenIps.get(ip);
        if (owner !== undefined) v.fail([...path, field], subject, `${ip} is already used by ${owner}`);
        seenIps.set(ip, `node ${name}`);
      }
      if (ipv4 !== null && vipPool !== null) {
        const range = parseAddressRange(vipPool);
        const ip = parseIp(ipv4);
        if (range !== null && ip !== null && rangeContains(range, ip)) {
          v.fail([...path, 'ipv4'], subject, `${ipv4} lies inside the vipPool ${vipPool}`);
        }
      }
      const validRole: NodeRole = role === 'router' || role === 'client' ? role : 'node';
      let behaviours: ApBehaviours | null = null;
      if (port === 'wifi') {
        behaviours = { ...defaultBehaviours(validRole), ...wifiDefaults, ...readBehaviours(v, entry.behaviours, [...path, 'behaviours'], subject) };
      } else if (entry.behaviours !== undefined) {
        v.fail([...path, 'behaviours'], subject, 'AP behaviours apply to wifi ports only (set port: wifi)');
      }
      const defaultLabels: Record<string, string> =
        validRole === 'node' ? { 'kubernetes.io/hostname': name, 'airlb.io/link': String(port) } : {};
      const labels = readLabels(v, entry.labels, [...path, 'labels'], subject) ?? defaultLabels;
      nodes.push({ name, role: validRole, port: port === 'wifi' ? 'wifi' : 'wired', iface: String(iface), ipv4: ipv4 ?? '', ipv6, labels, behaviours });
    });
    const routers = nodes.filter((n) => n.role === 'router').length;
    if (routers !== 1) v.fail(['nodes'], lab, `expected exactly one node with role: router (found ${routers})`);
  }
  if (v.problems.length > 0) return { topology: null, problems: v.problems };
  return {
    topology: { lan: { ipv4: lan4 === null ? '' : formatCidr(lan4), ipv6: lan6 === null ? null : formatCidr(lan6) }, ap: { ipv4: ap4 ?? '', ipv6: ap6 }, vipPool, nodes },
    problems: [],
  };
}

/** The deepest YAML node along `path` that exists, for its line number. */
function nodeAt(root: YamlNode | null, path: Path): YamlNode | null {
  let current: YamlNode | null = root;
  for (const part of path) {
    if (isMap(current)) {
      const next = current.get(part, true) as YamlNode | undefined;
      if (next === undefined || next === null || typeof next !== 'object') return current;
      current = next;
    } else if (isSeq(current) && typeof part === 'number') {
      const next = current.get(part, true) as YamlNode | undefined;
      if (next === undefined || next === null || typeof next !== 'object') return current;
      current = next;
    } else return current;
  }
  return current;
}

/**
 * Parses a topology YAML document. Every problem is reported at once, one per line, as
 * `FILE:LINE: Kind/name: field.path: message` (the config parser's format), in an AirlbError
 * with code `lab-topology-invalid`.
 */
export function parseTopology(text: string, fileName: string): Topology {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${fileName}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw new AirlbError('lab-topology-invalid', lines.join('\n'));
  }
  const { topology, problems } = validate(doc.toJS());
  if (topology === null) {
    const lines = problems.map((p) => {
      const at = nodeAt(doc.contents as YamlNode | null, p.path);
      const line = at?.range ? lineCounter.linePos(at.range[0]).line : 1;
      const field = formatPath(p.path);
      return `${fileName}:${line}: ${p.subject}: ${field ? `${field}: ` : ''}${p.message}`;
    });
    throw new AirlbError('lab-topology-invalid', lines.join('\n'));
  }
  return topology;
}

/** Looks a node up by name; a clear error names the nodes that do exist. */
export function findNode(topology: Topology, name: string): LabNodeSpec {
  const found = topology.nodes.find((n) => n.name === name);
  if (found === undefined) {
    throw new AirlbError('lab-unknown-node', `no node '${name}' in this lab (nodes: ${topology.nodes.map((n) => n.name).join(', ')})`);
  }
  return found;
}

/** The router's IPv4/IPv6 addresses: every other namespace's default gateway. */
export function gatewayOf(topology: Topology): LabNodeSpec {
  return topology.nodes.find((n) => n.role === 'router')!;
}

/** The prefix length of the LAN, for `ip addr add ADDR/LEN`. */
export function lanPrefixLength(topology: Topology, family: 4 | 6): number {
  const cidr = parseCidr(family === 4 ? topology.lan.ipv4 : topology.lan.ipv6 ?? '');
  if (cidr === null) throw new AirlbError('lab-topology-invalid', `the LAN has no IPv${family} prefix`);
  return cidr.prefixLength;
}
