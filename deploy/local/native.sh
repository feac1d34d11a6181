#!/usr/bin/env bash
# Installs the native TensorFlow backend (@tensorflow/tfjs-node) without the
# libtensorflow download its install script would make, from registry packages
# only:
#   - the tfjs-node package from npm, with its install script skipped;
#   - libtensorflow from the tensorflow-cpu wheel on PyPI: its
#     libtensorflow_cc.so.2 exports the whole TensorFlow C API the addon calls
#     (TF_*, TFE_*), and the wheel carries the C headers;
#   - the addon compiled here with node-gyp against those headers.
# Idempotent: a stamp records what was built, and the installed addon is
# checked (backend `tensorflow`, a matMul against the cpu backend) before
# anything is redone. Downloads are cached under $W2S_CACHE
# (default ~/.cache/w2s), outside the repository.
#
# W2S_NATIVE_FLAVOR=gpu installs @tensorflow/tfjs-node-gpu the same way from
# the CUDA build in the `tensorflow` wheel, plus the CUDA 12 runtime wheels its
# metadata pins (extra `and-cuda`), unpacked to deps/nvidia/<pkg>/lib where
# the library's rpath ($ORIGIN/../nvidia/...) looks. It loads without a GPU
# (ops then run on the CPU), so it is built and checked on any x86_64 Linux.
#
# Exit status: 0 when the backend works, 2 when this machine cannot have it
# (the reason is printed; w2s then runs on wasm), 1 on any other failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

TFJS_NODE_VERSION=4.22.0
TF_WHEEL_VERSION=2.15.1
PY_TAG=cp311
FLAVOR="${W2S_NATIVE_FLAVOR:-cpu}"
case "$FLAVOR" in
  cpu) PACKAGE=tfjs-node; WHEEL=tensorflow-cpu; CUDA_WHEELS=() ;;
  gpu)
    PACKAGE=tfjs-node-gpu; WHEEL=tensorflow
    # tensorflow 2.15.1's `and-cuda` extra, exactly as its metadata pins them.
    CUDA_WHEELS=(nvidia-cublas-cu12==12.2.5.6 nvidia-cuda-cupti-cu12==12.2.142 nvidia-cuda-nvcc-cu12==12.2.140
      nvidia-cuda-nvrtc-cu12==12.2.140 nvidia-cuda-runtime-cu12==12.2.140 nvidia-cudnn-cu12==8.9.4.25
      nvidia-cufft-cu12==11.0.8.103 nvidia-curand-cu12==10.3.3.141 nvidia-cusolver-cu12==11.5.2.141
      nvidia-cusparse-cu12==12.1.2.141 nvidia-nccl-cu12==2.16.5 nvidia-nvjitlink-cu12==12.2.140) ;;
  *) echo "W2S_NATIVE_FLAVOR=$FLAVOR: expected cpu or gpu" >&2; exit 1 ;;
esac
WHEEL_FILE_PREFIX="${WHEEL//-/_}-$TF_WHEEL_VERSION-$PY_TAG-$PY_TAG-manylinux"
CACHE="${W2S_CACHE:-$HOME/.cache/w2s}"
WHEELS="$CACHE/wheels"
STAGE="$CACHE/native/$PACKAGE-$TFJS_NODE_VERSION-$WHEEL-$TF_WHEEL_VERSION"
TARGET="node_modules/@tensorflow/$PACKAGE"
STAMP="$TARGET/.w2s-native"
STAMP_TEXT="$PACKAGE $TFJS_NODE_VERSION; libtensorflow from $WHEEL $TF_WHEEL_VERSION ($PY_TAG)${CUDA_WHEELS:+ + ${CUDA_WHEELS[*]}}; node $(node -p process.versions.modules)"

# TensorFlow's start-up notes (CPU features, oneDNN) are not needed here.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

cannot() { echo "native backend: not installed: $*" >&2; exit 2; }

# The addon loads and the backend computes what the cpu backend computes.
verify() {
  node --input-type=module -e "
    import * as tf from '@tensorflow/tfjs';
    await import('@tensorflow/$PACKAGE');
    await tf.setBackend('tensorflow');
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    const a = tf.randomUniform([256, 256], -1, 1, 'float32', 7);
    const b = tf.randomUniform([256, 256], -1, 1, 'float32', 8);
    const av = a.arraySync(), bv = b.arraySync();
    const native = tf.matMul(a, b).dataSync();
    await tf.setBackend('cpu');
    const ref = tf.matMul(tf.tensor(av), tf.tensor(bv)).dataSync();
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ref[i] - native[i]));
    if (!(diff < 1e-3)) throw new Error('256x256 matMul differs from the cpu backend by ' + diff);
    console.log('native backend ($PACKAGE): tensorflow ok; 256x256 matMul within ' + diff.toExponential(1) + ' of the cpu backend');
  "
}

# --- What this machine must have -------------------------------------------
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || cannot "the tensorflow-cpu wheel used here is for Linux x86_64, this is $(uname -s)-$(uname -m)"
[ -d node_modules/@tensorflow/tfjs ] || cannot "node_modules has no @tensorflow/tfjs (run npm ci first)"
tfjs_version="$(node -p "require('./node_modules/@tensorflow/tfjs/package.json').version")"
[ "$tfjs_version" = "$TFJS_NODE_VERSION" ] || cannot "@tensorflow/tfjs is $tfjs_version, tfjs-node $TFJS_NODE_VERSION needs the same version"

if [ "$(cat "$STAMP" 2>/dev/null)" = "$STAMP_TEXT" ] && verify; then
  echo "native backend: already installed ($STAMP_TEXT)"
  exit 0
