#!/usr/bin/env bash
# Prepares a machine for the embedded default and the tests. Idempotent:
# each step checks whether its result is already there.
#   - npm dependencies (npm ci when node_modules does not match the lock file), then the build
#   - the Lambda worker's own dependencies (deploy/lambda, @temporalio 1.23), the same way
#   - the Temporal CLI (dev server) and fake-gcs-server, built with `go install`
#     (and kustomize, for the overlay test, where kubectl is not installed)
#   - real Fashion-MNIST from Debian's dataset-fashion-mnist package
#   - pyarrow, with which a test opens shards written by w2s
#   - Chromium (Debian's chromium), in which a test opens the HTML report
#   - the native TensorFlow backend (deploy/local/native.sh), unless W2S_NATIVE=0;
#     where it cannot be installed, w2s runs on wasm and the setup goes on
#     (W2S_NATIVE=1 makes that an error)
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n== %s\n' "$*"; }

step "npm dependencies"
# A stamp of the lock file's hash tells whether node_modules is what the lock file describes.
lock_sha="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.w2s-lock-sha256 2>/dev/null)" != "$lock_sha" ]; then
  # onnxruntime-node's CPU library ships in the package; its install script would fetch the CUDA provider from NuGet.
  ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm ci --no-audit --no-fund
  echo "$lock_sha" > node_modules/.w2s-lock-sha256
else
  echo "node_modules matches package-lock.json"
fi

step "build"
npm run build

step "Lambda worker dependencies (deploy/lambda, its own lock file)"
lambda_sha="$(sha256sum deploy/lambda/package-lock.json | cut -d' ' -f1)"
if [ "$(cat deploy/lambda/node_modules/.w2s-lock-sha256 2>/dev/null)" != "$lambda_sha" ]; then
  npm ci --prefix deploy/lambda --no-audit --no-fund
  echo "$lambda_sha" > deploy/lambda/node_modules/.w2s-lock-sha256
else
  echo "deploy/lambda/node_modules matches deploy/lambda/package-lock.json"
fi

step "Temporal CLI and fake-gcs-server"
gobin="$(go env GOPATH)/bin"
[ -x "$gobin/temporal" ] || go install github.com/temporalio/cli/cmd/temporal@v1.5.1
[ -x "$gobin/fake-gcs-server" ] || go install github.com/fsouza/fake-gcs-server@v1.55.1
"$gobin/temporal" --version
# test/deploy/overlays.test.ts renders the Kubernetes overlays: kubectl's built-in kustomize serves where kubectl is installed.
command -v kubectl >/dev/null || [ -x "$gobin/kustomize" ] || go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.0

step "Fashion-MNIST"
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; else sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist; fi
fi
ls /usr/share/datasets/fashion-mnist/

step "Chromium"
# The report's browser test drives it through playwright-core (executablePath), so no browser download.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi
fi
/usr/bin/chromium --version

step "pyarrow"
python3 -c 'import pyarrow' 2>/dev/null || python3 -m pip install --quiet pyarrow
python3 -c 'import pyarrow; print("pyarrow", pyarrow.__version__)'

step "native TensorFlow backend"
case "${W2S_NATIVE:-auto}" in
  0|no|false) echo "skipped (W2S_NATIVE=${W2S_NATIVE}); w2s runs on wasm" ;;
  *)
    native_rc=0
    bash deploy/local/native.sh || native_rc=$?
    if [ "$native_rc" != 0 ]; then
      if [ "${W2S_NATIVE:-auto}" = 1 ]; then echo "W2S_NATIVE=1 and the native backend could not be installed" >&2; exit 1; fi
      echo "continuing without it: w2s runs on wasm (deploy/local/native.sh exited $native_rc; see its message above)"
    fi
    ;;
esac

step "the w2s command"
if command -v w2s >/dev/null; then
  echo "w2s is on PATH: $(command -v w2s)"
else
  echo "w2s here is \`node dist/bin/w2s.js\`; \`npm link\` puts it on PATH as \`w2s\` (not done by this script: it writes to npm's global folder)"
fi
