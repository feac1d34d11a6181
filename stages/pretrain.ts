/**
 * Learns a student's backbone (ml/pretrain): from unlabeled training images
 * (SimCLR: the run's dataset's, or those of `init.pretrain.dataset`), or from
 * labelled images the task never sees (supervised: the run's `pool` split,
 * or `init.pretrain.dataset`'s training splits). Its cache key is the
 * pretraining config, the encoder's name, the content hash of the images
 * (and labels, when read; ./pretrain-images.ts) and the code version, never
 * the run, its seed or how it split the images: one pretrained backbone
 * serves every run, seed and student that asks for the same one. Heartbeats carry the
 * latest checkpoint, and a retry resumes from it (or from the stage's
 * `latest.json`) and ends with the same weights, bit for bit, as a
 * pretraining that never stopped.
 */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { batchesPerEpoch, type BatchSource } from '../ml/data/batches.js';
import { serializeModel } from '../ml/models/index.js';
import { pretrainContrastive, pretrainSupervised, type PretrainRunOptions } from '../ml/pretrain/index.js';
import { TrainingDivergedError } from '../ml/train/index.js';
import type { PretrainInput, PretrainOutput } from '../schemas/stages.js';
import { modelKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { manifestOf, yieldingBetweenBatches } from './data.js';
import { pretrainImages, type PretrainImages } from './pretrain-images.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage, stageCacheKey } from './stage.js';
import { putObject } from './stores.js';
import { StageCheckpoints } from './checkpoints.js';

/** Names the data stream of every pretraining: keys its image order and views together with the pretraining seed. */
const STREAM = 'pretrain';

export async function pretrainBackbone(input: PretrainInput, runtime: StageRuntime): Promise<PretrainOutput> {
  let images: PretrainImages;
  try {
    // Alive while the images load, keeping what the last attempt reported (its checkpoint) for the resume.
    runtime.heartbeat(runtime.lastHeartbeat);
    const store = runtime.deps.storeAt(input.storage);
    const manifest = await manifestOf(runtime.deps, store, input.manifest);
    if (input.taskShape && manifest.shape.some((n, i) => n !== input.taskShape![i])) {
      throw new BadInputError('init.pretrain.dataset', `its images are ${manifest.shape.join('x')} (height x width x channels) but the run's dataset's are ${input.taskShape.join('x')}; give it resize (and channels) to match`);
    }
    const supervised = input.pretrain.method === 'supervised';
    // The one place labels reach a pretraining: on the run's own dataset, only the pool's.
    const foreign = input.taskShape ? [] : input.shards.filter((shard) => shard.split !== 'pool');
    if (supervised && foreign.length > 0) {
      throw new BadInputError('init.pretrain', `supervised pretraining reads the labels of the pool split only; it was handed ${foreign.map((s) => `${s.split} shard ${s.key}`).join(', ')}`);
    }
    images = await pretrainImages(store, manifest, input.shards, supervised);
  } catch (error) {
    throw runtime.failure(error);
  }
  const inputs = [lineageObject(input.manifest, 'manifest'), ...input.shards.map((s) => lineageObject(s, 'shard'))];
  // The images' own hash, not the shards': another seed or split of the same training images is the same pretraining.
  const config = { model: input.model, pretrain: input.pretrain, images: { sha256: images.sha256, count: images.count } };
  return runStage({
    context: input,
    kind: 'pretrain',
    config,
    inputs,
    keyInputs: [],
    cacheable: true,
    outputsOf: (out) => [lineageObject(out.backbone, 'backbone')],
    metricsOf: (out) => ({ steps: out.steps, epochs: out.epochs, finalLoss: out.finalLoss, resumedFromStep: out.resumedFromStep }),
    resumedFromStep: (out) => out.resumedFromStep,
    runSpecific: { resumedFromStep: 0 },
    run: (store) => pretrainWithCheckpoints(store, input, yieldingBetweenBatches(images.source), stageCacheKey('pretrain', config, []), runtime),
  }, runtime);
}

async function pretrainWithCheckpoints(store: ObjectStore, input: PretrainInput, source: BatchSource, cacheKey: string, runtime: StageRuntime): Promise<PretrainOutput> {
  const checkpoints = await StageCheckpoints.open(store, runtime, { runId: input.runId, stage: input.stage, cacheKey }, input.execution);
  const { prefix, resume } = checkpoints;
  const { pretrain } = input;
  const totalSteps = batchesPerEpoch(source.size, pretrain.batchSize, true) * pretrain.epochs;

  const started = performance.now();
  let stepsThisAttempt = 0;
  const run: PretrainRunOptions = {
    epochs: pretrain.epochs,
    batchSize: pretrain.batchSize,
    seed: pretrain.seed,
    stream: STREAM,
    source,
    signal: runtime.cancellation,
    ...(resume ? { resumeFrom: resume.bytes } : {}),
    checkpointEverySteps: input.execution.checkpointEverySteps,
    onStep: ({ epoch, step, loss }) => {
      stepsThisAttempt += 1;
      const seconds = (performance.now() - started) / 1000;
      checkpoints.progress(step, epoch, {
        name: input.stage,
        epoch: epoch + 1,
        epochs: pretrain.epochs,
        step,
        totalSteps,
        loss,
        parts: { [pretrain.method === 'simclr' ? 'ntXent' : 'crossEntropy']: loss },
        imagesPerSecond: (stepsThisAttempt * pretrain.batchSize) / Math.max(seconds, 1e-9),
        elapsedSeconds: seconds,
        startStep: checkpoints.startStep,
      });
    },
    onCheckpoint: (bytes, at) => checkpoints.save(bytes, at),
  };
  const optimizer = { name: 'adamw', lr: pretrain.lr, weightDecay: pretrain.weightDecay } as const;
  const common = { ...run, encoder: input.model, representationDim: pretrain.representationDim, optimizer };
  const result = await (
    pretrain.method === 'simclr'
      ? pretrainContrastive({ ...common, projectionDims: pretrain.projectionDims, temperature: pretrain.temperature, augment: pretrain.augment })
      : pretrainSupervised(common)
  ).catch((error: unknown) => {
    // The loop knows the step; the stage says it is the backbone's pretraining (init.pretrain.lr is the learning rate at fault).
    if (error instanceof TrainingDivergedError) throw new BadInputError(`${input.stage}: backbone pretraining (init.pretrain)`, error.problem, { cause: error });
    throw error;
  });

  try {
    if (!result.completed) throw checkpoints.stopped(result.steps);
    const weights = serializeModel(result.encoder);
    const backbone = await putObject(store, modelKey(prefix, sha256Hex(weights)), weights, 'application/octet-stream');
    return {
      backbone,
      model: input.model,
      steps: result.steps,
      epochs: pretrain.epochs,
      finalLoss: result.epochLosses.at(-1) ?? Number.NaN,
      resumedFromStep: checkpoints.startStep,
      cached: false,
    };
  } finally {
    result.encoder.dispose();
  }
}
