/**
 * Losing the worker that trains: a `w2s worker` process runs a workflow until
 * one of its trainings has written its first checkpoint, that worker is then
 * killed or stopped, and a second worker takes the training over. The
 * trainings of students and of backbones go through the same steps.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { LineageRecord } from '../../schemas/lineage.js';
import { lineageOf, waitForTraining } from './pipeline.js';
import type { TemporalHarness, WorkerProcess } from './temporal.js';

export interface InterruptedTraining {
  /** The run's id; it names the workers too: `<runId>-first` is interrupted, `<runId>-second` takes over. */
  readonly runId: string;
  /** The training to interrupt, as its heartbeats name it (a model's name, or a pretraining's stage). */
  readonly training: string;
  /** Submits the run; called once the first worker polls, so that worker, the only one, trains. */
  readonly start: () => Promise<WorkflowHandle>;
  readonly interrupt: (worker: WorkerProcess) => Promise<unknown>;
}

/** The run's result, once the second worker has finished what the interrupted one started. */
export async function interruptedTraining(temporal: TemporalHarness, run: InterruptedTraining): Promise<unknown> {
  const first = await temporal.spawnWorker({ identity: `${run.runId}-first` });
  let second: WorkerProcess | undefined;
  try {
    const handle = await run.start();
    // The first checkpoint's heartbeat: the state a retry resumes from exists, and the server holds it.
    const seen = await waitForTraining(handle, run.training, (t) => t.checkpoint !== undefined);
    // Still in flight, not a fixed fraction in: a heartbeat reaches the server at most every 0.8 x the
    // heartbeat timeout, so how far a training got by the time its first checkpoint is seen depends on
    // the processor. That the retry really resumed midway, on the second worker, is `resumedStage`'s check.
    assert.ok(seen.step < seen.totalSteps, `${run.training} is still training when the worker goes (step ${seen.step} of ${seen.totalSteps})`);
    await run.interrupt(first);
    second = await temporal.spawnWorker({ identity: `${run.runId}-second` });
    return await handle.result();
  } finally {
    // Already gone after the interrupt; this only matters when the test failed before it.
    await first.kill();
    await second?.terminate();
  }
}

/** The stage's lineage records, after asserting that a retry on the second worker finished it from a checkpoint. */
export async function resumedStage(storage: string, runId: string, stage: string): Promise<LineageRecord[]> {
  const attempts = (await lineageOf(storage, runId)).filter((r) => r.stage === stage);
  const finished = attempts.find((r) => r.status === 'completed');
  assert.ok(finished, `${stage} completed`);
  assert.ok((finished.resumedFromStep ?? 0) > 0, `the final attempt resumed from a checkpoint (resumedFromStep ${finished.resumedFromStep})`);
  assert.ok(finished.attempt >= 2, `a retry finished ${stage} (attempt ${finished.attempt})`);
  assert.equal(finished.worker.identity, `${runId}-second`);
  return attempts;
}
