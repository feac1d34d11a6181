#!/usr/bin/env bash
# The test passes `npm test` runs on the built tree (dist/):
#   1. every test with W2S_BACKEND=wasm: the backend every machine has, so
#      pipeline results (and their bit-identical resume) do not depend on
#      what else is installed; all but cross-backend, which compares the
#      backend under test with wasm, and train-resume-native, which
#      resumes on the native backend, belong to pass 2;
#   2. when the native backend (@tensorflow/tfjs-node) loads, the ml tests
#      whose backend follows W2S_BACKEND, plus the in-process quickstart,
#      again with W2S_BACKEND=tensorflow. Tests that name their backends
#      (wasm kernels, cpu-only losses and metrics, wasm replicas, resume on
#      wasm and cpu) would only repeat pass 1 and are left out, and so is
#      the 11-minute Fashion-MNIST result, to keep the suite's time bounded.
# W2S_TEST_NATIVE=1 makes a missing native backend an error (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

run() { node --test --test-concurrency=1 "$@"; }

echo "== pass 1: all tests on wasm (cross-backend runs in pass 2: against cpu it would take minutes)"
W2S_BACKEND=wasm run $(find dist/test -name '*.test.js' ! -name 'cross-backend.test.js' ! -name 'train-resume-native.test.js' ! -name 'tensorflow-kernels.test.js' | sort)

if ! node --input-type=module -e "await import('@tensorflow/tfjs-node')" 2>/dev/null; then
  echo "== pass 2 not run: the native backend does not load here (bash deploy/local/native.sh installs it)"
  [ "${W2S_TEST_NATIVE:-0}" != 1 ] || { echo "W2S_TEST_NATIVE=1: the native pass is required" >&2; exit 1; }
  exit 0
fi
echo "== pass 2: ml tests and the quickstart on the native backend"
native=$(find dist/test/ml -maxdepth 1 -name '*.test.js' | grep -Ev '/(kernels[^/]*|losses|metrics[^/]*|parallel|train-resume|first-result)\.test\.js$' | sort)
W2S_BACKEND=tensorflow run $native dist/test/cli/embedded.test.js
