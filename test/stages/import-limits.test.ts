/**
 * An imported model past a limit (schemas/limits.ts) is refused by the
 * import-layers stage at once, naming the limit, and never retried: a
 * model.json too large or of too many layers, a weight tensor too large, a
 * weight path with a control character (shown escaped, not raw). The files
 * are real ones in a local folder, read through the stage's own store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import { MAX_MODEL_JSON_BYTES, MAX_MODEL_LAYERS, MAX_TENSOR_ELEMENTS } from '../../schemas/limits.js';

const { importLayersModel } = createActivities(createActivityDeps());

const dense = (i: number) => ({ class_name: 'Dense', config: { name: `d${i}`, units: 1 } });
const topology = (layers: unknown[]) => ({ class_name: 'Sequential', config: { name: 'm', layers } });

async function refused(modelJson: string, message: RegExp): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-model-'));
  await writeFile(join(dir, 'model.json'), modelJson);
  const storage = await mkdtemp(join(tmpdir(), 'w2s-root-'));
  const input = { runId: 'limits', storage, stage: 'import-layers', field: 'strong.init.imported', dataShape: [28, 28, 1] as const, imported: { uri: dir, pooling: 'avg' as const, input: { mean: [0], std: [1] } } };
  await assert.rejects(new MockActivityEnvironment().run(importLayersModel, input), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.nonRetryable, true, 'a limit is not retried');
    assert.match(error.message, /^strong\.init\.imported\.uri: /);
    assert.match(error.message, message);
    return true;
  });
}

test('a model.json past the size limit is refused naming the limit, not as invalid JSON', async () => {
  const padding = 'x'.repeat(MAX_MODEL_JSON_BYTES);
  await refused(JSON.stringify({ modelTopology: topology([dense(0)]), note: padding, weightsManifest: [] }), /model\.json: is larger than 32 MiB, the limit for model\.json/);
});

test('a model of too many layers, or nested too deeply, is refused before TensorFlow.js reads it', async () => {
  const layers = Array.from({ length: MAX_MODEL_LAYERS * 2 }, (_, i) => dense(i));
  await refused(JSON.stringify({ modelTopology: topology(layers), weightsManifest: [] }), new RegExp(`has ${MAX_MODEL_LAYERS * 2} layers, more than ${MAX_MODEL_LAYERS}`));
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  await refused(`{"modelTopology": ${deep}, "weightsManifest": []}`, /nested (more than 64 levels deep|too deeply)/);
});

test('a weight tensor past the element limit, and a weight path with a NUL, are refused', async () => {
  const big = { paths: ['w.bin'], weights: [{ name: 'd0/kernel', shape: [65_536, 65_536], dtype: 'float32' }] };
  await refused(JSON.stringify({ modelTopology: topology([dense(0)]), weightsManifest: [big] }), new RegExp(`has 4294967296 elements, more than ${MAX_TENSOR_ELEMENTS}`));
  const nul = { paths: ['w\u0000.bin'], weights: [] };
  await refused(JSON.stringify({ modelTopology: topology([dense(0)]), weightsManifest: [nul] }), /weight shard path "w\\u0000\.bin" must be a plain path/);
});
