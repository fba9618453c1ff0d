import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import * as schemas from '../domain/config/schemas.js';
import type { Shape } from '../domain/config/shape.js';
import type { JsonObject } from './json.js';
import { RESOURCES, type ResourceType } from './resources.js';

/**
 * The metallb.io CustomResourceDefinitions, generated from the same shapes the validator checks
 * (src/domain/config/schemas.ts), so what the API server admits structurally and what airlb
 * reads cannot drift apart. Group, kinds, plurals and versions are MetalLB's, so manifests
 * written for MetalLB apply unchanged. Fields airlb does not implement yet stay in the schema (a
 * MetalLB manifest using them still applies); the validator reports them as Events.
 *
 * `node --import tsx src/k8s/crds.ts DIR` writes one file per CRD into DIR; test/k8s/crds.test.ts
 * fails when deploy/crds or the Helm chart's crds/ differ from this output.
 */

/** OpenAPI v3 for one shape, following the structural-schema rules of apiextensions.k8s.io/v1. */
export function openApiOf(shape: Shape): JsonObject {
  switch (shape.t) {
    case 'string':
    case 'duration':
      return { type: 'string' };
    case 'int':
      return { type: 'integer' };
    case 'bool':
      return { type: 'boolean' };
    case 'intOrString':
      return { 'x-kubernetes-int-or-string': true };
    case 'enum':
      return { type: 'string', enum: [...shape.values] };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'list':
      return { type: 'array', items: openApiOf(shape.of) };
    case 'dict':
      return { type: 'object', additionalProperties: openApiOf(shape.of) };
    case 'object': {
      const properties: JsonObject = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(shape.fields)) {
        properties[key] = openApiOf(field.shape);
        if (field.required === true) required.push(key);
      }
      return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
    }
  }
}

/** The spec field of a resource shape (see schemas.ts `resource`), and whether it is required. */
function specOf(resourceShape: Shape): { schema: JsonObject; required: boolean } {
  if (resourceShape.t !== 'object' || resourceShape.fields['spec'] === undefined) throw new Error('not a resource shape');
  const spec = resourceShape.fields['spec'];
  return { schema: openApiOf(spec.shape), required: spec.required === true };
}

function versionSchema(spec: { schema: JsonObject; required: boolean }, status: JsonObject): JsonObject {
  return {
    openAPIV3Schema: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: spec.schema,
        status,
      },
      ...(spec.required ? { required: ['spec'] } : {}),
    },
  };
}

const openStatus: JsonObject = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** MetalLB's ServiceL2Status: which node announces a Service and on which interfaces (written by speakers). */
const l2Status: JsonObject = {
  type: 'object',
  properties: {
    node: { type: 'string' },
    serviceName: { type: 'string' },
    serviceNamespace: { type: 'string' },
    interfaces: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  },
};

interface VersionSpec {
  readonly name: string;
  readonly shape: Shape | null;
  readonly status: JsonObject;
  readonly printerColumns?: readonly JsonObject[];
}

function crd(type: ResourceType, versions: readonly VersionSpec[]): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${type.plural}.${type.group}` },
    spec: {
      group: type.group,
      names: { kind: type.kind, listKind: `${type.kind}List`, plural: type.plural, singular: type.kind.toLowerCase() },
      scope: 'Namespaced',
      versions: versions.map((v) => ({
        name: v.name,
        served: true,
        // The storage version is the one airlb reads (RESOURCES); others are served for old manifests.
        storage: v.name === type.version,
        ...(v.printerColumns === undefined ? {} : { additionalPrinterColumns: [...v.printerColumns] }),
        schema: versionSchema(v.shape === null ? { schema: { type: 'object' }, required: false } : specOf(v.shape), v.status),
        ...(type.statusSubresource ? { subresources: { status: {} } } : {}),
      })),
    },
  };
}

const age: JsonObject = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

/** Every metallb.io CRD, in a stable order. */
export function metallbCrds(): JsonObject[] {
  return [
    crd(RESOURCES.bfdProfile, [{ name: 'v1beta1', shape: schemas.bfdProfileShape, status: openStatus }]),
    crd(RESOURCES.bgpAdvertisement, [{ name: 'v1beta1', shape: schemas.bgpAdvertisementShape, status: openStatus }]),
    crd(RESOURCES.bgpPeer, [
      { name: 'v1beta1', shape: schemas.bgpPeerV1beta1Shape, status: openStatus },
      { name: 'v1beta2', shape: schemas.bgpPeerV1beta2Shape, status: openStatus },
    ]),
    crd(RESOURCES.community, [{ name: 'v1beta1', shape: schemas.communityShape, status: openStatus }]),
    crd(RESOURCES.ipAddressPool, [
      {
        name: 'v1beta1',
        shape: schemas.ipAddressPoolShape,
        status: openStatus,
        printerColumns: [
          { name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign' },
          { name: 'Avoid Buggy IPs', type: 'boolean', jsonPath: '.spec.avoidBuggyIPs' },
          { name: 'Addresses', type: 'string', jsonPath: '.spec.addresses' },
        ],
      },
    ]),
    crd(RESOURCES.l2Advertisement, [
      {
        name: 'v1beta1',
        shape: schemas.l2AdvertisementShape,
        status: openStatus,
        printerColumns: [
          { name: 'IPAddressPools', type: 'string', jsonPath: '.spec.ipAddressPools' },
          { name: 'Node Selectors', type: 'string', jsonPath: '.spec.nodeSelectors', priority: 10 },
        ],
      },
    ]),
    crd(RESOURCES.serviceL2Status, [
      {
        name: 'v1beta1',
        shape: null,
        status: l2Status,
        printerColumns: [
          { name: 'Allocated Node', type: 'string', jsonPath: '.status.node' },
          { name: 'Service Name', type: 'string', jsonPath: '.status.serviceName' },
          { name: 'Service Namespace', type: 'string', jsonPath: '.status.serviceNamespace' },
          age,
        ],
      },
    ]),
  ];
}

/** File name and text of each CRD, as written to deploy/crds and deploy/helm/airlb/crds. */
export function crdFiles(): { name: string; text: string }[] {
  return metallbCrds().map((c) => {
    const spec = c['spec'] as JsonObject;
    const names = spec['names'] as JsonObject;
    return {
      name: `metallb.io_${String(names['plural'])}.yaml`,
      text: `# Generated by \`node --import tsx src/k8s/crds.ts DIR\` from src/domain/config/schemas.ts; do not edit.\n---\n${stringify(c, { lineWidth: 0 })}`,
    };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: node --import tsx src/k8s/crds.ts DIR');
  mkdirSync(dir, { recursive: true });
  for (const f of crdFiles()) writeFileSync(join(dir, f.name), f.text);
}
