/**
 * Imported backbones: a small Keras-like conv net built here with
 * tfjs-layers, saved with model.save into a local folder and into
 * fake-gcs-server, imported from both, cut, given a head and trained on real
 * Fashion-MNIST images in both modes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isBadInputError } from '../../core/errors.js';
import { initBackend } from '../../ml/backend.js';
import { ArraySource } from '../../ml/data/array-source.js';
import { buildImportedModel, importBackbone, loadImportedWeights, type ImportedBackbone } from '../../ml/backbones/imported.js';
import { serializeModel } from '../../ml/models/serialize.js';
import { encodeTensorFile } from '../../ml/nn/tensor-file.js';
import { importedStudent, loadTrainedModel, openSavedBackbone, saveBackbone } from '../../ml/backbones/saved.js';
import { storeSaveHandler } from '../../ml/backbones/layers-io.js';
import type { BackboneMode } from '../../ml/backbones/config.js';
import { train } from '../../ml/train/train.js';
import { openStore } from '../../storage/open.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { loadFashionMnist } from './helpers/fashion-mnist.js';
import { buildKerasNet } from '../harness/keras-net.js';

let gcs: FakeGcs;
let dir: string;
let local: ObjectStore;
let remote: ObjectStore;
let fashion: ArraySource;

before(async () => {
  await initBackend();
  gcs = await FakeGcs.start({ buckets: ['w2s-backbones'] });
  dir = await mkdtemp(join(tmpdir(), 'w2s-backbones-'));
  local = openStore(dir);
  remote = openStore('gs://w2s-backbones/imported', { gcs: { emulatorHost: gcs.url } });
  const net = buildKerasNet({ seed: 1, classes: 5 });
  // Moving statistics that are not the identity, as in a trained network.
  const bn = net.getLayer('bn1');
  bn.setWeights([tf.fill([8], 1.5), tf.fill([8], 0.1), tf.fill([8], 0.2), tf.fill([8], 2)]);
  await net.save(storeSaveHandler(local, 'keras-net'));
  await net.save(storeSaveHandler(remote, 'models/keras-net'));
  const changed = buildKerasNet({ seed: 2, classes: 5 });
  await changed.save(storeSaveHandler(local, 'keras-net-other'));
  net.dispose();
  changed.dispose();
  const data = await loadFashionMnist();
  const count = 320;
  fashion = new ArraySource({
    images: data.train.images.subarray(0, count * 28 * 28),
    labels: Int32Array.from({ length: count }, (_, i) => data.train.labels[i]!),
    shape: data.shape,
    numClasses: data.numClasses,
    normalization: data.normalization,
  });
});

after(async () => {
  await gcs?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a Layers model imports from a folder and from GCS alike: same hash, cut before the classifier', async () => {
  const fromFolder = await importBackbone(local, 'keras-net');
  const fromGcs = await importBackbone(remote, 'models/keras-net');
  try {
    assert.match(fromFolder.sha256, /^[0-9a-f]{64}$/);
    assert.equal(fromGcs.sha256, fromFolder.sha256, 'the hash covers content, not location');
    assert.equal(fromGcs.uri, 'gs://w2s-backbones/imported/models/keras-net/model.json');
    for (const backbone of [fromFolder, fromGcs]) {
      assert.equal(backbone.layer, 'features');
      assert.equal(backbone.featureDim, 16);
      assert.deepEqual(backbone.inputShape, [16, 16, 3]);
      assert.deepEqual(backbone.trunk.layers.map((l) => l.name), ['image', 'conv1', 'bn1', 'pool1', 'conv2', 'features']);
    }
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const [a, b] = [fromFolder.features(x), fromGcs.features(x)];
    assert.deepEqual(a.shape, [2, 16]);
    assert.deepEqual(await a.data(), await b.data(), 'the same weights arrived through both stores');
    tf.dispose([x, a, b]);
    const other = await importBackbone(local, 'keras-net-other');
    assert.notEqual(other.sha256, fromFolder.sha256, 'different weights, different hash');
    other.dispose();
  } finally {
    fromFolder.dispose();
    fromGcs.dispose();
  }
});

test('a named cut layer gives its feature map, pooled or flattened; bad names and folders are named errors', async () => {
  const pooled = await importBackbone(local, 'keras-net', { layer: 'pool1' });
  const flat = await importBackbone(local, 'keras-net', { layer: 'pool1', pooling: 'flatten' });
  try {
    assert.equal(pooled.featureDim, 8);
    assert.equal(flat.featureDim, 8 * 8 * 8);
    const x = tf.randomNormal([3, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const [p, f] = [pooled.features(x), flat.features(x)];
    assert.deepEqual(p.shape, [3, 8]);
    assert.deepEqual(f.shape, [3, 512]);
    // Average pooling of the flattened map is the pooled feature.
    const mean = tf.mean(tf.reshape(f, [3, 64, 8]), 1);
    assert.ok(tf.max(tf.abs(tf.sub(mean, p))).dataSync()[0]! < 1e-5);
    tf.dispose([x, p, f, mean]);
  } finally {
    pooled.dispose();
    flat.dispose();
  }
  await assert.rejects(importBackbone(local, 'keras-net', { layer: 'conv9' }), (e: unknown) => isBadInputError(e) && /no layer "conv9"/.test((e as Error).message) && /conv2/.test((e as Error).message));
  await assert.rejects(importBackbone(local, 'nothing-here'), (e: unknown) => isBadInputError(e) && (e as Error).message.includes('nothing-here/model.json'));
  await local.put('broken/model.json', '{"modelTopology": {}, "format": "graph-model", "weightsManifest": []}');
  await assert.rejects(importBackbone(local, 'broken'), (e: unknown) => isBadInputError(e) && /graph models cannot/.test((e as Error).message));
});

function snapshot(backbone: ImportedBackbone): Map<string, Float32Array> {
  return new Map(backbone.trunk.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
}

async function trainMode(mode: BackboneMode): Promise<{ before: Map<string, Float32Array>; after: Map<string, Float32Array>; losses: number[]; trainable: string[]; frozen: string[] }> {
  const backbone = await importBackbone(remote, 'models/keras-net');
  try {
    const before = snapshot(backbone);
    let trainable: string[] = [];
    let frozen: string[] = [];
    const result = await train({
      config: { model: 'imported', epochs: 3, batchSize: 32, seed: 4, optimizer: { name: 'adam', lr: mode === 'probe' ? 0.05 : 0.01, weightDecay: 0 }, schedule: { name: 'constant' }, loss: { method: 'ceiling' } },
      source: fashion,
      stream: `backbone-${mode}`,
      createModel: (spec) => {
        const model = buildImportedModel({ backbone, mode, dataNormalization: fashion.data.normalization, dataShape: spec.inputShape, numClasses: spec.numClasses, seed: spec.seed, input: { size: [16, 16], mean: [0.5], std: [0.5] } });
        trainable = model.params.trainable().map((p) => p.name);
        frozen = model.params.all().filter((p) => p.kind === 'frozen').map((p) => p.name);
        return model;
      },
    });
    const after = snapshot(backbone);
    result.model.dispose();
    return { before, after, losses: result.history.map((m) => m.loss.total!), trainable, frozen };
  } finally {
    backbone.dispose();
  }
}

test('probe: only the head learns, the backbone stays bit-identical, and the loss falls', async () => {
  const { before, after, losses, trainable, frozen } = await trainMode('probe');
  assert.deepEqual(trainable, ['head/weight', 'head/bias']);
  assert.equal(frozen.length, 8, 'conv1 kernel+bias, bn1 gamma, beta, moving mean and variance, conv2 kernel+bias');
  for (const [name, values] of before) assert.deepEqual(after.get(name), values, `${name} unchanged`);
  assert.ok(losses[2]! < losses[0]! - 0.1, `loss fell: ${losses.join(' -> ')}`);
});

test('finetune: every trainable backbone weight learns with the head, moving statistics stay, and the loss falls', async () => {
  const { before, after, losses, trainable, frozen } = await trainMode('finetune');
  assert.deepEqual(trainable.sort(), ['backbone/bn1/beta', 'backbone/bn1/gamma', 'backbone/conv1/bias', 'backbone/conv1/kernel', 'backbone/conv2/bias', 'backbone/conv2/kernel', 'head/bias', 'head/weight']);
  assert.deepEqual(frozen.sort(), ['backbone/bn1/moving_mean', 'backbone/bn1/moving_variance']);
  for (const name of ['conv1/kernel', 'conv2/kernel', 'bn1/gamma']) assert.notDeepEqual(after.get(name), before.get(name), `${name} learned`);
  for (const name of ['bn1/moving_mean', 'bn1/moving_variance']) assert.deepEqual(after.get(name), before.get(name), `${name} unchanged`);
  assert.ok(losses[2]! < losses[0]! - 0.1, `loss fell: ${losses.join(' -> ')}`);
});

test('an imported model resumes from a checkpoint bit-identically (finetune, into a freshly imported backbone)', async () => {
  const config = { model: 'imported', epochs: 2, batchSize: 32, seed: 6, optimizer: { name: 'adamw' as const, lr: 0.01, weightDecay: 0.01 }, augment: { cropPadding: 2, flip: true }, loss: { method: 'ceiling' as const } };
  const small = fashion.select(Array.from({ length: 128 }, (_, i) => i));
  const run = async (resumeFrom: Uint8Array | undefined, stopAt: number | undefined) => {
    const backbone = await importBackbone(local, 'keras-net');
    const controller = new AbortController();
    let checkpoint: Uint8Array | undefined;
    try {
      const result = await train({
        config,
        source: small,
        stream: 'imported-resume',
        signal: controller.signal,
        ...(resumeFrom ? { resumeFrom } : {}),
        onProgress: ({ step }) => {
          if (step === stopAt) controller.abort();
        },
        onCheckpoint: (bytes) => {
          checkpoint = bytes;
        },
        createModel: (spec) => buildImportedModel({ backbone, mode: 'finetune', dataNormalization: small.data.normalization, dataShape: spec.inputShape, numClasses: spec.numClasses, seed: spec.seed, input: { mean: [0.5], std: [0.5] } }),
      });
      const weights = result.model.params.all().map((p) => ({ name: p.name, values: Float32Array.from(p.variable.dataSync() as Float32Array) }));
      if (result.completed) {
        // The trained weights load back into a fresh model on the same backbone, as labeling would do.
        const saved = serializeModel(result.model);
        const other = await importBackbone(local, 'keras-net');
        const reloaded = buildImportedModel({ backbone: other, mode: 'finetune', dataNormalization: small.data.normalization, dataShape: small.shape, numClasses: 10, seed: config.seed, input: { mean: [0.5], std: [0.5] } });
        loadImportedWeights(reloaded, saved);
        assert.ok(Buffer.from(serializeModel(reloaded)).equals(Buffer.from(saved)), 'reloaded weights equal the trained ones');
        reloaded.dispose();
        other.dispose();
      }
      result.model.dispose();
      return { weights, checkpoint: checkpoint!, completed: result.completed, history: result.history.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest) };
    } finally {
      backbone.dispose();
    }
  };
  const straight = await run(undefined, undefined);
  const stopped = await run(undefined, 3);
  assert.equal(stopped.completed, false);
  assert.notDeepEqual(stopped.weights, straight.weights);
  const resumed = await run(stopped.checkpoint, undefined);
  assert.equal(resumed.completed, true);
  assert.deepEqual(resumed.weights.map((w) => w.name), straight.weights.map((w) => w.name));
  resumed.weights.forEach((w, i) => assert.deepEqual(w.values, straight.weights[i]!.values, `${w.name} bit-identical`));
  assert.deepEqual(resumed.history, straight.history);
});

test('a saved backbone and a student on it are single objects that rebuild to the same outputs', async () => {
  const backbone = await importBackbone(local, 'keras-net', { layer: 'pool1', pooling: 'flatten' });
  const input = { size: [16, 16] as [number, number], mean: [0.5], std: [0.5] };
  const bytes = saveBackbone(backbone, input);
  const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
  const spec = { inputShape: [28, 28, 1] as const, numClasses: 10, seed: 3 };
  const reopened = await openSavedBackbone(bytes, 'saved backbone');
  try {
    assert.deepEqual([reopened.saved.source.sha256, reopened.saved.layer, reopened.saved.pooling], [backbone.sha256, 'pool1', 'flatten']);
    assert.deepEqual(reopened.saved.input, input);
    assert.equal(reopened.backbone.featureDim, 512);
    const y = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
    const [a, b] = [backbone.features(y), reopened.backbone.features(y)];
    assert.deepEqual(await b.data(), await a.data(), 'the saved weights are the imported ones');
    tf.dispose([y, a, b]);
    // A student on it, its head changed as training would, saved and loaded back the way evaluation loads it.
    const student = importedStudent(reopened.backbone, reopened.saved, { mode: 'finetune', dataNormalization: fashion.data.normalization, spec: { ...spec, inputShape: [28, 28, 1] } });
    student.model.params.get('head/bias')!.variable.assign(tf.range(0, 10, 1, 'float32'));
    const expected = await student.model.apply(x, { training: false }).data();
    const saved = student.save();
    student.dispose();
    const loaded = await loadTrainedModel(saved, 'trained student');
    assert.match(loaded.name, /^layers:[0-9a-f]{16}@pool1\/finetune$/);
    assert.deepEqual(await loaded.apply(x, { training: false }).data(), expected);
    loaded.dispose();
  } finally {
    backbone.dispose();
    x.dispose();
  }
  await assert.rejects(openSavedBackbone(encodeTensorFile({ format: 'w2s-model', version: 1 }, []), 'a model file'), (e: unknown) => isBadInputError(e) && /a model file: is not a saved imported backbone/.test((e as Error).message));
});
