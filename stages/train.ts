/**
 * Trains the weak teacher or a student. Heartbeats carry the latest
 * checkpoint; a retry (a lost worker, a shutdown) resumes from it, or from
 * the stage's `latest.json` pointer, and ends with the same weights, bit for
 * bit, as a run that never stopped. Cancellation writes a checkpoint first.
 */
import { BadInputError, isBadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { FrozenProbe, isSavedFrozenBackbone } from '../ml/backbones/frozen-saved.js';
import { ImportedProbe, importedStudent, openSavedBackbone, type ImportedStudent } from '../ml/backbones/saved.js';
import { serializeModel, type Model, type ModelSpec } from '../ml/models/index.js';
import { ProbeStudent, studentFromBackbone } from '../ml/pretrain/index.js';
import type { BatchSource } from '../ml/data/batches.js';
import { TrainingDivergedError, trainWithConfig, type StepProgress } from '../ml/train/index.js';
import { DEFAULT_KEEP_CHECKPOINTS } from '../schemas/pipeline.js';
import { TRAINING_RECORD_ROLE } from '../schemas/report-data.js';
import type { ObjectRef, StudentBackbone, TrainInput, TrainOutput, TrainProgress } from '../schemas/stages.js';
import type { TrainConfig } from '../schemas/training.js';
import { ObjectNotFoundError } from '../storage/errors.js';
import { checkpointKey, checkpointPointerKey, checkpointStepOf, modelKey, trainingPrefix, trainingRecordKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { manifestOf, openShardSource, yieldingBetweenBatches } from './data.js';
import { computeFeatureShards, openFeatureSource } from './features.js';
import { ProgressReporter, type TrainHeartbeat } from './progress.js';
import { StageStoppedError, type StageRuntime } from './runtime.js';
import { lineageObject, runStage, stageCacheKey } from './stage.js';
import { getVerified, putObject } from './stores.js';
import { trainingRecord } from './training-record.js';

export async function trainModel(input: TrainInput, runtime: StageRuntime): Promise<TrainOutput> {
  const inputs = [
    lineageObject(input.manifest, 'manifest'),
    ...input.shards.map((s) => lineageObject(s, 'shard')),
    ...(input.softLabels ?? []).map((s) => lineageObject(s, 'soft-labels')),
    ...(input.backbone ? [lineageObject(input.backbone.model, 'backbone')] : []),
  ];
  const config = { role: input.role, train: input.train, ...(input.backbone ? { init: { mode: input.backbone.mode, ...(input.backbone.kind ? { kind: input.backbone.kind } : {}) } } : {}) };
  return runStage({
    context: input,
    kind: 'train',
    config,
    inputs,
    cacheable: true,
    outputsOf: (out) => [lineageObject(out.model, 'model'), lineageObject(out.record, TRAINING_RECORD_ROLE)],
    metricsOf: (out) => ({ steps: out.steps, epochs: out.epochs, finalLoss: out.finalLoss, imagesPerSecond: out.imagesPerSecond, resumedFromStep: out.resumedFromStep }),
    resumedFromStep: (out) => out.resumedFromStep,
    // The student's name is the run's; speed and resumption describe the attempt that computed it.
    runSpecific: { name: input.name, resumedFromStep: 0, imagesPerSecond: 0 },
    run: (store) => trainWithCheckpoints(store, input, stageCacheKey('train', config, inputs), runtime),
  }, runtime);
}

export interface CheckpointRef extends ObjectRef {
  readonly step: number;
  readonly epoch: number;
}

/** `latest.json`: the newest checkpoint, and the older ones still kept (newest first) to fall back on. */
interface CheckpointPointer extends CheckpointRef {
  readonly older?: readonly CheckpointRef[];
}

async function trainWithCheckpoints(store: ObjectStore, input: TrainInput, cacheKey: string, runtime: StageRuntime): Promise<TrainOutput> {
  // Checkpoints live under the cache key: a retry resumes only a training of exactly this config and these inputs.
  const prefix = trainingPrefix(input.runId, input.stage, cacheKey);
  const pointerKey = checkpointPointerKey(prefix);
  const keep = input.execution.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS;
  const resume = await resumePoint(store, pointerKey, runtime.lastHeartbeat as TrainHeartbeat | undefined, runtime);
  const reporter = new ProgressReporter(runtime, input.execution.heartbeatSeconds);
  const startedAt = Date.now();
  // Alive from the start: loading shards, building the model and the first step are silent otherwise, and a busy worker can take longer than a short heartbeat timeout.
  reporter.heartbeat(resume ? { step: resume.pointer.step, epoch: resume.pointer.epoch, checkpoint: resume.pointer } : { step: 0, epoch: 0 }, undefined, true);
  const backbone = input.backbone;
  const backboneBytes = backbone ? await getVerified(store, backbone.model, 'backbone') : undefined;
  const backboneWhere = backbone ? `backbone ${store.uriOf(backbone.model.key)}` : '';
  // A probe student trains only its head, on the frozen backbone's features computed once (./features.ts); any other on images.
  const probe = backbone?.mode === 'probe' && backboneBytes ? await probeTraining(store, input, backbone, backboneBytes, runtime) : undefined;
  const source = probe?.source ?? await openShardSource(runtime.deps, store, { manifest: input.manifest, shards: input.shards, ...(input.softLabels ? { softLabels: input.softLabels } : {}) });
  // A fine-tuned imported backbone: the saved Layers model with a new head, saved with its topology so evaluation can rebuild it.
  if (backbone?.kind === 'imported' && !probe && backboneBytes && isSavedFrozenBackbone(backboneBytes, backboneWhere)) {
    // The import stage refuses this before any work; a hand-built input can still ask for it.
    throw runtime.failure(new BadInputError(backboneWhere, `is a frozen model (ONNX or graph model): it serves probe students only, not ${backbone.mode}`));
  }
  const importedFinetune = backbone?.kind === 'imported' && !probe && backboneBytes ? await openSavedBackbone(backboneBytes, backboneWhere) : undefined;
  let finetuned: ImportedStudent | undefined;
  const normalization = importedFinetune ? (await manifestOf(runtime.deps, store, input.manifest)).normalization : undefined;

  let lastCheckpoint: CheckpointRef | undefined = resume?.pointer;
  const progressOf = (p: StepProgress): TrainProgress => ({
    name: input.name,
    epoch: p.epoch + 1,
    epochs: Math.ceil(p.totalSteps / Math.max(p.batchesPerEpoch, 1)),
    step: p.step,
    totalSteps: p.totalSteps,
    loss: p.loss.total ?? Number.NaN,
    parts: p.loss,
    imagesPerSecond: p.imagesPerSecond,
    elapsedSeconds: (Date.now() - startedAt) / 1000,
    startStep: resume?.pointer.step ?? 0,
  });

  const createModel = probe
    ? (spec: ModelSpec) => probe.student.headFor(spec)
    : importedFinetune && backbone && normalization
      ? (spec: ModelSpec) => {
          finetuned = importedStudent(importedFinetune.backbone, importedFinetune.saved, { mode: backbone.mode, dataNormalization: normalization, spec });
          return finetuned.model;
        }
      : backbone && backboneBytes
        ? (spec: ModelSpec) => studentFromBackbone(input.train.model, spec, backboneBytes, backbone.mode, backboneWhere)
        : undefined;
  // Frees whatever the student was built on: the probe's backbone and student, or the imported backbone (with the model built on it).
  const releaseOrigin = () => {
    probe?.student.dispose();
    if (finetuned) finetuned.dispose();
    else importedFinetune?.backbone.dispose();
  };
  const result = await trainWithConfig(probe?.config ?? input.train, {
    source,
    stream: input.role,
    ...(resume ? { resumeFrom: resume.bytes } : {}),
    ...(createModel ? { createModel } : {}),
    signal: runtime.cancellation,
    checkpointEvery: { steps: input.execution.checkpointEverySteps, seconds: input.execution.checkpointEverySeconds },
    onProgress: (p) => {
      reporter.heartbeat({ step: p.step, epoch: p.epoch, ...(lastCheckpoint ? { checkpoint: lastCheckpoint } : {}) }, progressOf(p));
    },
    onEpochEnd: (epoch) => runtime.metrics?.epochEnded(input.stage, epoch.seconds, epoch.imagesPerSecond),
    onCheckpoint: async (bytes, at) => {
      const storing = performance.now();
      const ref = await putObject(store, checkpointKey(prefix, at.step, sha256Hex(bytes)), bytes, 'application/octet-stream');
      lastCheckpoint = { ...ref, step: at.step, epoch: at.epoch };
      await movePointer(store, pointerKey, lastCheckpoint, keep);
      await pruneCheckpoints(store, prefix, pointerKey, runtime);
      reporter.heartbeat({ step: at.step, epoch: at.epoch, checkpoint: lastCheckpoint }, undefined, true);
      runtime.metrics?.checkpointStored(input.stage, (performance.now() - storing) / 1000);
    },
  }).catch((error: unknown) => {
    releaseOrigin();
    // The training loop knows the step; the stage knows whose training it is.
    if (error instanceof TrainingDivergedError) throw new BadInputError(`${input.stage}: ${input.role} ${input.name}`, error.problem, { cause: error });
    throw error;
  });

  try {
    if (!result.completed) {
      const at = `step ${result.position.step}, checkpoint ${lastCheckpoint?.key ?? 'none'}`;
      if (runtime.stopReason() === 'worker-shutdown') {
        // Not the user's cancel: the worker is going away. Fail retryably so another worker resumes from the checkpoint.
        throw new StageStoppedError(`worker shut down during ${input.stage} (${at}); another worker resumes from the checkpoint`, 'worker-shutdown');
      }
      throw new StageStoppedError(`${input.stage} cancelled at ${at}`, 'cancelled');
    }
    // A probe head goes back onto its backbone: labeling and evaluation load the full student.
    const weights = probe ? probe.save(probe.student.assemble(result.model)) : finetuned ? finetuned.save(result.model) : serializeModel(result.model);
    const model = await putObject(store, modelKey(prefix, sha256Hex(weights)), weights, 'application/octet-stream');
    const recordJson = trainingRecord(input, result);
    const record = await putObject(store, trainingRecordKey(prefix, sha256Hex(recordJson)), recordJson, 'application/json');
    // Finished: the model and record are stored, so only the final checkpoint is kept (a retry of this attempt resumes from it and is done at once).
    await keepFinalCheckpoint(store, prefix, pointerKey, runtime);
    const last = result.history[result.history.length - 1];
    return {
      name: input.name,
      model,
      steps: result.position.step,
      epochs: result.position.epoch,
      resumedFromStep: resume?.pointer.step ?? 0,
      finalLoss: last?.loss.total ?? Number.NaN,
      imagesPerSecond: last?.imagesPerSecond ?? 0,
      record,
      cached: false,
    };
  } finally {
    // The imported student's model is result.model: disposed with its origin.
    if (!finetuned) result.model.dispose();
    releaseOrigin();
  }
}

/** A probe student split for training on features: a head over them, and the full student it goes back into. */
interface ProbeHeadStudent {
  headFor(spec: ModelSpec): Model;
  assemble(head: Model): Model;
  dispose(): void;
}

interface ProbeTraining {
  readonly source: BatchSource;
  /** The student's training config for its head: the `linear` model over features, no augmentation (features are of unaugmented images). */
  readonly config: TrainConfig;
  readonly student: ProbeHeadStudent;
  /** Bytes of the assembled student that labeling and evaluation load. */
  readonly save: (assembled: Model) => Uint8Array;
}

async function probeTraining(store: ObjectStore, input: TrainInput, backbone: StudentBackbone, backboneBytes: Uint8Array, runtime: StageRuntime): Promise<ProbeTraining> {
  const imported = backbone.kind === 'imported';
  const features = await computeFeatureShards({ runId: input.runId, storage: input.storage, stage: `${input.stage}-features`, model: input.train.model, manifest: input.manifest, shards: input.shards, backbone: backbone.model, ...(imported ? { imported } : {}) }, runtime);
  const source = yieldingBetweenBatches(await openFeatureSource(runtime.deps, store, { manifest: input.manifest, shards: input.shards, ...(input.softLabels ? { softLabels: input.softLabels } : {}), features, backbone: backbone.model }));
  const manifest = await manifestOf(runtime.deps, store, input.manifest);
  const spec = { inputShape: manifest.shape, numClasses: manifest.classes.length, seed: input.train.seed };
  const where = `backbone ${store.uriOf(backbone.model.key)}`;
  const config: TrainConfig = { ...input.train, model: 'linear', augment: { cropPadding: 0, flip: false } };
  if (imported && isSavedFrozenBackbone(backboneBytes, where)) {
    const student = await FrozenProbe.open(backboneBytes, where, manifest.normalization, spec);
    return { source, student, config, save: (assembled) => student.save(assembled) };
  }
  if (imported) {
    const student = await ImportedProbe.open(backboneBytes, where, manifest.normalization, spec);
    return { source, student, config, save: (assembled) => student.save(assembled) };
  }
  return { source, student: ProbeStudent.fromBackbone(input.train.model, spec, backboneBytes, where), config, save: serializeModel };
}

/**
 * The newest checkpoint that is still intact: the one the last heartbeat
 * named, the pointer's, then the older ones the pointer keeps. A damaged
 * or missing one is logged and skipped; none at all starts afresh.
 */
export async function resumePoint(store: ObjectStore, pointerKey: string, heartbeat: TrainHeartbeat | undefined, runtime: StageRuntime): Promise<{ pointer: CheckpointRef; bytes: Uint8Array } | undefined> {
  // The heartbeat names the checkpoint the last attempt reported; the pointer covers a crash between writing one and heartbeating it.
  const candidates: CheckpointRef[] = [];
  // A heartbeat from before checkpoints were named by key has none: the pointer still covers it.
  if (typeof heartbeat?.checkpoint?.key === 'string') candidates.push({ ...heartbeat.checkpoint, step: heartbeat.step, epoch: heartbeat.epoch });
  const pointer = await readCheckpointPointer(store, pointerKey);
  if (pointer) candidates.push(withoutOlder(pointer), ...(pointer.older ?? []));
  const seen = new Set<string>();
  for (const candidate of candidates.sort((a, b) => b.step - a.step)) {
    if (seen.has(candidate.key)) continue;
    seen.add(candidate.key);
    try {
      return { pointer: candidate, bytes: await getVerified(store, candidate, 'checkpoint') };
    } catch (error) {
      if (!isBadInputError(error) && !(error instanceof ObjectNotFoundError)) throw error;
      runtime.warn(`checkpoint at step ${candidate.step} is unusable, trying an older one: ${(error as Error).message}`);
    }
  }
  return undefined;
}

function parsePointer(data: Uint8Array): CheckpointPointer {
  return JSON.parse(new TextDecoder().decode(data)) as CheckpointPointer;
}

async function readCheckpointPointer(store: ObjectStore, key: string): Promise<CheckpointPointer | undefined> {
  const current = await store.readPointer(key);
  return current ? parsePointer(current.data) : undefined;
}

function withoutOlder(pointer: CheckpointPointer): CheckpointRef {
  return { key: pointer.key, sha256: pointer.sha256, bytes: pointer.bytes, step: pointer.step, epoch: pointer.epoch };
}

/**
 * Moves `latest.json` forward with compare-and-swap; never backwards, whoever
 * else writes it. The checkpoint it replaces joins the `keep - 1` older ones
 * the pointer keeps to fall back on.
 */
export async function movePointer(store: ObjectStore, key: string, next: CheckpointRef, keep: number): Promise<void> {
  for (;;) {
    const current = await store.readPointer(key);
    const at = current ? parsePointer(current.data) : undefined;
    if (at && at.step >= next.step) return;
    const older = at ? [withoutOlder(at), ...(at.older ?? [])].slice(0, keep - 1) : [];
    try {
      await store.writePointer(key, JSON.stringify({ ...next, older }), current?.version ?? null);
      return;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
}

/**
 * A finished training needs one checkpoint, the final one: resume reads it
 * (a retried attempt finishes at once) and lineage names only the model and
 * the training record. The pointer drops the older ones first, then they
 * are deleted, so a crash between leaves the pointer's checkpoint intact.
 */
export async function keepFinalCheckpoint(store: ObjectStore, prefix: string, pointerKey: string, runtime: StageRuntime): Promise<void> {
  for (;;) {
    const current = await store.readPointer(pointerKey);
    if (!current) return;
    const at = parsePointer(current.data);
    if (!at.older?.length) break;
    try {
      await store.writePointer(pointerKey, JSON.stringify({ ...withoutOlder(at), older: [] }), current.version);
      break;
    } catch (error) {
      if ((error as Error).name !== 'PreconditionFailedError') throw error;
    }
  }
  await pruneCheckpoints(store, prefix, pointerKey, runtime);
}

/**
 * Deletes the checkpoints under `prefix` that the pointer no longer keeps and
 * that are older than its newest: only after the pointer that drops them is
 * durable, so a crash at any point leaves an intact checkpoint to resume from.
 */
export async function pruneCheckpoints(store: ObjectStore, prefix: string, pointerKey: string, runtime: StageRuntime): Promise<void> {
  const pointer = await readCheckpointPointer(store, pointerKey);
  if (!pointer) return;
  const kept = new Set([pointer, ...(pointer.older ?? [])].map((c) => c.key));
  for (const key of await store.list(`${prefix}/`)) {
    const step = checkpointStepOf(key);
    // A newer checkpoint than the pointer's may belong to another attempt that has not moved the pointer yet.
    if (step === undefined || step >= pointer.step || kept.has(key)) continue;
    await store.delete(key).catch((error: unknown) => runtime.warn(`could not delete old checkpoint ${key}: ${(error as Error).message}`));
  }
}
