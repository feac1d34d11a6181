/**
 * `w2s cancel`: the run stops, and the training that was running writes a
 * checkpoint before it stops (the workflow waits for it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { PROGRESS_QUERY, type PipelineProgress } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);

test('cancelling a run checkpoints the running training before it stops', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = await localStorageRoot();
    const config = tinyConfig(storage, { strong: { model: 'cnn', epochs: 3, batchSize: 32 }, students: [{ method: 'adaptconf' }] });
    const handle = await startRun(temporal.client, config, 'cancelled');
    const seen = await waitForProgress(handle, (p) => (p.training.adaptconf?.step ?? 0) >= 2);

    const out = await exec(process.execPath, [CLI, 'cancel', 'cancelled', '--wait', '--address', temporal.address]);
    assert.match(out.stdout, /cancel requested for cancelled \(stopped\)/);
    const error = await handle.result().then(
      () => assert.fail('a cancelled run completed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError && /cancel/i.test(String(error.cause)), String(error));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.equal((await handle.query<PipelineProgress>(PROGRESS_QUERY)).phase, 'cancelled');

    const attempt = (await lineageOf(storage, 'cancelled')).find((r) => r.stage === 'train-adaptconf');
    assert.equal(attempt?.status, 'failed');
    assert.equal(attempt?.error?.type, 'CancelledFailure');
    assert.match(attempt?.error?.message ?? '', /checkpoint .*ckpt-/);

    const store = openStore(storage);
    const [pointerKey] = (await store.list('runs/cancelled/train-adaptconf/')).filter((k) => k.endsWith('latest.json'));
    assert.ok(pointerKey, 'the training has a latest-checkpoint pointer');
    const pointer = JSON.parse(new TextDecoder().decode(await store.get(pointerKey))) as { step: number; uri: string };
    assert.ok(pointer.step >= seen.training.adaptconf!.step, `checkpoint at step ${pointer.step}, progress had reached ${seen.training.adaptconf!.step}`);
    assert.ok(await store.exists(store.keyOf(pointer.uri)));
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
