/**
 * Frozen backbones as shipped. The ONNX model PyTorch exported
 * (test/fixtures/onnx/make_backbone.py) gives, through w2s's input
 * conversion and onnxruntime, the features PyTorch computed for the same
 * images (reference.json); saved and reopened, and as a probe student's
 * backbone loaded from the student's own bytes, it gives the same again.
 * A graph model the tests write (test/harness/graph-model.ts) gives the
 * features of the same graph computed with tfjs ops. Bad models are
 * refused naming the file: not a model, an operator the runtime lacks, an
 * output that does not exist or is not one vector per image, an input the
 * settings cannot feed.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { frozenFeatures, openFrozenBackbone, type FrozenModelRequest } from '../../ml/backbones/frozen.js';
import { FrozenProbe, readSavedFrozen, saveFrozenBackbone, savedFrozenFeatures } from '../../ml/backbones/frozen-saved.js';
import { MODEL_JSON, readModelJsonFiles } from '../../ml/backbones/layers-io.js';
import { loadTrainedModel } from '../../ml/backbones/saved.js';
import { buildModel } from '../../ml/models/registry.js';
import { predictLogits } from '../../ml/train/predict.js';
import { sha256Hex } from '../../core/hash.js';
import { openStore } from '../../storage/open.js';
import { graphModelFeatures, graphModelWeights, writeGraphModel, type GraphModelWeights } from '../harness/graph-model.js';

const ONNX_FIXTURE = join(process.cwd(), 'test', 'fixtures', 'onnx');

interface Reference {
  readonly mean: number[];
  readonly std: number[];
  readonly size: [number, number];
  readonly features: number[][];
}

/** The eight 28x28 grey images make_backbone.py's reference_pixels() makes, as uint8. */
function referencePixels(): Uint8Array {
  const out = new Uint8Array(8 * 28 * 28);
  for (let i = 0; i < 8; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) out[i * 784 + r * 28 + c] = (i * 37 + r * 11 + c * 5 + r * c) % 256;
  return out;
}

/** How some dataset normalises its images: the backbone's input conversion must undo it. */
const DATA = { mean: [0.29], std: [0.35] };

function datasetImages(): tf.Tensor4D {
  return tf.tidy(() => tf.tensor4d(referencePixels(), [8, 28, 28, 1], 'int32').toFloat().div(255).sub(DATA.mean[0]!).div(DATA.std[0]!) as tf.Tensor4D);
}

let bytes: Uint8Array;
let reference: Reference;
let request: FrozenModelRequest;

before(async () => {
  await initBackend();
  bytes = new Uint8Array(await readFile(join(ONNX_FIXTURE, 'backbone.onnx')));
  reference = JSON.parse(await readFile(join(ONNX_FIXTURE, 'reference.json'), 'utf8')) as Reference;
  request = { format: 'onnx', uri: 'file:///models/backbone.onnx', sha256: sha256Hex(bytes), files: [{ path: 'model.onnx', bytes }], input: { mean: reference.mean, std: reference.std } };
});

/** Largest absolute difference between two feature matrices. */
function maxDiff(a: ArrayLike<number>, b: readonly number[][]): number {
  const flat = b.flat();
  assert.equal(a.length, flat.length);
  let worst = 0;
  for (let i = 0; i < flat.length; i++) worst = Math.max(worst, Math.abs(a[i]! - flat[i]!));
  return worst;
}

/*
 * Tolerance: float32 throughout, the same convolution arithmetic reordered
 * (PyTorch's oneDNN against onnxruntime's MLAS, each picking kernels for the
 * CPU's ISA) and a resize computed by tfjs rather than torch. Features are
 * of order 1 to 10; the largest difference measured here is 1.9e-6 (wasm
 * and tensorflow backends alike); 1e-4 leaves room for other x86-64 CPUs'
 * kernels without letting a wrong channel order, normalisation or resize
 * through (each moves features by far more than 1e-2).
 */
const TOLERANCE = 1e-4;

test('an ONNX backbone gives the features PyTorch computed for the same images', async (t) => {
  const backbone = await openFrozenBackbone(request, [28, 28, 1]);
  try {
    assert.deepEqual(
      { layout: backbone.description.layout, inputShape: backbone.description.inputShape, output: backbone.description.output, featureDim: backbone.description.featureDim },
      { layout: 'NCHW', inputShape: [16, 16, 3], output: 'features', featureDim: 32 },
      'layout, size and channels come from the model; the first output by default',
    );
    const x = datasetImages();
    const features = await frozenFeatures(backbone, DATA, [28, 28, 1])(x);
    const diff = maxDiff(await features.data(), reference.features);
    tf.dispose([x, features]);
    t.diagnostic(`largest difference from PyTorch: ${diff.toExponential(2)}`);
    assert.ok(diff < TOLERANCE, `features differ from PyTorch's by ${diff}`);
  } finally {
    backbone.dispose();
  }
});