fi

for tool in python3 make g++ unzip; do
  command -v "$tool" >/dev/null || cannot "$tool is missing (needed to build the addon)"
done
python3 -m pip --version >/dev/null 2>&1 || cannot "pip is missing (python3 -m pip), needed to fetch the tensorflow-cpu wheel"
nodedir="${npm_config_nodedir:-/usr}"
[ -f "$nodedir/include/node/node_api.h" ] || cannot "no Node.js headers under $nodedir/include/node (install the distribution's nodejs headers or set npm_config_nodedir)"

started=$SECONDS

# --- libtensorflow from the wheel ------------------------------------------
mkdir -p "$WHEELS"
fetch_wheel() { # <requirement>: into the cache unless a wheel for it is there
  local name="${1%%==*}" version="${1##*==}"
  ls "$WHEELS/${name//-/_}-$version-"*.whl >/dev/null 2>&1 && return 0
  echo "native backend: fetching $1"
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux1_x86_64 \
    --python-version 3.11 --implementation cp --abi "$PY_TAG" -d "$WHEELS" "$1" \
    || cannot "pip could not fetch $1"
}
fetch_wheel "$WHEEL==$TF_WHEEL_VERSION"
for requirement in "${CUDA_WHEELS[@]}"; do fetch_wheel "$requirement"; done
wheel="$(ls "$WHEELS/$WHEEL_FILE_PREFIX"*_x86_64.whl | head -n1)"

# --- tfjs-node from npm, staged outside node_modules ------------------------
# npm will not place a package the project lists as an optional peer (it
# answers "up to date"), so the package and its own dependencies are
# installed into a staging folder, built there, then copied in.
rm -rf "$STAGE"
mkdir -p "$STAGE"
echo '{"name":"w2s-native-stage","private":true}' > "$STAGE/package.json"
echo "native backend: fetching @tensorflow/$PACKAGE@$TFJS_NODE_VERSION (install script skipped)"
npm install --prefix "$STAGE" --ignore-scripts --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "@tensorflow/$PACKAGE@$TFJS_NODE_VERSION"
pkg="$STAGE/node_modules/@tensorflow/$PACKAGE"

# deps/ laid out as the package's install script would after its download:
# libtensorflow.so.<its pinned version> is the file whose presence makes it
# skip the download; the linker resolves -ltensorflow / -ltensorflow_framework
# through the unversioned names, and the loader finds the SONAMEs
# (libtensorflow_cc.so.2, libtensorflow_framework.so.2) through the addon's
# rpath $ORIGIN/../../deps/lib.
pinned="$(node -p "require('$pkg/scripts/deps-constants.js').LIBTENSORFLOW_VERSION")"
mkdir -p "$pkg/deps/lib" "$pkg/deps/include"
unzip -q -o "$wheel" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/*' 'tensorflow/include/tsl/*' -d "$STAGE/wheel"
mv "$STAGE/wheel/tensorflow/libtensorflow_cc.so.2" "$STAGE/wheel/tensorflow/libtensorflow_framework.so.2" "$pkg/deps/lib/"
cp -r "$STAGE/wheel/tensorflow/include/tensorflow" "$STAGE/wheel/tensorflow/include/tsl" "$pkg/deps/include/"
rm -rf "$STAGE/wheel"
for requirement in "${CUDA_WHEELS[@]}"; do
  name="${requirement%%==*}"; version="${requirement##*==}"
  unzip -q -o "$(ls "$WHEELS/${name//-/_}-$version-"*.whl | head -n1)" 'nvidia/*' -d "$pkg/deps"
done
(
  cd "$pkg/deps/lib"
  for name in libtensorflow.so libtensorflow.so.2 "libtensorflow.so.$pinned"; do ln -sf libtensorflow_cc.so.2 "$name"; done
  for name in libtensorflow_framework.so "libtensorflow_framework.so.$pinned"; do ln -sf libtensorflow_framework.so.2 "$name"; done
)

# The gpu package's install script passes `download`, which forces the
# fetch even with deps/ in place; without it the script goes straight to the build.
node -e "
  const fs = require('fs'), file = '$pkg/package.json', manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  manifest.scripts.install = manifest.scripts.install.replace(/ download\$/, '');
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
"
echo "native backend: compiling the addon with node-gyp"
(
  cd "$STAGE"
  npm_config_build_from_source=true npm_config_nodedir="$nodedir" npm rebuild --foreground-scripts "@tensorflow/$PACKAGE"
) > "$STAGE/build.log" 2>&1 || { tail -n 40 "$STAGE/build.log" >&2; echo "native backend: addon build failed (log: $STAGE/build.log)" >&2; exit 1; }

# --- into the project's node_modules ---------------------------------------
# The package's dependencies go into its own nested node_modules, except the
# @tensorflow packages: tfjs-node must register its backend with the
# project's one copy of tfjs-core.
rm -rf "$TARGET"
mv "$pkg" "$TARGET"
mkdir -p "$TARGET/node_modules"
for dep in "$STAGE"/node_modules/*; do
  [ "$(basename "$dep")" = "@tensorflow" ] || mv "$dep" "$TARGET/node_modules/"
done
rm -rf "$STAGE"

verify
echo "$STAMP_TEXT" > "$STAMP"
echo "native backend: installed in $((SECONDS - started))s; $(du -sh "$TARGET" | cut -f1) in $TARGET, $(du -sh "$WHEELS" | cut -f1) of cached wheels in $WHEELS"
