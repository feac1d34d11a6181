/**
 * Training checkpoints: a training stopped midway resumes from the newest
 * intact checkpoint (a damaged newest one is logged and skipped), ends with
 * the same weights as an uninterrupted training, and keeps only the last
 * `keepCheckpoints` checkpoints while it runs and only its final one once
 * it has finished.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../ml/backend.js';
import { teacherTrainConfig } from '../../schemas/plan.js';
import type { IngestOutput, TrainInput } from '../../schemas/stages.js';
import { ingest, localRuntime, StageStoppedError, trainModel } from '../../stages/index.js';
import type { TrainHeartbeat } from '../../stages/progress.js';
import { stageCacheKey, lineageObject } from '../../stages/stage.js';
import { checkpointPointerKey, checkpointStepOf, trainingPrefix } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';
import { syntheticTinyConfig } from '../harness/pipeline.js';
import { secondAttempt, stoppingAfter } from '../harness/stage-stops.js';

const KEEP = 2;

async function prepared(root: string): Promise<{ input: TrainInput; data: IngestOutput }> {
  const config = await syntheticTinyConfig(root, { execution: { checkpointEverySteps: 2, checkpointEverySeconds: 3600, keepCheckpoints: KEEP } });
  const data = await ingest({ runId: 'ckpt', storage: root, stage: 'ingest', dataset: config.dataset, seed: config.seed }, localRuntime());
  const input: TrainInput = {
    runId: 'ckpt',
    storage: root,
    stage: 'train-weak',
    role: 'teacher',
    name: 'weak',
    train: teacherTrainConfig(config),
    manifest: data.manifest,
    shards: data.splits.weak ?? [],
    execution: config.execution,
  };
  return { input, data };
}

/** Keys of the training's checkpoints, oldest first. */
async function checkpoints(root: string, input: TrainInput): Promise<string[]> {
  const inputs = [lineageObject(input.manifest, 'manifest'), ...input.shards.map((s) => lineageObject(s, 'shard'))];
  const prefix = trainingPrefix(input.runId, input.stage, stageCacheKey('train', { role: input.role, train: input.train }, inputs));
  return (await openStore(root).list(`${prefix}/`)).filter((key) => checkpointStepOf(key) !== undefined);
}

test('a damaged newest checkpoint falls back to an older intact one; only the last few are kept', async () => {
  await initBackend();
  const reference = await mkdtemp(join(tmpdir(), 'w2s-ckpt-ref-'));
  const root = await mkdtemp(join(tmpdir(), 'w2s-ckpt-'));
  try {
    const full = (await prepared(reference)).input;
    const uninterrupted = await trainModel(full, localRuntime());
    assert.ok(uninterrupted.steps > 8, `enough steps to stop midway: ${uninterrupted.steps}`);
    assert.equal((await checkpoints(reference, full)).length, 1, 'a finished training keeps its final checkpoint only');

    const { input } = await prepared(root);
    // Stop the first attempt once it has passed step 6, as a cancel would: it writes a checkpoint first.
    await assert.rejects(trainModel(input, stoppingAfter(6)), StageStoppedError);
    const kept = await checkpoints(root, input);
    assert.equal(kept.length, KEEP, `older checkpoints are deleted: ${kept.join(', ')}`);

    const store = openStore(root);
    const pointerKey = checkpointPointerKey(kept[0]!.slice(0, kept[0]!.lastIndexOf('/')));
    const pointer = JSON.parse(new TextDecoder().decode((await store.readPointer(pointerKey))!.data)) as { key: string; step: number; older: { step: number }[] };
    const newest = join(root, pointer.key);
    const bytes = await readFile(newest);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await writeFile(newest, bytes);

    const warnings: string[] = [];
    const resumed = await trainModel(input, secondAttempt({ warn: (message) => warnings.push(message) }));
    assert.equal(resumed.resumedFromStep, pointer.older[0]?.step, 'resumed from the older intact checkpoint');
    assert.ok(resumed.resumedFromStep > 0 && resumed.resumedFromStep < pointer.step);
    assert.match(warnings.join('\n'), new RegExp(`checkpoint at step ${pointer.step} is unusable`));
    assert.equal(resumed.model.sha256, uninterrupted.model.sha256, 'the resumed training ends with the uninterrupted weights');
    assert.equal(resumed.record.sha256, uninterrupted.record.sha256, 'and leaves the same training record (curves) for the report');
    assert.equal((await checkpoints(root, input)).length, 1);
  } finally {
    await rm(reference, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }
});

test("a resumed attempt's first heartbeat says where the training stands before its first step", async () => {
  await initBackend();
  const root = await mkdtemp(join(tmpdir(), 'w2s-ckpt-beat-'));
  try {
    const { input } = await prepared(root);
    const firstBeats: TrainHeartbeat[] = [];
    const first = stoppingAfter(6);
    await assert.rejects(trainModel(input, { ...first, heartbeat: (details) => (firstBeats.push(details as TrainHeartbeat), first.heartbeat(details)) }), StageStoppedError);
    const last = firstBeats.at(-1)!;
    assert.ok(last.checkpoint && last.progress, 'the stopped attempt heartbeated its checkpoint and progress');

    // The retry gets the last heartbeat's details, as Temporal hands them to the next attempt; its first heartbeat comes before any step.
    const secondBeats: TrainHeartbeat[] = [];
    const retry = secondAttempt();
    const resumed = await trainModel(input, { ...retry, lastHeartbeat: last, heartbeat: (details) => secondBeats.push(details as TrainHeartbeat) });
    const opening = secondBeats[0]!;
    assert.equal(opening.step, resumed.resumedFromStep);
    assert.deepEqual(
      { step: opening.progress?.step, startStep: opening.progress?.startStep, totalSteps: opening.progress?.totalSteps, epochs: opening.progress?.epochs },
      { step: resumed.resumedFromStep, startStep: resumed.resumedFromStep, totalSteps: last.progress.totalSteps, epochs: last.progress.epochs },
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
