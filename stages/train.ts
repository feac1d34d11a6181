/**
 * Trains the weak teacher or a student. Heartbeats carry the latest
 * checkpoint; a retry (a lost worker, a shutdown) resumes from it, or from
 * the stage's `latest.json` pointer, and ends with the same weights, bit for
 * bit, as a run that never stopped. Cancellation writes a checkpoint first.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { FrozenProbe, isSavedFrozenBackbone } from '../ml/backbones/frozen-saved.js';
import { ImportedProbe, importedStudent, openSavedBackbone, type ImportedStudent } from '../ml/backbones/saved.js';
import { serializeModel, type Model, type ModelSpec } from '../ml/models/index.js';
import { ProbeStudent, studentFromBackbone } from '../ml/pretrain/index.js';
import { mapBatches, type BatchSource } from '../ml/data/batches.js';
import { TrainingDivergedError } from '../ml/train/diverged.js';
import { trainWithConfig, type StepProgress } from '../ml/train/train.js';
import { TRAINING_RECORD_ROLE } from '../schemas/report-data.js';
import type { StudentBackbone, TrainInput, TrainOutput, TrainProgress } from '../schemas/stages.js';
import type { TrainConfig } from '../schemas/training.js';
import { modelKey, trainingRecordKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { manifestOf, openShardSource, yieldingBetweenBatches } from './data.js';
import { computeFeatureShards, openFeatureSource } from './features.js';
import { StageCheckpoints } from './checkpoints.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage, stageCacheKey } from './stage.js';
import { getVerified, putObject } from './stores.js';
import { trainingRecord } from './training-record.js';

export async function trainModel(input: TrainInput, runtime: StageRuntime): Promise<TrainOutput> {
  const inputs = [
    lineageObject(input.manifest, 'manifest'),
    ...input.shards.map((s) => lineageObject(s, 'shard')),
    ...(input.softLabels ?? []).map((s) => lineageObject(s, 'soft-labels')),
    ...(input.backbone ? [lineageObject(input.backbone.model, 'backbone')] : []),
    ...(input.validation?.shards ?? []).map((s) => lineageObject(s, 'validation-shard')),
    ...(input.validation?.softLabels ?? []).map((s) => lineageObject(s, 'validation-soft-labels')),
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

async function trainWithCheckpoints(store: ObjectStore, input: TrainInput, cacheKey: string, runtime: StageRuntime): Promise<TrainOutput> {
  const checkpoints = await StageCheckpoints.open(store, runtime, { runId: input.runId, stage: input.stage, cacheKey }, input.execution);
  const { prefix, resume } = checkpoints;
  const startedAt = Date.now();
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
    startStep: checkpoints.startStep,
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
  const evaluation = await earlyStoppingSource(store, input, probe?.features, runtime);
  const result = await trainWithConfig(probe?.config ?? input.train, {
    source,
    ...(evaluation ? { evaluation } : {}),
    stream: input.role,
    ...(resume ? { resumeFrom: resume.bytes } : {}),
    ...(createModel ? { createModel } : {}),
    signal: runtime.cancellation,
    checkpointEvery: { steps: input.execution.checkpointEverySteps, seconds: input.execution.checkpointEverySeconds },
    onProgress: (p) => checkpoints.progress(p.step, p.epoch, progressOf(p)),
    onEpochEnd: (epoch) => runtime.metrics?.epochEnded(input.stage, epoch.seconds, epoch.imagesPerSecond),
    onCheckpoint: async (bytes, at) => {
      const storing = performance.now();
      await checkpoints.save(bytes, at);
      runtime.metrics?.checkpointStored(input.stage, (performance.now() - storing) / 1000);
    },
  }).catch((error: unknown) => {
    releaseOrigin();
    // The training loop knows the step; the stage knows whose training it is.
    if (error instanceof TrainingDivergedError) throw new BadInputError(`${input.stage}: ${input.role} ${input.name}`, error.problem, { cause: error });
    throw error;
  });

  try {
    if (!result.completed) throw checkpoints.stopped(result.position.step);
    // A probe head goes back onto its backbone: labeling and evaluation load the full student.
    const weights = probe ? probe.save(probe.student.assemble(result.model)) : finetuned ? finetuned.save(result.model) : serializeModel(result.model);
    const model = await putObject(store, modelKey(prefix, sha256Hex(weights)), weights, 'application/octet-stream');
    const recordJson = trainingRecord(input, result);
    const record = await putObject(store, trainingRecordKey(prefix, sha256Hex(recordJson)), recordJson, 'application/json');
    await checkpoints.finish();
    const last = result.history[result.history.length - 1];
    return {
      name: input.name,
      model,
      steps: result.position.step,
      epochs: result.position.epoch,
      resumedFromStep: checkpoints.startStep,
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

/**
 * What early stopping watches: the validation split (its features, for a
 * probe), labelled with ground truth or, when it watches agreement with the
 * teacher, with the teacher's predictions. Undefined without early stopping.
 */
