/**
 * Students on an imported TensorFlow.js Layers model through the pipeline,
 * against a real Temporal dev server, fake-gcs-server and real
 * Fashion-MNIST. The model is a small Keras-style conv net built here with
 * tfjs-layers (16x16 colour input, so grey 28x28 images are resized and
 * tiled), saved with `model.save` into a local folder and into a bucket:
 * a run imports it from the bucket and trains a `probe` and a `finetune`
 * student on it, both evaluated; lineage names its URI and sha256; a second
 * run naming the folder copy gets the cached import (the key is the
 * content, not the place); a bad layer name, a missing model.json and
 * an input size the model does not take are refused, naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readLayersModelFiles, storeSaveHandler } from '../../ml/backbones/layers-io.js';
import type { PipelineResult } from '../../schemas/stages.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import { openStore } from '../../storage/open.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { failureOf, lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';
import { loadFashionMnist } from '../ml/helpers/fashion-mnist.js';
import { buildKerasNet } from '../harness/keras-net.js';

const run = promisify(execFile);

/**
 * Trains the net briefly on Fashion-MNIST training images the runs do not
 * use (brought to its input as the runs' `input` settings say), so that it
 * is a pretrained model whose features are worth probing.
 */
async function pretrainKerasNet(net: tf.LayersModel): Promise<void> {
  const data = await loadFashionMnist();
  const [from, count] = [10_000, 2_000];
  const pixels = 28 * 28;
  const { x, y } = tf.tidy(() => {
    const grey = tf.tensor4d(data.train.images.subarray(from * pixels, (from + count) * pixels), [count, 28, 28, 1], 'int32').toFloat().div(255);
    const colour = tf.tile(tf.image.resizeBilinear(grey as tf.Tensor4D, [16, 16], false, true), [1, 1, 1, 3]);
    return { x: colour.sub(0.5).div(0.5), y: tf.oneHot(tf.tensor1d(Array.from(data.train.labels.subarray(from, from + count)), 'int32'), 10) };
  });
  net.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  // Unshuffled, from seeded initial weights: the students see the same pretrained model on every run of this test.
  await net.fit(x, y, { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
}

test('students on an imported Layers model: probe and finetune train and are evaluated, lineage names the model and its hash, a second run hits the cache, bad entries are refused by field', async () => {
  const gcs = await FakeGcs.start({ buckets: ['w2s-imported'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const folder = await mkdtemp(join(tmpdir(), 'w2s-layers-model-'));
    const bucket = openStore('gs://w2s-imported/models');
    const net = buildKerasNet({ seed: 0, classes: 10 });
    await pretrainKerasNet(net);
    await net.save(storeSaveHandler(openStore(folder), 'keras-net'));
    await net.save(storeSaveHandler(bucket, 'keras-net'));
    net.dispose();
    const sha256 = (await readLayersModelFiles(bucket, 'keras-net')).sha256;
    const remoteUri = 'gs://w2s-imported/models/keras-net/model.json';
    const localUri = `file://${join(folder, 'keras-net', 'model.json')}`;

    const storage = await localStorageRoot();
    const importedAt = (uri: string, more: Record<string, unknown> = {}) => ({ uri, input: { size: [16, 16] as [number, number], mean: [0.5], std: [0.5] }, ...more });
    const configFor = (uri: string, more: Record<string, unknown> = {}): RunConfig =>
      tinyConfig(storage, {
        strong: { model: 'cnn-small', epochs: 10, batchSize: 32, optimizer: { name: 'adam', lr: 0.02 }, init: { imported: importedAt(uri, more), mode: 'probe' } },
        // One student fine-tunes the same model: both share the one import.
        students: [{ method: 'ceiling' }, { method: 'adaptconf', name: 'adaptconf-finetune', init: { imported: importedAt(uri, more), mode: 'finetune' } }],
      });

    const first = (await (await startRun(temporal.client, configFor(remoteUri), 'imp-first')).result()) as PipelineResult;
    assert.deepEqual(first.rows.map((r) => [r.name, r.role]), [['weak', 'weak'], ['ceiling', 'ceiling'], ['adaptconf-finetune', 'student']]);
    for (const row of first.rows) assert.ok(row.accuracy > 0.3, `${row.name} accuracy ${row.accuracy} is not that of a trained model`);

    const records = await lineageOf(storage, 'imp-first');
    const imports = records.filter((r) => r.kind === 'import-layers');
    assert.deepEqual(imports.map((r) => [r.stage, r.status, r.cached]), [['import-layers', 'completed', false]], 'one import serves both students');
    const config = imports[0]!.config as { source: { uri: string; sha256: string }; layer: string };
    assert.deepEqual(config.source, { uri: remoteUri, sha256 }, "lineage names the model's URI and the hash of its files");
    assert.equal(config.layer, 'features', 'cut before the classifier by default');
    const backbone = imports[0]!.outputs.find((o) => o.role === 'backbone');
    assert.ok(backbone && /^[0-9a-f]{64}$/.test(backbone.sha256));
    for (const stage of ['train-ceiling', 'train-adaptconf-finetune']) {
      const record = records.find((r) => r.stage === stage && r.status === 'completed');
      assert.deepEqual(record?.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256], `${stage} names the backbone it started from`);
    }
    // The probe student trains its head on stored features; the finetune student on images.
    const features = records.filter((r) => r.kind === 'features' && r.status === 'completed');
    assert.deepEqual(features.map((r) => r.stage), ['train-ceiling-features']);
    assert.deepEqual(features[0]!.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256]);
    assert.ok(features[0]!.outputs.some((o) => o.role === 'feature-shard'));
    // Evaluation loaded both trained students from their own bytes.
    for (const name of ['ceiling', 'adaptconf-finetune']) {
      const evaluated = records.find((r) => r.stage === `evaluate-${name}` && r.status === 'completed');
      const trained = records.find((r) => r.stage === `train-${name}` && r.status === 'completed')?.outputs.find((o) => o.role === 'model');
      assert.ok(evaluated && trained, `${name} was trained and evaluated`);
      assert.deepEqual(evaluated.inputs.filter((i) => i.role === 'model').map((i) => i.sha256), [trained.sha256]);
    }

    // Every object the run's lineage names, the saved backbone and the students on it included, is intact under the root.
    const verified = await run(process.execPath, [CLI, 'verify', 'imp-first', '--storage', storage], { env: { ...process.env } });
    const [, objects, ok] = /(\d+) objects, (\d+) ok, 0 mismatched, 0 missing/.exec(verified.stdout) ?? [];
    assert.ok(Number(objects) > 0 && objects === ok, verified.stdout.split('\n')[0]);

    // Another seed and the folder copy of the same files: the import is a cache hit, recorded with the URI it was read from this time.
    const second = (await (await startRun(temporal.client, { ...configFor(localUri), seed: 1 }, 'imp-second')).result()) as PipelineResult;
    assert.equal(second.rows.length, 3);
    const again = (await lineageOf(storage, 'imp-second')).filter((r) => r.kind === 'import-layers');
    assert.deepEqual(again.map((r) => [r.stage, r.status, r.cached]), [['import-layers', 'completed', true]], 'the second run imports nothing');
    assert.deepEqual((again[0]!.config as { source: unknown }).source, { uri: localUri, sha256 });
    assert.equal(again[0]!.cacheKey, imports[0]!.cacheKey, 'the cache key is the content, the cut and the input settings');
    assert.equal(again[0]!.outputs.find((o) => o.role === 'backbone')?.sha256, backbone.sha256);

    // Bad entries: each refused without retrying, naming the field at fault.
    const badLayer = await failureOf((await startRun(temporal.client, configFor(remoteUri, { layer: 'conv9' }), 'imp-bad-layer')).result());
    assert.match(badLayer.message, /strong\.init\.imported\.layer: .*has no layer "conv9" \(layers: image, conv1, bn1, pool1, conv2, features, classifier\)/);
    assert.equal(badLayer.nonRetryable, true, 'a bad layer name is not retried');
    const missing = await failureOf((await startRun(temporal.client, configFor('gs://w2s-imported/models/nothing/model.json'), 'imp-missing')).result());
    assert.match(missing.message, /strong\.init\.imported\.uri: .*gs:\/\/w2s-imported\/models\/nothing\/model\.json.*cannot be read/);
    assert.equal(missing.nonRetryable, true);
    const badSize = await failureOf((await startRun(temporal.client, configFor(remoteUri, { input: { size: [24, 24] } }), 'imp-bad-size')).result());
    assert.match(badSize.message, /strong\.init\.imported\.input: .*input size 24x24 differs from the 16x16 the model takes/);
    assert.equal(badSize.nonRetryable, true);
    // A local model.json that is not there is refused by the validate stage, before any stage runs.
    const missingLocal = await failureOf((await startRun(temporal.client, configFor(join(folder, 'nothing', 'model.json')), 'imp-missing-local')).result());
    assert.match(missingLocal.message, /strong\.init\.imported\.uri: .*nothing\/model\.json does not exist/);
    await assert.rejects(lineageOf(storage, 'imp-missing-local'), /no lineage records/, 'nothing ran for the refused run');
    for (const runId of ['imp-bad-layer', 'imp-missing', 'imp-bad-size']) {
      const trained = (await lineageOf(storage, runId)).filter((r) => r.kind === 'train');
      assert.deepEqual(trained, [], `${runId}: nothing trains after a refused import`);
    }
  } finally {
    await workers.shutdown();
    await temporal.stop();
    await gcs.dispose();
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
