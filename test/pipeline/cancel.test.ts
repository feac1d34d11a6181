/**
 * `w2s cancel`: the run stops, and the training that was running writes a
 * checkpoint before it stops (the workflow waits for it).
 *
 * The training is given far more steps than any machine runs in the time a
 * cancel takes to arrive (a CLI start, a workflow task, the next heartbeat),
 * and the test acts only once progress shows it running and checkpointing:
 * the outcome does not depend on how fast the machine trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { PROGRESS_QUERY, type PipelineProgress } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import { recordHistory } from '../harness/histories.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);

/** Tens of thousands of steps: hours on a slow machine, minutes on the fastest. A cancel lands within seconds. */
const EPOCHS = 5000;

/** The result of a run that must end soon; a cancel that never lands fails the test instead of hanging it. */
async function outcomeWithin(handle: WorkflowHandle, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run ${handle.workflowId} still running ${ms} ms after its cancel`)), ms);
  });
  try {
    return await Promise.race([
      handle.result().then(
        () => assert.fail('a cancelled run completed'),
        (e: unknown) => e,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test('cancelling a run checkpoints the running training before it stops', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  let handle: WorkflowHandle | undefined;
  try {
    const storage = await localStorageRoot();
    const config = tinyConfig(storage, { strong: { model: 'cnn', epochs: EPOCHS, batchSize: 32 }, students: [{ method: 'adaptconf' }] });
    handle = await startRun(temporal.client, config, 'cancelled');
    // Running and checkpointing, observed: a checkpoint exists to be superseded by the one the cancel writes.
    const seen = await waitForProgress(handle, (p) => (p.training.adaptconf?.step ?? 0) >= 2 && p.training.adaptconf?.checkpoint !== undefined);
    const totalSteps = seen.training.adaptconf!.totalSteps;
    assert.ok(seen.training.adaptconf!.step < totalSteps / 100, `the cancel is sent early in the training (step ${seen.training.adaptconf!.step} of ${totalSteps})`);

    const [out, error] = await Promise.all([exec(process.execPath, [CLI, 'cancel', 'cancelled', '--wait', '--address', temporal.address]), outcomeWithin(handle, 180_000)]);
    assert.match(out.stdout, /cancel requested for cancelled \(stopped\)/);
    assert.ok(error instanceof WorkflowFailedError && /cancel/i.test(String(error.cause)), String(error));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const progress = await handle.query<PipelineProgress>(PROGRESS_QUERY);
    assert.equal(progress.phase, 'cancelled');
    assert.equal(progress.stages['train-adaptconf'], 'cancelled');
    assert.equal(progress.stages['evaluate-adaptconf'], 'pending', 'nothing after the cancelled training started');

    // Usually one attempt; a machine too busy to heartbeat in time may have retried the training before the cancel.
    const records = (await lineageOf(storage, 'cancelled')).filter((r) => r.stage === 'train-adaptconf').sort((a, b) => a.attempt - b.attempt);
    assert.deepEqual(records.filter((r) => r.status !== 'failed').map((r) => r.attempt), [], 'no attempt completed');
    const last = records[records.length - 1];
    assert.equal(last?.error?.type, 'CancelledFailure', 'the last attempt was ended by the cancel');
    const stops = records.flatMap((r) => {
      const match = /cancelled at step (\d+), checkpoint (\S+)/.exec(r.error?.message ?? '');
      return match ? [{ step: Number(match[1]), checkpoint: match[2]! }] : [];
    });
    assert.ok(stops.length > 0, `a record names where the training stopped: ${last?.error?.message}`);
    const stoppedAt = stops.reduce((a, b) => (b.step > a.step ? b : a));

    const store = openStore(storage);
    const keys = await store.list('runs/cancelled/train-adaptconf/');
    assert.deepEqual(keys.filter((k) => /\/model-[0-9a-f]+\.bin$/.test(k)), [], 'a cancelled training writes no final model');
    const pointerKey = keys.find((k) => k.endsWith('latest.json'));
    assert.ok(pointerKey, 'the training has a latest-checkpoint pointer');
    const pointer = JSON.parse(new TextDecoder().decode(await store.get(pointerKey))) as { step: number; uri: string };
    // The pointer reaches the step the cancel stopped at: wherever the cancel landed, nothing trained before it is lost.
    assert.equal(pointer.step, stoppedAt.step);
    assert.ok(await store.exists(store.keyOf(stoppedAt.checkpoint)), `the checkpoint written on cancel is stored: ${stoppedAt.checkpoint}`);
    assert.ok(pointer.step >= seen.training.adaptconf!.step && pointer.step < totalSteps, `checkpoint at step ${pointer.step}: after the observed step ${seen.training.adaptconf!.step}, before the end ${totalSteps}`);
    assert.ok(await store.exists(store.keyOf(pointer.uri)));
    await recordHistory(handle, 'cancelled');
  } finally {
    await handle?.terminate().catch(() => undefined);
    await workers.shutdown();
    await temporal.stop();
  }
});