async function earlyStoppingSource(store: ObjectStore, input: TrainInput, probe: ProbeFeatures | undefined, runtime: StageRuntime): Promise<BatchSource | undefined> {
  const stopping = input.train.earlyStopping;
  if (!stopping) return undefined;
  const where = `${input.stage}: ${input.role} ${input.name}`;
  const validation = input.validation;
  if (!validation?.shards.length) throw runtime.failure(new BadInputError(where, 'early stopping watches the validation split, and the stage was given none'));
  const teacher = stopping.monitor === 'teacher';
  if (teacher && !validation.softLabels?.length) throw runtime.failure(new BadInputError(where, "early stopping watches agreement with the teacher's labels, and the stage was given none for the validation split"));
  const softLabels = teacher ? { softLabels: validation.softLabels! } : {};
  const source = probe
    ? yieldingBetweenBatches(await openFeatureSource(runtime.deps, store, {
        manifest: input.manifest,
        shards: validation.shards,
        ...softLabels,
        features: await computeFeatureShards({ ...probe.request, stage: `${input.stage}-validation-features`, shards: validation.shards }, runtime),
        backbone: probe.request.backbone,
      }))
    : await openShardSource(runtime.deps, store, { manifest: input.manifest, shards: validation.shards, ...softLabels });
  return teacher ? labelledByTeacher(source) : source;
}

/** A source whose labels are the teacher's predictions (argmax of its logits), for scoring agreement with the teacher as accuracy. */
function labelledByTeacher(source: BatchSource): BatchSource {
  return mapBatches(source, (batch) => {
    const { teacherLogits, labels, ...rest } = batch;
    if (!teacherLogits) throw new BadInputError('validation split', 'a batch carries no teacher logits to score agreement against');
    const predicted = tf.argMax(teacherLogits, 1).toInt() as tf.Tensor1D;
    tf.dispose([teacherLogits, ...(labels ? [labels] : [])]);
    return { ...rest, labels: predicted };
  });
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
  /** How its features were computed, for those of other splits. */
  readonly features: ProbeFeatures;
}

interface ProbeFeatures {
  readonly request: Parameters<typeof computeFeatureShards>[0];
}

async function probeTraining(store: ObjectStore, input: TrainInput, backbone: StudentBackbone, backboneBytes: Uint8Array, runtime: StageRuntime): Promise<ProbeTraining> {
  const imported = backbone.kind === 'imported';
  const request = { runId: input.runId, storage: input.storage, stage: `${input.stage}-features`, model: input.train.model, manifest: input.manifest, shards: input.shards, backbone: backbone.model, ...(imported ? { imported } : {}) };
  const features = await computeFeatureShards(request, runtime);
  const source = yieldingBetweenBatches(await openFeatureSource(runtime.deps, store, { manifest: input.manifest, shards: input.shards, ...(input.softLabels ? { softLabels: input.softLabels } : {}), features, backbone: backbone.model }));
  const manifest = await manifestOf(runtime.deps, store, input.manifest);
  const spec = { inputShape: manifest.shape, numClasses: manifest.classes.length, seed: input.train.seed };
  const where = `backbone ${store.uriOf(backbone.model.key)}`;
  const config: TrainConfig = { ...input.train, model: 'linear', augment: { cropPadding: 0, flip: false } };
  if (imported && isSavedFrozenBackbone(backboneBytes, where)) {
    const student = await FrozenProbe.open(backboneBytes, where, manifest.normalization, spec);
    return { source, student, config, save: (assembled) => student.save(assembled), features: { request } };
  }
  if (imported) {
    const student = await ImportedProbe.open(backboneBytes, where, manifest.normalization, spec);
    return { source, student, config, save: (assembled) => student.save(assembled), features: { request } };
  }
  return { source, student: ProbeStudent.fromBackbone(input.train.model, spec, backboneBytes, where), config, save: serializeModel, features: { request } };
}
