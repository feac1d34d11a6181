/**
 * The `features` stage on a frozen ONNX backbone resumes shard by shard:
 * an attempt stopped after its first shard leaves that shard's features
 * cached, and the next attempt reuses them and computes only the rest,
 * ending with the feature shards an attempt that never stopped writes
 * (byte for byte: content-addressed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../ml/backend.js';
import type { ImportLayersOutput } from '../../schemas/stages.js';
import { computeFeatureShards, importLayersModel, ingest, localRuntime, StageStoppedError, type FeaturesInput } from '../../stages/index.js';
import type { StageRuntime } from '../../stages/runtime.js';
import { tinyConfig } from '../harness/pipeline.js';

const ONNX = join(process.cwd(), 'test', 'fixtures', 'onnx', 'backbone.onnx');

/** A root with the tiny dataset ingested and the ONNX fixture imported; the features stage's input over the transfer split. */
async function prepared(): Promise<FeaturesInput> {
  const root = await mkdtemp(join(tmpdir(), 'w2s-features-resume-'));
  const config = tinyConfig(root);
  const data = await ingest({ runId: 'resume', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
  const imported: ImportLayersOutput = await importLayersModel(
    { runId: 'resume', storage: root, stage: 'import-layers', imported: { uri: ONNX, pooling: 'avg', input: { mean: [0.5, 0.4, 0.3], std: [0.25, 0.5, 0.2] } }, dataShape: data.shape, field: 'strong.init.imported', modes: ['probe'] },
    localRuntime(),
  );
  const shards = data.splits.transfer ?? [];
  assert.ok(shards.length >= 2, `the transfer split has ${shards.length} shards; the test needs two`);
  return { runId: 'resume', storage: root, stage: 'train-probe-features', model: 'cnn-small', manifest: data.manifest, shards, backbone: { key: imported.key, sha256: imported.sha256, bytes: imported.bytes }, imported: true };
}

test('a features stage stopped after its first shard resumes from the next, with the features of one that never stopped', async () => {
  await initBackend();
  const input = await prepared();

  // Stops once the first shard's batch is done: heartbeats come at each shard's start and after each batch (150 rows: one batch).
  const controller = new AbortController();
  let beats = 0;
  const stopping: StageRuntime = { ...localRuntime({ signal: controller.signal }), heartbeat: () => (++beats === 2 ? controller.abort() : undefined) };
  await assert.rejects(computeFeatureShards(input, stopping), (error: unknown) => error instanceof StageStoppedError && /features stopped before shard/.test(error.message));

  // The retry, as Temporal would run it: the next attempt of the same stage.
  const retry = localRuntime();
  const resumed = await computeFeatureShards(input, { ...retry, attempt: { ...retry.attempt, attempt: 2 } });
  assert.equal(resumed.cached, false, 'the stage itself had not finished');
  assert.equal(resumed.shardsReused, 1, 'the first shard comes from the stopped attempt');
  assert.equal(resumed.shards.length, input.shards.length);

  const fresh = await computeFeatureShards(await prepared(), localRuntime());
  assert.equal(fresh.shardsReused, 0);
  assert.deepEqual(resumed.shards.map((s) => s.sha256), fresh.shards.map((s) => s.sha256), 'the same feature shards, byte for byte');
});
