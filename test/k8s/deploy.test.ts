import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { crdFiles, metallbCrds } from '../../src/k8s/crds.js';
import { isJsonObject, type Json, type JsonObject } from '../../src/k8s/json.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { repoRoot } from '../support/cli.js';

/**
 * The structural part of apiextensions validation, enough to say whether a manifest would be
 * admitted by the generated CRD with `kubectl apply --validate=strict`: types, required fields,
 * enums, and no field the schema does not know.
 */
function schemaProblems(schema: JsonObject, value: Json | undefined, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'number' && typeof value !== 'string') out.push(`${path}: want int or string`);
    return;
  }
  switch (schema['type']) {
    case 'string':
      if (typeof value !== 'string') out.push(`${path}: want string`);
      else if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) out.push(`${path}: not one of ${JSON.stringify(schema['enum'])}`);
      return;
    case 'integer':
      if (!Number.isInteger(value)) out.push(`${path}: want integer`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${path}: want boolean`);
      return;
    case 'array':
      if (!Array.isArray(value)) out.push(`${path}: want array`);
      else value.forEach((v, i) => schemaProblems(schema['items'] as JsonObject, v, `${path}[${i}]`, out));
      return;
    case 'object': {
      if (!isJsonObject(value)) {
        out.push(`${path}: want object`);
        return;
      }
      if (schema['x-kubernetes-preserve-unknown-fields'] === true) return;
      const props = isJsonObject(schema['properties']) ? schema['properties'] : null;
      const extra = isJsonObject(schema['additionalProperties']) ? schema['additionalProperties'] : null;
      for (const req of Array.isArray(schema['required']) ? schema['required'] : []) {
        if (value[req as string] === undefined) out.push(`${path}.${String(req)}: required`);
      }
      for (const [k, v] of Object.entries(value)) {
        const sub = props?.[k] ?? extra;
        if (!isJsonObject(sub)) {
          if (props !== null) out.push(`${path}.${k}: unknown field`);
          continue;
        }
        schemaProblems(sub, v, `${path}.${k}`, out);
      }
      return;
    }
  }
}

function crdSchema(kind: string, version: string): JsonObject {
  const crd = metallbCrds().find((c) => ((c['spec'] as JsonObject)['names'] as JsonObject)['kind'] === kind)!;
  const v = ((crd['spec'] as JsonObject)['versions'] as JsonObject[]).find((x) => x['name'] === version)!;
  return (v['schema'] as JsonObject)['openAPIV3Schema'] as JsonObject;
}

function documents(file: string): JsonObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as Json)
    .filter(isJsonObject);
}

describe('deploy/', () => {
  it('ships the CRDs generated from the validator shapes, in deploy/crds and in the Helm chart', () => {
    for (const dir of ['deploy/crds', 'deploy/helm/airlb/crds']) {
      const want = crdFiles();
      assert.deepEqual(readdirSync(join(repoRoot, dir)).sort(), want.map((f) => f.name).sort(), `${dir}: run node --import tsx src/k8s/crds.ts ${dir}`);
      for (const f of want) assert.equal(readFileSync(join(repoRoot, dir, f.name), 'utf8'), f.text, `${dir}/${f.name} is stale: run node --import tsx src/k8s/crds.ts ${dir}`);
    }
  });

  it('defines every metallb.io kind airlb reads and writes, at the versions airlb uses, with MetalLB names', () => {
    const served = metallbCrds().map((c) => {
      const spec = c['spec'] as JsonObject;
      const versions = (spec['versions'] as JsonObject[]).map((v) => `${String(v['name'])}${v['storage'] === true ? '*' : ''}`);
      return `${String(spec['group'])}/${String((spec['names'] as JsonObject)['plural'])} ${versions.join(',')}`;
    });
    for (const t of Object.values(RESOURCES).filter((r) => r.group === 'metallb.io')) {
      assert.ok(served.some((s) => s.startsWith(`metallb.io/${t.plural} `) && s.includes(`${t.version}*`)), `${t.plural} ${t.version} is not the storage version: ${served.join('; ')}`);
    }
    assert.ok(served.includes('metallb.io/bgppeers v1beta1,v1beta2*'));
  });

  it('admits the field guide manifests and the full MetalLB fixture under the generated schemas', () => {
    const files = ['test/fixtures/seed/seed-l2-wired-node.yaml', 'test/fixtures/seed/seed-bgp.yaml', 'test/fixtures/config/full-metallb.yaml'];
    let checked = 0;
    for (const file of files) {
      for (const doc of documents(join(repoRoot, file))) {
        const [group, version] = String(doc['apiVersion']).split('/');
        if (group !== 'metallb.io') continue;
        const problems: string[] = [];
        schemaProblems(crdSchema(String(doc['kind']), version!), doc, String(doc['kind']), problems);
        assert.deepEqual(problems, [], `${file}`);
        checked++;
      }
    }
    assert.ok(checked >= 6, `only ${checked} metallb.io documents checked`);
  });

  it('rejects a misspelt field and a wrong type under the generated schemas', () => {
    const problems: string[] = [];
    schemaProblems(crdSchema('IPAddressPool', 'v1beta1'), { spec: { adresses: ['10.0.0.0/24'], autoAssign: 'yes' } }, 'IPAddressPool', problems);
    assert.deepEqual(problems, ['IPAddressPool.spec.addresses: required', 'IPAddressPool.spec.adresses: unknown field', 'IPAddressPool.spec.autoAssign: want boolean']);
  });

  it('applies every CRD and the workload manifest from one kustomization', () => {
    const k = parse(readFileSync(join(repoRoot, 'deploy/kustomization.yaml'), 'utf8')) as { resources: string[] };
    assert.deepEqual(k.resources, [...crdFiles().map((f) => `crds/${f.name}`).sort(), 'airlb.yaml']);
    const kinds = documents(join(repoRoot, 'deploy/airlb.yaml')).map((d) => `${String(d['kind'])}/${String((d['metadata'] as JsonObject)['name'])}`);
    for (const want of ['Namespace/metallb-system', 'Deployment/airlb-controller', 'DaemonSet/airlb-speaker', 'ClusterRole/airlb:controller', 'ClusterRole/airlb:speaker']) {
      assert.ok(kinds.includes(want), `${want} missing from deploy/airlb.yaml`);
    }
  });

  it('gives the Helm chart the same roles and rules as deploy/airlb.yaml (with the default values)', () => {
    // A minimal render: the release is "airlb" in metallb-system, conditionals take their default (true).
    const template = readFileSync(join(repoRoot, 'deploy/helm/airlb/templates/rbac.yaml'), 'utf8')
      .replace(/\{\{- include "airlb\.labels" \. \| nindent \d+ \}\}/g, '{}')
      .replace(/^\s*\{\{-? (if|end)[^}]*\}\}\n/gm, '')
      .replaceAll('{{ .Release.Name }}', 'airlb')
      .replaceAll('{{ .Release.Namespace }}', 'metallb-system');
    assert.doesNotMatch(template, /\{\{/);
    const roles = (docs: JsonObject[]): string[] =>
      docs
        .filter((d) => String(d['kind']).endsWith('Role') || String(d['kind']).endsWith('Binding'))
        .map((d) => JSON.stringify([d['kind'], (d['metadata'] as JsonObject)['name'], d['rules'] ?? d['roleRef'], d['subjects'] ?? null]))
        .sort();
    const helm = parseAllDocuments(template).map((d) => d.toJSON() as Json).filter(isJsonObject);
    assert.deepEqual(roles(helm), roles(documents(join(repoRoot, 'deploy/airlb.yaml'))));
  });

  it('renders every Helm template to valid YAML with every optional part switched on', () => {
    // A crude render: conditionals kept, values and helpers replaced by placeholders of the right shape.
    const dir = join(repoRoot, 'deploy/helm/airlb/templates');
    let docs = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(join(dir, file), 'utf8')
        .replace(/^\s*\{\{-? (if|end|with|range)[^}]*\}\}\n/gm, '')
        .replace(/\{\{- (?:include "airlb\.labels"|toYaml)[^}]*nindent (\d+) \}\}/g, (_m, n: string) => `\n${' '.repeat(Number(n))}k: v`)
        .replace(/\{\{ include "airlb\.image" \. \}\}/g, 'image:tag')
        .replace(/\{\{ \.Release\.(Name|Namespace) \}\}/g, 'airlb')
        .replace(/\{\{ [^}]+ \}\}/g, 'value');
      assert.doesNotMatch(text, /\{\{/, file);
      for (const d of parseAllDocuments(text)) {
        assert.deepEqual(d.errors.map((e) => e.message), [], file);
        docs++;
      }
    }
    assert.equal(docs, 16, 'service accounts, roles and bindings (10), controller, speaker, and the webhook issuer, certificate, service and configuration');
  });

  it('runs the speaker with hostNetwork, NET_RAW, and BPF + NET_ADMIN for the eBPF ARP responder only, never privileged', () => {
    const ds = documents(join(repoRoot, 'deploy/airlb.yaml')).find((d) => d['kind'] === 'DaemonSet')!;
    const pod = ((ds['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject;
    assert.equal(pod['hostNetwork'], true);
    const sc = ((pod['containers'] as JsonObject[])[0]!['securityContext'] as JsonObject);
    const caps = sc['capabilities'] as JsonObject;
    assert.deepEqual(caps['drop'], ['ALL']);
    assert.ok((caps['add'] as string[]).includes('NET_RAW'));
    // --arp-offload auto attaches a TCX link: bpf(BPF_LINK_CREATE) needs CAP_BPF and CAP_NET_ADMIN (docs/layer2.md).
    assert.deepEqual([...(caps['add'] as string[])].sort(), ['BPF', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_RAW']);
    assert.notEqual(sc['privileged'], true);
    assert.notEqual(sc['allowPrivilegeEscalation'], true);
  });
});