test('saved, reopened, and as a probe student loaded from its own bytes, the ONNX backbone gives the same features', async () => {
  const backbone = await openFrozenBackbone(request, [28, 28, 1]);
  const saved = saveFrozenBackbone(backbone, request.files);
  backbone.dispose();
  assert.equal(sha256Hex(readSavedFrozen(saved, 'saved').files[0]!.bytes), request.sha256, 'the saved object carries the model byte for byte');

  const reopened = await savedFrozenFeatures(saved, 'saved', DATA, [28, 28, 1]);
  const x = datasetImages();
  const features = await reopened.extract(x);
  const values = await features.data();
  reopened.dispose();
  assert.ok(maxDiff(values, reference.features) < TOLERANCE);

  // A head trained on features (here: fixed weights), put on the backbone, saved and loaded: its logits are the head's on the features.
  const spec = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10, seed: 3 };
  const probe = await FrozenProbe.open(saved, 'saved', DATA, spec);
  const head = probe.headFor({ inputShape: [1, 1, 32], numClasses: 10, seed: 3 });
  const studentBytes = probe.save(probe.assemble(head));
  const expected = tf.tidy(() => head.apply(tf.reshape(features, [8, 1, 1, 32]) as tf.Tensor4D, { training: false }));
  head.dispose();
  probe.dispose();
  const student = await loadTrainedModel(studentBytes, 'student');
  try {
    assert.match(student.name, /^onnx:[0-9a-f]{16}@features\/probe$/);
    assert.throws(() => student.apply(x, { training: false }), /runs its backbone outside TensorFlow\.js/);
    const logits = await predictLogits(student, x);
    const worst = Math.max(...Array.from(await tf.sub(logits, expected).abs().data()));
    tf.dispose([logits]);
    assert.ok(worst < 1e-5, `the loaded student's logits differ from the head's by ${worst}`);
  } finally {
    student.dispose();
    tf.dispose([x, features, expected]);
  }
});

test('bad ONNX models and settings are refused, naming the model', async () => {
  const refused = (more: Partial<FrozenModelRequest>, dataShape: [number, number, number] = [28, 28, 1]) => openFrozenBackbone({ ...request, ...more }, dataShape);
  await assert.rejects(refused({ files: [{ path: 'model.onnx', bytes: new TextEncoder().encode('not a model at all') }] }), /^BadInputError: file:\/\/\/models\/backbone\.onnx: is not a model: neither an ONNX file nor a TensorFlow\.js model\.json/);
  // The same graph with its Relu nodes renamed to an operator no runtime has (the op type is a string in the protobuf).
  const unknownOp = new Uint8Array(Buffer.from(Buffer.from(bytes).toString('latin1').split('Relu').join('Relx'), 'latin1'));
  await assert.rejects(refused({ files: [{ path: 'model.onnx', bytes: unknownOp }] }), /backbone\.onnx: uses operator Relx, which this runtime does not support/);
  await assert.rejects(refused({ output: 'pooled' }), /backbone\.onnx: has no output "pooled" \(outputs: features, logits, feature_map\)/);
  await assert.rejects(refused({ output: 'feature_map' }), /output feature_map gives \[2, 32, 64\] for a batch of 2: a sequence of token vectors per image, not one vector; export the model with a pooled output/);
  await assert.rejects(refused({ input: { size: [24, 24] } }), /backbone\.onnx: input size 24x24 differs from the 16x16 the model takes/);
  await assert.rejects(refused({ input: { layout: 'NHWC' } }), /backbone\.onnx: input image is \["batch", 3, 16, 16\], channels first \(NCHW\); input\.layout says NHWC/);
  await assert.rejects(refused({ input: { mean: [0.1, 0.2] } }), /backbone\.onnx: input mean has 2 values for 3 channels/);
  await assert.rejects(refused({}, [28, 28, 4]), /takes 3-channel images; the data has 4 channels/);
  // The logits output is one vector per image: a valid (if odd) choice of feature.
  const logits = await refused({ output: 'logits' });
  assert.equal(logits.description.featureDim, 10);
  logits.dispose();
});

