/**
 * The promote stage on real Fashion-MNIST shards and real models in a local
 * store: a challenger that beats the champion by more than `minGain` takes
 * the registry, one that does not leaves it; the split compared on is the one
 * configured; and a retrain that loses the race for the registry pointer
 * writes nothing, so its retry decides again against the new champion.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import { measure } from '../../stages/evaluate.js';
import { openShardSource } from '../../stages/data.js';
import type { Promotion } from '../../stages/promote.js';
import { putObject } from '../../stages/stores.js';
import { initBackend } from '../../ml/backend.js';
import { buildModel, serializeModel } from '../../ml/models/index.js';
import { train } from '../../ml/train/index.js';
import { DatasetConfigSchema } from '../../schemas/pipeline.js';
import type { IngestOutput, ObjectRef, PromoteInput, PromotionDecision } from '../../schemas/stages.js';
import { FASHION_MNIST, localStorageRoot } from '../harness/pipeline.js';

const deps = createActivityDeps();
const { ingest, promote } = createActivities(deps);
const storeAt = deps.storeAt;

let storage: string;
let data: IngestOutput;
/** An untrained linear model (about chance) and one trained for two epochs (far better). */
let weakModel: ObjectRef;
let strongModel: ObjectRef;

before(async () => {
  await initBackend();
  storage = await localStorageRoot();
  const dataset = DatasetConfigSchema.parse({ source: FASHION_MNIST, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150, splits: { weak: 0.4, transfer: 0.4, validation: 0.2 } });
  data = (await new MockActivityEnvironment().run(ingest, { runId: 'promote-data', storage, stage: 'ingest', dataset, seed: 0 })) as IngestOutput;
  const store = storeAt(storage);
  const spec = { inputShape: data.shape as [number, number, number], numClasses: data.numClasses, seed: 3 };
  const untrained = buildModel('linear', spec);
  weakModel = await putObject(store, 'models/untrained.bin', serializeModel(untrained));
  untrained.dispose();
  const source = await openShardSource(deps, store, { manifest: data.manifest, shards: data.splits.weak ?? [] });
  const trained = await train({ config: { model: 'linear', epochs: 2, batchSize: 16, seed: 3, optimizer: { name: 'sgd', lr: 0.05 }, loss: { method: 'ceiling' } }, source, stream: 'promote-test' });
  strongModel = await putObject(store, 'models/trained.bin', serializeModel(trained.model));
  trained.model.dispose();
});

function input(runId: string, registry: string, challenger: ObjectRef, overrides: Partial<PromoteInput> = {}): PromoteInput {
  return {
    runId,
    storage,
    stage: 'promote',
    registry,
    split: 'test',
    minGain: 0,
    manifest: data.manifest,
    shards: data.splits.test ?? [],
    challenger: { name: 'adaptconf', model: challenger },
    ...overrides,
  };
}

async function crown(registry: string, runId: string, model: ObjectRef): Promise<void> {
  const store = storeAt(storage);
  const current = await store.readPointer(`registry/${registry}.json`);
  await store.writePointer(`registry/${registry}.json`, JSON.stringify({ runId, model, accuracy: 0, split: 'test', promotedAt: '2026-01-01T00:00:00.000Z' }), current?.version ?? null);
}

async function championOf(registry: string): Promise<string> {
  const pointer = await storeAt(storage).readPointer(`registry/${registry}.json`);
  return (JSON.parse(new TextDecoder().decode(pointer!.data)) as { runId: string }).runId;
}

async function recorded(registry: string, runId: string): Promise<PromotionDecision | undefined> {
  const store = storeAt(storage);
  const key = `registry/${registry}/decisions/${runId}.json`;
  return (await store.exists(key)) ? (JSON.parse(new TextDecoder().decode(await store.get(key))) as PromotionDecision) : undefined;
}

const run = async (promoteInput: PromoteInput, attempt = 1): Promise<Promotion> => (await new MockActivityEnvironment({ attempt }).run(promote, promoteInput)) as Promotion;

test('the trained model is far better than the untrained one on both held-out splits (the premise of the cases below)', async () => {
  const store = storeAt(storage);
  for (const split of ['test', 'validation'] as const) {
    const shards = data.splits[split] ?? [];
    assert.ok(shards.length > 0, `a ${split} split`);
    const weak = await measure(deps, store, 'weak', weakModel, { manifest: data.manifest, shards });
    const strong = await measure(deps, store, 'strong', strongModel, { manifest: data.manifest, shards });
    assert.ok(strong.accuracy - weak.accuracy > 0.2, `${split}: trained ${strong.accuracy} vs untrained ${weak.accuracy}`);
  }
});

