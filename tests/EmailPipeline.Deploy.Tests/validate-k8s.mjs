// Validates Kubernetes manifests offline against the API schemas compiled into the kubernetes-models npm
// packages (installed by scripts/helm-tools.sh into .tools/kube-schemas): core API, KEDA, prometheus-operator,
// cert-manager. No cluster and no network are needed.
//
//   node validate-k8s.mjs <schemas dir> < manifests.yaml   (multi-document YAML, e.g. `helm template` output)
//
// Prints one JSON array: for each document { apiVersion, kind, name, schema, errors, object }, where schema is
// the module it was checked against (null when no package knows the kind) and errors the schema violations.
// The validators check types, required fields, enums and formats; like the API server's OpenAPI schemas they
// do not reject unknown fields, which the tests cover by checking the fields that matter by name.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const schemasDir = process.argv[2];
if (!schemasDir) {
  console.error("usage: node validate-k8s.mjs <schemas dir> < manifests.yaml");
  process.exit(2);
}
const modules = join(schemasDir, "node_modules");
const { parseAllDocuments } = await import(pathToFileURL(join(modules, "yaml", "dist", "index.js")).href);

// Which package holds the models of an API group.
const packageOfGroup = {
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "cert-manager.io": "@kubernetes-models/cert-manager",
};

function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const pkg = packageOfGroup[group] ?? "kubernetes-models";
  const file = group === "" ? join(modules, pkg, version, `${kind}.js`) : join(modules, pkg, group, version, `${kind}.js`);
  return existsSync(file) ? file : null;
}

const input = readFileSync(0, "utf8");
const results = [];
for (const doc of parseAllDocuments(input)) {
  if (doc.errors.length > 0) {
    results.push({ apiVersion: null, kind: null, name: null, schema: null, errors: doc.errors.map(e => `YAML: ${e.message}`), object: null });
    continue;
  }
  const object = doc.toJS();
  if (object === null || object === undefined) continue; // an empty document between separators
  const { apiVersion = "", kind = "" } = object;
  const name = object.metadata?.name ?? null;
  const file = apiVersion && kind ? modulePath(apiVersion, kind) : null;
  const result = { apiVersion, kind, name, schema: null, errors: [], object };
  if (file) {
    result.schema = file.slice(modules.length + 1);
    const exports = await import(pathToFileURL(file).href);
    const Model = exports[kind];
    try {
      new Model(object).validate();
    } catch (e) {
      result.errors.push(String(e.message ?? e));
    }
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
