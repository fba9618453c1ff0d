import { buildEndpointSlice, buildNamespace, buildNode, buildService } from './k8s-kinds.js';
import { buildBFDProfile, buildBGPAdvertisement, buildBGPPeer, buildCommunity, buildIPAddressPool, buildL2Advertisement } from './metallb-kinds.js';
import { isObject, toPlain, type PlainObject } from './plain.js';
import * as schemas from './schemas.js';
import { checkShape, type Shape } from './shape.js';
import type { ConfigIssue, ConfigSet, ConfigSource, IgnoredDocument, Origin, ParsedConfig, Resource } from './types.js';
import { readYamlDocuments, type YMap, type YNode } from './yaml-tree.js';

type Bucket = { -readonly [K in keyof ConfigSet]: ConfigSet[K][number][] };

interface KindSpec {
  readonly group: string;
  /** Served versions and the fields each accepts. */
  readonly versions: Readonly<Record<string, Shape>>;
  readonly build: (doc: PlainObject, origin: Origin) => Resource;
}

const metallb = 'metallb.io';

/** Every kind airlb reads, by kind name. Anything else is noted and skipped. */
const kinds: Readonly<Record<string, KindSpec>> = {
  IPAddressPool: { group: metallb, versions: { v1beta1: schemas.ipAddressPoolShape }, build: buildIPAddressPool },
  L2Advertisement: { group: metallb, versions: { v1beta1: schemas.l2AdvertisementShape }, build: buildL2Advertisement },
  BGPPeer: { group: metallb, versions: { v1beta1: schemas.bgpPeerV1beta1Shape, v1beta2: schemas.bgpPeerV1beta2Shape }, build: buildBGPPeer },
  BGPAdvertisement: { group: metallb, versions: { v1beta1: schemas.bgpAdvertisementShape }, build: buildBGPAdvertisement },
  Community: { group: metallb, versions: { v1beta1: schemas.communityShape }, build: buildCommunity },
  BFDProfile: { group: metallb, versions: { v1beta1: schemas.bfdProfileShape }, build: buildBFDProfile },
  Service: { group: '', versions: { v1: schemas.serviceShape }, build: buildService },
  Node: { group: '', versions: { v1: schemas.nodeShape }, build: buildNode },
  Namespace: { group: '', versions: { v1: schemas.namespaceShape }, build: buildNamespace },
  EndpointSlice: { group: 'discovery.k8s.io', versions: { v1: schemas.endpointSliceShape }, build: buildEndpointSlice },
};

function emptyBuckets(): Bucket {
  return { pools: [], l2Advertisements: [], bgpPeers: [], bgpAdvertisements: [], communities: [], bfdProfiles: [], services: [], nodes: [], namespaces: [], endpointSlices: [] };
}

function add(buckets: Bucket, r: Resource): void {
  switch (r.kind) {
    case 'IPAddressPool': buckets.pools.push(r); break;
    case 'L2Advertisement': buckets.l2Advertisements.push(r); break;
    case 'BGPPeer': buckets.bgpPeers.push(r); break;
    case 'BGPAdvertisement': buckets.bgpAdvertisements.push(r); break;
    case 'Community': buckets.communities.push(r); break;
    case 'BFDProfile': buckets.bfdProfiles.push(r); break;
    case 'Service': buckets.services.push(r); break;
    case 'Node': buckets.nodes.push(r); break;
    case 'Namespace': buckets.namespaces.push(r); break;
    case 'EndpointSlice': buckets.endpointSlices.push(r); break;
  }
}

function scalarText(map: YMap, key: string): string | null {
  const v = map.entries.get(key)?.value;
  return v?.type === 'scalar' && typeof v.value === 'string' ? v.value : null;
}

function peekName(map: YMap): string {
  const meta = map.entries.get('metadata')?.value;
  return meta?.type === 'map' ? (scalarText(meta, 'name') ?? '') : '';
}

/** "metallb.io/v1beta1" → ["metallb.io", "v1beta1"]; core "v1" → ["", "v1"]. */
function splitApiVersion(apiVersion: string): [string, string] {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

class FileParser {
  constructor(
    private readonly file: string,
    private readonly buckets: Bucket,
    private readonly issues: ConfigIssue[],
    private readonly ignored: IgnoredDocument[],
  ) {}

  private issue(line: number, kind: string, name: string, path: string, message: string): void {
    this.issues.push({ file: this.file, line, kind, name, path, message });
  }

  document(node: YNode, insideList: boolean): void {
    if (node.type !== 'map') {
      this.issue(node.line, '', '', '', 'a document must be a mapping with apiVersion, kind and metadata; this one is not');
      return;
    }
    const apiVersion = scalarText(node, 'apiVersion');
    const kind = scalarText(node, 'kind');
    const name = peekName(node);
    if (apiVersion === null || kind === null) {
      const missing = apiVersion === null ? 'apiVersion' : 'kind';
      this.issue(node.entries.get(missing)?.keyLine ?? node.line, kind ?? '', name, missing, `every document needs a string "${missing}"; add it`);
      return;
    }
    if (!insideList && (kind === 'List' || (kind.endsWith('List') && kinds[kind.slice(0, -4)] !== undefined))) {
      this.list(node, kind, name);
      return;
    }
    const spec = kinds[kind];
    const [group, version] = splitApiVersion(apiVersion);
    if (spec === undefined || spec.group !== group) {
      const reason = group === metallb ? `airlb does not read metallb.io ${kind}` : 'not a kind airlb reads';
      this.ignored.push({ file: this.file, line: node.line, apiVersion, kind, name, reason });
      return;
    }
    const shape = spec.versions[version];
    if (shape === undefined) {
      const served = Object.keys(spec.versions).map((v) => (group === '' ? v : `${group}/${v}`));
      this.issue(node.entries.get('apiVersion')!.keyLine, kind, name, 'apiVersion', `${kind} is served as ${served.join(' or ')}, not ${apiVersion}; change apiVersion`);
      return;
    }
    const fieldLines = new Map<string, number>();
    checkShape(node, shape, '', {
      report: (path, line, message) => this.issue(line, kind, name, path, message),
      seen: (path, line) => {
        if (path !== '') fieldLines.set(path, line);
      },
    });
    const plain = toPlain(node);
    if (!isObject(plain)) return;
    add(this.buckets, spec.build(plain, { file: this.file, line: node.line, fieldLines }));
  }

  private list(node: YMap, kind: string, name: string): void {
    const items = node.entries.get('items');
    if (items === undefined || items.value.type === 'scalar') return; // an empty list prints `items: []` or nothing
    if (items.value.type !== 'seq') {
      this.issue(items.keyLine, kind, name, 'items', `expected a list of resources under "items"`);
      return;
    }
    for (const item of items.value.items) this.document(item, true);
  }
}

/**
 * Reads every document of every source into typed resources. Never throws: YAML syntax errors,
 * unknown fields, wrong types and missing required fields come back as issues with their file
 * and line, and every well-formed document is still returned so that one run reports everything.
 */
export function parseConfigSources(sources: readonly ConfigSource[]): Omit<ParsedConfig, 'warnings'> {
  const buckets = emptyBuckets();
  const issues: ConfigIssue[] = [];
  const ignored: IgnoredDocument[] = [];
  for (const source of sources) {
    const { documents, problems } = readYamlDocuments(source.text);
    for (const p of problems) issues.push({ file: source.file, line: p.line, kind: '', name: '', path: '', message: p.message });
    const parser = new FileParser(source.file, buckets, issues, ignored);
    for (const doc of documents) if (doc.root !== null) parser.document(doc.root, false);
  }
  return { config: buckets, issues, ignored };
}