test('a head over features of the right width only', async () => {
  const backbone = await openFrozenBackbone(request, [28, 28, 1]);
  const saved = saveFrozenBackbone(backbone, request.files);
  backbone.dispose();
  const probe = await FrozenProbe.open(saved, 'saved', DATA, { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
  try {
    assert.throws(() => probe.headFor({ inputShape: [1, 1, 31], numClasses: 10, seed: 0 }), /do not fit a head over 32 features/);
    const head = probe.headFor({ inputShape: [1, 1, 32], numClasses: 10, seed: 0 });
    const same = buildModel('linear', { inputShape: [1, 1, 32], numClasses: 10, seed: 0 });
    assert.deepEqual(Array.from(head.params.get('fc/weight')!.variable.dataSync()), Array.from(same.params.get('fc/weight')!.variable.dataSync()), 'the head starts from the seed alone');
    tf.dispose([]);
    head.dispose();
    same.dispose();
  } finally {
    probe.dispose();
  }
});

/** A graph model written into a folder store, read back as the import stage reads it. */
async function graphRequest(op = 'Relu', more: Partial<FrozenModelRequest> = {}): Promise<{ request: FrozenModelRequest; weights: GraphModelWeights }> {
  const store = openStore(await mkdtemp(join(tmpdir(), 'w2s-graph-')));
  const weights = graphModelWeights(5);
  await writeGraphModel(store, 'net', weights, op);
  const files = await readModelJsonFiles(store, 'net');
  assert.equal(files.modelJson.format, 'graph-model');
  const request: FrozenModelRequest = {
    format: 'graph-model',
    uri: files.uri,
    sha256: files.sha256,
    files: [{ path: MODEL_JSON, bytes: files.modelJsonBytes }, ...files.shards],
    input: { mean: [0.5], std: [0.5] },
    ...more,
  };
  return { request, weights };
}

test('a graph model backbone gives the features of the same graph computed with tfjs ops, and reopens from its saved object', async () => {
  const { request: graph, weights } = await graphRequest();
  const backbone = await openFrozenBackbone(graph, [28, 28, 1]);
  const x = datasetImages();
  try {
    assert.deepEqual([backbone.description.layout, backbone.description.inputShape, backbone.description.output, backbone.description.featureDim, backbone.runsOn], ['NHWC', [16, 16, 3], 'features', 32, 'tfjs']);
    const features = await frozenFeatures(backbone, DATA, [28, 28, 1])(x);
    // The same conversion by hand: back to pixels, resized, tiled, (p - 0.5) / 0.5.
    const expected = tf.tidy(() => {
      const pixels = x.mul(DATA.std[0]!).add(DATA.mean[0]!) as tf.Tensor4D;
      const ready = tf.tile(tf.image.resizeBilinear(pixels, [16, 16], false, true), [1, 1, 1, 3]).sub(0.5).div(0.5) as tf.Tensor4D;
      return graphModelFeatures(weights, ready);
    });
    // The same kernels on the same backend: equal up to the order of float32 sums.
    const worst = Math.max(...Array.from(await tf.sub(features, expected).abs().data()));
    assert.ok(worst < 1e-5, `graph model features differ from tfjs ops by ${worst}`);
    const reopened = await savedFrozenFeatures(saveFrozenBackbone(backbone, graph.files), 'saved', DATA, [28, 28, 1]);
    const again = await reopened.extract(x);
    assert.deepEqual(Array.from(await again.data()), Array.from(await features.data()), 'the saved graph model gives the same features');
    reopened.dispose();
    tf.dispose([features, expected, again]);
  } finally {
    x.dispose();
    backbone.dispose();
  }
});

test('bad graph models and settings are refused, naming the model', async () => {
  const { request: unknownOp } = await graphRequest('Relx');
  await assert.rejects(openFrozenBackbone(unknownOp, [28, 28, 1]), /net\/model\.json: uses operator Relx, which this runtime does not support/);
  const { request: graph } = await graphRequest();
  await assert.rejects(openFrozenBackbone({ ...graph, output: 'logits' }, [28, 28, 1]), /net\/model\.json: has no output "logits" \(outputs: features, feature_map\)/);
  await assert.rejects(openFrozenBackbone({ ...graph, output: 'feature_map' }, [28, 28, 1]), /output feature_map gives \[2, 16, 16, 32\] for a batch of 2: a feature map per image, not one vector; export the model with global average pooling/);
  await assert.rejects(openFrozenBackbone({ ...graph, input: { layout: 'NCHW' } }, [28, 28, 1]), /channels last \(NHWC\); input\.layout says NCHW/);
});