test('a challenger that beats the champion by more than minGain is promoted, and the decision recorded', async () => {
  await crown('beats', 'old-champion', weakModel);
  const decision = await run(input('beats-run', 'beats', strongModel, { minGain: 0.05 }));
  assert.equal(decision.promoted, true);
  assert.match(decision.reason, /beats champion .* by .* on test \(needed more than 5\.00%\)/);
  assert.equal(decision.champion?.runId, 'old-champion');
  assert.ok(decision.challenger.accuracy - decision.champion!.accuracy > 0.05);
  assert.equal(await championOf('beats'), 'beats-run');
  const { record: _record, cached: _cached, ...decided } = decision;
  assert.deepEqual(await recorded('beats', 'beats-run'), decided);
});

test('a challenger that does not beat the champion by more than minGain leaves the registry alone', async () => {
  await crown('holds', 'old-champion', weakModel);
  const decision = await run(input('holds-run', 'holds', strongModel, { minGain: 0.95 }));
  assert.equal(decision.promoted, false);
  assert.match(decision.reason, /does not beat champion .* by more than 95\.00% on test/);
  assert.equal(await championOf('holds'), 'old-champion');
  assert.equal((await recorded('holds', 'holds-run'))?.promoted, false);

  await crown('worse', 'strong-champion', strongModel);
  const worse = await run(input('worse-run', 'worse', weakModel));
  assert.equal(worse.promoted, false, 'a worse challenger never wins, even with minGain 0');
  assert.equal(await championOf('worse'), 'strong-champion');
});

test('split: validation compares both models on the validation shards', async () => {
  await crown('on-validation', 'old-champion', weakModel);
  const store = storeAt(storage);
  const validation = { manifest: data.manifest, shards: data.splits.validation ?? [] };
  const onTest = { manifest: data.manifest, shards: data.splits.test ?? [] };
  const decision = await run(input('validation-run', 'on-validation', strongModel, { split: 'validation', shards: validation.shards }));
  assert.equal(decision.split, 'validation');
  assert.match(decision.reason, /on validation/);
  assert.equal(decision.challenger.accuracy, (await measure(deps, store, 'c', strongModel, validation)).accuracy);
  assert.equal(decision.champion?.accuracy, (await measure(deps, store, 'c', weakModel, validation)).accuracy);
  assert.notEqual(decision.challenger.accuracy, (await measure(deps, store, 'c', strongModel, onTest)).accuracy, 'the splits score differently, so the check can tell them apart');
});

test('losing the race for the registry: nothing is recorded, the retry decides again against the new champion', async () => {
  await crown('raced', 'old-champion', weakModel);
  const store = storeAt(storage);
  const writePointer = store.writePointer.bind(store);
  // Another retrain promotes between this attempt's read of the registry and its compare-and-swap.
  store.writePointer = async (key, value, version) => {
    store.writePointer = writePointer;
    await crown('raced', 'rival-run', strongModel);
    return writePointer(key, value, version);
  };
  try {
    await assert.rejects(run(input('raced-run', 'raced', strongModel)), (error: unknown) => error instanceof ApplicationFailure && error.type === 'RegistryMoved' && !error.nonRetryable);
  } finally {
    store.writePointer = writePointer;
  }
  assert.equal(await championOf('raced'), 'rival-run', 'the rival keeps its promotion');
  assert.equal(await recorded('raced', 'raced-run'), undefined, 'the lost attempt recorded no decision');

  const retry = await run(input('raced-run', 'raced', strongModel), 2);
  assert.equal(retry.champion?.runId, 'rival-run', 'the retry compares with the new champion');
  assert.equal(retry.promoted, false);
  assert.match(retry.reason, /champion's own model/);
  assert.equal((await recorded('raced', 'raced-run'))?.decidedAt, retry.decidedAt);

  // A further attempt (say its lineage write failed) returns the recorded decision instead of deciding anew.
  const again = await run(input('raced-run', 'raced', strongModel), 3);
  assert.equal(again.decidedAt, retry.decidedAt);
  assert.equal(again.record.sha256, retry.record.sha256);
});

test('an attempt that finds its own challenger already champion (moved, then stopped before recording) keeps that promotion', async () => {
  await crown('resumed', 'resumed-run', strongModel);
  const decision = await run(input('resumed-run', 'resumed', strongModel), 2);
  assert.equal(decision.promoted, true);
  assert.match(decision.reason, /an earlier attempt of this run promoted the challenger/);
  assert.equal(decision.champion, null);
  assert.equal(await championOf('resumed'), 'resumed-run');
  assert.equal((await recorded('resumed', 'resumed-run'))?.promoted, true);
});
