/**
 * Pretraining survives losing its worker. The `pretrain` workflow (what
 * `w2s pretrain` runs, and a run's backbone stage) runs on a `w2s worker`
 * process that is killed outright (SIGKILL) after the pretraining's first
 * checkpoint; a new worker resumes from it and ends with the backbone, bit
 * for bit, of a pretraining that was never interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPretrain } from '../../cli/start-pretrain.js';
import { planRunConfig } from '../../cli/config-file.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { PretrainWorkflowResult } from '../../workflows/pretrain.js';
import { localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';
import { interruptedTraining, resumedStage } from '../harness/worker-loss.js';

// Small batches give the pretraining over a hundred steps: the kill follows the first checkpoint (step 4)
// within milliseconds, while most of the pretraining is still ahead on any machine.
const config = (storage: string): RunConfig =>
  tinyConfig(storage, { strong: { model: 'cnn-small', epochs: 1, batchSize: 32, init: { pretrain: { epochs: 2, batchSize: 8 }, mode: 'probe' } }, students: [{ method: 'ceiling' }] });

test('a worker killed with SIGKILL mid-pretraining: a new worker resumes from the checkpoint, same backbone', async () => {
  const temporal = await TemporalHarness.start();
  try {
    // Each pretraining in its own storage root: the same config in the same root would be a cache hit.
    const workers = await temporal.inProcessWorkers('reference');
    let reference: PretrainWorkflowResult;
    try {
      reference = (await (await startPretrain(temporal.client, planRunConfig(config(await localStorageRoot()), { runId: 'uninterrupted' }))).result()) as PretrainWorkflowResult;
    } finally {
      await workers.shutdown();
    }

    const storage = await localStorageRoot();
    const start = () => startPretrain(temporal.client, planRunConfig(config(storage), { runId: 'killed' }));
    const resumed = (await interruptedTraining(temporal, { runId: 'killed', training: 'pretrain', start, interrupt: (worker) => worker.kill() })) as PretrainWorkflowResult;
    assert.deepEqual(resumed.backbones.map((b) => [b.stage, b.cached]), [['pretrain', false]], 'the pretraining ran, not a cache hit');
    assert.equal(resumed.backbones[0]!.backbone.sha256, reference.backbones[0]!.backbone.sha256, 'the resumed pretraining ends with the uninterrupted backbone, bit for bit');
    assert.equal(resumed.backbones[0]!.steps, reference.backbones[0]!.steps);

    const attempts = await resumedStage(storage, 'killed', 'pretrain');
    // As for a student's training: the killed attempt reports nothing. The new worker may need more than
    // one attempt (on a loaded machine its first heartbeat can miss the short timeout); one of them completes.
    assert.deepEqual(attempts.filter((r) => r.worker.identity === 'killed-first'), [], 'a killed attempt cannot report anything');
    const completed = attempts.filter((r) => r.status === 'completed');
    assert.deepEqual(completed.map((r) => [r.kind, r.worker.identity]), [['pretrain', 'killed-second']], 'one attempt completed the pretraining, on the new worker');
    assert.deepEqual(completed[0]!.outputs.map((o) => [o.role, o.sha256]), [['backbone', reference.backbones[0]!.backbone.sha256]], 'lineage names the resumed backbone');
  } finally {
    await temporal.stop();
  }
});
