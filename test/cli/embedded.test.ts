/**
 * The embedded default as `w2s quickstart` runs it: no TEMPORAL_ADDRESS, so
 * it starts its own dev server, runs both queues in this process, stores in a
 * local folder and shuts everything down. The quick preset is shrunk to a
 * subset of real Fashion-MNIST so the test takes seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { planRunConfig } from '../../cli/config-file.js';
import { checkRunWorld } from '../../storage/run-checks.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { runEmbedded } from '../../cli/embedded.js';
import { provideWorkerHost } from '../../cli/worker-host.js';
import { workerHost } from '../../workers/host.js';
import { FASHION_MNIST, PRESETS } from '../../cli/presets.js';
import { initBackend } from '../../ml/backend.js';
import { absoluteStorageUri, objectUri } from '../../storage/uri.js';

// As the w2s command does (bin/w2s.ts): the embedded default runs its workers through the host.
provideWorkerHost(async () => workerHost);

test('the embedded default runs the quick preset end to end on its own dev server and leaves nothing loaded', async () => {
  assert.equal(process.env.TEMPORAL_ADDRESS, undefined, 'this test covers the path that starts its own server');
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-embedded-'));
  try {
    const preset = parseRunConfig('preset quick', PRESETS.quick!({ data: FASHION_MNIST, storage: root, seed: 0 }));
    const config = parseRunConfig('preset quick (shrunk)', {
      ...preset,
      dataset: { ...preset.dataset, limit: { train: 1000, test: 500 }, shardSize: 250 },
      // The pool shrinks to 400 images and S to 300: small batches give the pretraining and the probes
      // enough steps to leave chance.
      strong: { ...preset.strong, epochs: 10, batchSize: 16, init: { mode: 'probe', pretrain: { method: 'supervised', epochs: 2, batchSize: 32 } } },
    });
    await checkRunWorld(config);
    const tensorsBefore = tf.memory().numTensors;

    const result = await runEmbedded(planRunConfig(config, { runId: 'embedded-test' }), { bars: false, runId: 'embedded-test' });

    assert.equal(result.runId, 'embedded-test');
    assert.deepEqual(
      result.rows.map((row) => [row.name, row.role]),
      [
        ['weak', 'weak'],
        ['ceiling', 'ceiling'],
        ['hard', 'student'],
        ['adaptconf', 'student'],
      ],
    );
    for (const row of result.rows) assert.ok(row.accuracy > 0.15, `${row.name} scores above chance (0.1) on 500 images: ${row.accuracy}`);
    assert.ok(existsSync(fileURLToPath(objectUri(absoluteStorageUri(config.storage), result.report.html.key))), 'the report is in the local folder');
    // The report names the pool and who may read its labels.
    const markdown = readFileSync(fileURLToPath(objectUri(absoluteStorageUri(config.storage), result.report.markdown.key)), 'utf8');
    assert.match(markdown, /\| pool \| 400 \| pretraining only: the backbone learns its labels; never seen by the teacher or the students \|/);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'models loaded by the in-process workers are released at shutdown');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
