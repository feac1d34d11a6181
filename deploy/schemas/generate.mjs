// Generates the JSON schemas kubeconform checks deploy/k8s against, offline:
// the Kubernetes kinds the manifests use, from the OpenAPI (swagger) spec of
// a pinned Kubernetes release, and KEDA's kinds from its CRDs. Each file is
// one kind with the closure of the definitions it refers to, strict (no
// properties beyond the spec's), descriptions dropped to keep it small.
//
//   node deploy/schemas/generate.mjs <kubernetes>/api/openapi-spec/swagger.json \
//     <keda>/config/crd/bases/keda.sh_scaledobjects.yaml <keda>/config/crd/bases/keda.sh_triggerauthentications.yaml
//
// (see deploy/schemas/README.md for where those files come from).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const OUT = dirname(fileURLToPath(import.meta.url));
/** The built-in kinds deploy/k8s uses: definition name and kubeconform's file name. */
const KINDS = [
  ['io.k8s.api.core.v1.Namespace', 'namespace-v1'],
  ['io.k8s.api.core.v1.ServiceAccount', 'serviceaccount-v1'],
  ['io.k8s.api.core.v1.ConfigMap', 'configmap-v1'],
  ['io.k8s.api.apps.v1.Deployment', 'deployment-apps-v1'],
  ['io.k8s.api.policy.v1.PodDisruptionBudget', 'poddisruptionbudget-policy-v1'],
];
/** Types written as a string or a number in manifests ("2", 2, "500m"). */
const NUMBER_OR_STRING = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

/** Drops documentation, turns int-or-string into oneOf, and forbids unknown properties. */
function tighten(node) {
  if (Array.isArray(node)) return node.map(tighten);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key === 'x-kubernetes-group-version-kind' || key.startsWith('x-kubernetes-list') || key === 'x-kubernetes-patch-strategy' || key === 'x-kubernetes-patch-merge-key') continue;
    // Inside `properties`, keys are field names (a field may be called "description"), never keywords.
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, tighten(schema)])) : tighten(value);
  }
  if (out['x-kubernetes-int-or-string']) {
    delete out['x-kubernetes-int-or-string'];
    delete out.type;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  const open = out['x-kubernetes-preserve-unknown-fields'] === true;
  delete out['x-kubernetes-preserve-unknown-fields'];
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

function refsOf(node, into) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, into));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') into.add(value.replace('#/definitions/', ''));
      else refsOf(value, into);
    }
  }
  return into;
}

function builtIn(definitions, name) {
  const closure = new Map();
  const pending = [...refsOf(definitions[name], new Set())];
  while (pending.length > 0) {
    const ref = pending.pop();
    if (closure.has(ref)) continue;
    const schema = NUMBER_OR_STRING[ref] ?? tighten(definitions[ref]);
    closure.set(ref, schema);
    pending.push(...refsOf(schema, new Set()));
  }
  const sorted = Object.fromEntries([...closure].sort(([a], [b]) => (a < b ? -1 : 1)));
  return { $schema: 'http://json-schema.org/schema#', ...tighten(definitions[name]), definitions: sorted };
}

function write(file, schema) {
  writeFileSync(join(OUT, `${file}.json`), `${JSON.stringify(schema)}\n`);
  process.stdout.write(`deploy/schemas/${file}.json\n`);
}

const [swagger, ...crds] = process.argv.slice(2);
if (!swagger || crds.length === 0) {
  process.stderr.write('usage: node deploy/schemas/generate.mjs <swagger.json> <crd.yaml>...\n');
  process.exit(2);
}
const { definitions } = JSON.parse(readFileSync(swagger, 'utf8'));
for (const [name, file] of KINDS) write(file, builtIn(definitions, name));
for (const path of crds) {
  const crd = parse(readFileSync(path, 'utf8'));
  const group = crd.spec.group.split('.')[0];
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    write(`${crd.spec.names.kind.toLowerCase()}-${group}-${version.name}`, { $schema: 'http://json-schema.org/schema#', ...tighten(version.schema.openAPIV3Schema) });
  }
}
