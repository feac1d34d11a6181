/**
 * The training loop. Read top to bottom: batch in, augmentation, gradients
 * and loss parts, optimizer step with the scheduled learning rate, running
 * metrics, progress, checkpoints; at each epoch's end, evaluation and the
 * epoch's metrics.
 *
 * Determinism: initial weights are keyed by the seed, each epoch's order by
 * (seed, stream, epoch) and each batch's augmentation by (seed, stream, epoch,
 * batch), so a run resumed from any checkpoint ends with the same weights,
 * bit for bit, as one that never stopped (on the same backend).
 */
import { BadInputError } from '../../core/errors.js';
import { canonicalJson } from '../../core/hash.js';
import { Rng } from '../../core/random.js';
import { batchesPerEpoch, type Batch, type BatchSource } from '../data/batches.js';
import { groundTruthWeight, lossTraits, type LossConfig } from '../../schemas/losses.js';
import { TrainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../schemas/training.js';
import { disposeBatch } from '../data/dispose.js';
import { studentLoss } from '../losses/registry.js';
import { accuracy } from '../metrics/index.js';
import type { Model, ModelSpec } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { augmentBatch, isAugmenting } from './augment.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type TrainingPosition } from './checkpoint.js';
import { checkLossFinite, checkWeightsFinite, type DivergenceContext } from './diverged.js';
import { EarlyStopping, type EarlyStoppingOutcome } from './early-stopping.js';
import { addBatch, closeEpoch, emptyTally, type EpochMetrics, type EpochTally } from './epoch-metrics.js';
import { createOptimizer, type Optimizer } from './optimizers.js';
import { argmaxRows, predictLogits } from './predict.js';
import { learningRateAt } from './schedule.js';
import { applyGradients, computeGradients, type BatchLoss, type ComputedGradients, type StudentLoss } from './step.js';
import { emptyTrace, traceEpochEnd, traceStep, type TrainingTrace } from './trace.js';

export interface StepProgress {
  readonly epoch: number;
  /** Optimizer steps completed, over the whole run. */
  readonly step: number;
  readonly totalSteps: number;
  readonly batchInEpoch: number;
  readonly batchesPerEpoch: number;
  readonly lr: number;
  /** `total` and the loss parts of this step. */
  readonly loss: Readonly<Record<string, number>>;
  /** Training throughput over the epoch so far. */
  readonly imagesPerSecond: number;
}

export interface CheckpointSchedule {
  /** Every this many optimizer steps. */
  readonly steps?: number;
  /** When this many seconds have passed since the last checkpoint (checked after each step). */
  readonly seconds?: number;
}

export interface TrainOptions {
  readonly config: TrainConfigInput;
  readonly source: BatchSource;
  /** Names this training's data stream (e.g. `train-strong/adaptconf`): keys shuffling and augmentation. */
  readonly stream: string;
  /** Defaults to ml/losses' `studentLoss`, which dispatches on `config.loss.method`. */
  readonly loss?: StudentLoss;
  /**
   * Held-out data with labels: accuracy is measured on it at the end of every
   * epoch, and early stopping (`config.earlyStopping`) watches it. Its labels
   * are what is scored against: ground truth, or the teacher's predictions
   * when early stopping watches agreement with the teacher.
   */
  readonly evaluation?: BatchSource;
  readonly resumeFrom?: Uint8Array;
  /** Stops the loop after the current step; it writes a checkpoint first. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: StepProgress) => void;
  readonly onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Receives checkpoints as scheduled, when stopped by the signal, and at the end. */
  readonly onCheckpoint?: (bytes: Uint8Array, at: { readonly step: number; readonly epoch: number }) => void | Promise<void>;
  readonly checkpointEvery?: CheckpointSchedule;
  /**
   * Builds the model instead of the zoo (`config.model` then only names it):
   * an imported backbone with a head. Called once, before any resume.
   */
  readonly createModel?: (spec: ModelSpec) => Model;
}

export interface TrainResult {
  /** The trained model; the caller disposes it. */
  readonly model: Model;
  readonly history: readonly EpochMetrics[];
  /** Curves and alpha histograms for the report. */
  readonly trace: TrainingTrace;
  readonly position: TrainingPosition;
  /** False when the signal stopped training early. */
  readonly completed: boolean;
  /** With `config.earlyStopping`: the epoch whose weights the model holds, and why. */
  readonly earlyStopping?: EarlyStoppingOutcome;
}

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  const parsed = TrainConfigSchema.safeParse(input);
  if (!parsed.success) throw new BadInputError('train config', parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return parsed.data;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  return trainWithConfig(resolveTrainConfig(options.config), options);
}

/** `train` for a config parsed already: the pipeline parses a run's config once, where it enters. */
export async function trainWithConfig(config: TrainConfig, options: Omit<TrainOptions, 'config'>): Promise<TrainResult> {
  const { source, stream, signal } = options;
  const loss = options.loss ?? studentLoss;
  const batchLoss: BatchLoss = (inputs) => loss(config.loss, inputs);
  const stepsPerEpoch = batchesPerEpoch(source.size, config.batchSize, true);
  if (stepsPerEpoch === 0) throw new BadInputError('train config', `batchSize ${config.batchSize} exceeds the ${source.size} training examples`);
  const totalSteps = stepsPerEpoch * config.epochs;

  if (config.earlyStopping && !options.evaluation) throw new BadInputError('train config', 'earlyStopping watches held-out data after every epoch, and this training has none (the pipeline passes its validation split)');
  const spec: ModelSpec = { inputShape: source.shape, numClasses: source.numClasses, seed: config.seed };
  const model = options.createModel ? options.createModel(spec) : buildModel(config.model, spec);
  let optimizer: Optimizer | undefined;
  try {
    optimizer = createOptimizer(config.optimizer, model.params.trainable());
    let position: TrainingPosition = { step: 0, epoch: 0, batchInEpoch: 0 };
    let history: EpochMetrics[] = [];
    let tally: EpochTally = emptyTally();
    let trace: TrainingTrace = emptyTrace();
    const early = config.earlyStopping ? new EarlyStopping(config.earlyStopping) : undefined;
    if (options.resumeFrom) {
      const checkpoint = decodeCheckpoint(options.resumeFrom, 'resumeFrom');
      checkResumable(checkpoint.meta, config, stream, source);
      restoreCheckpoint(checkpoint, model, optimizer, 'resumeFrom');
      ({ position, tally } = checkpoint.meta);
      trace = structuredClone(checkpoint.meta.trace);
      history = [...checkpoint.meta.history];
      early?.restore(checkpoint.meta.early, checkpoint.tensors);
    }

    const divergence = (lr: number): DivergenceContext => ({ step: position.step, totalSteps, epoch: position.epoch, epochs: config.epochs, lr, baseLr: config.optimizer.lr, method: config.loss.method });
    let lastCheckpoint = performance.now();
    const writeCheckpoint = async () => {
      if (!options.onCheckpoint) return;
      // A checkpoint of NaN weights would make every retry resume into the same NaN.
      checkWeightsFinite(model.params.all(), divergence(learningRateAt(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch, totalSteps }, Math.max(position.step - 1, 0))));
      const kept = early?.checkpointed();
      const bytes = encodeCheckpoint(model, optimizer!, { config, stream, position, history, tally, trace, ...(kept?.meta ? { early: kept.meta } : {}) }, kept?.tensors);
      await options.onCheckpoint(bytes, { step: position.step, epoch: position.epoch });
      lastCheckpoint = performance.now();
    };
    const checkpointDue = () => {
      const every = options.checkpointEvery;
      // The last step is followed by the final checkpoint anyway.
      if (!every || position.step === totalSteps) return false;
      if (every.steps !== undefined && position.step % every.steps === 0) return true;
      return every.seconds !== undefined && performance.now() - lastCheckpoint >= every.seconds * 1000;
    };
    const stopped = async (): Promise<TrainResult> => {
      await writeCheckpoint();
      return { model, history, trace, position, completed: false };
    };

    while (position.epoch < config.epochs && !early?.stopped) {
      if (signal?.aborted) return await stopped();
      const epoch = position.epoch;
      let mark = performance.now();
      const batches = source.batches({ epoch, batchSize: config.batchSize, seed: config.seed, stream, shuffle: true, startBatch: position.batchInEpoch, dropLast: true });
      for await (const batch of batches) {
        const lr = learningRateAt(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch, totalSteps }, position.step);
        let x = batch.x;
        let computed: ComputedGradients;
        let references: ReturnType<typeof readReferences>;
        try {
          if (!options.loss) checkBatchFeedsLoss(batch, config.loss);
          if (isAugmenting(config.augment)) x = augmentBatch(batch.x, config.augment, Rng.keyed(config.seed, stream, 'augment', epoch, position.batchInEpoch));
          const stepBatch = { x, ...(batch.labels ? { labels: batch.labels } : {}), ...(batch.teacherLogits ? { teacherLogits: batch.teacherLogits } : {}) };
          computed = computeGradients(model, batchLoss, stepBatch, position.step / totalSteps);
          applyGradients(optimizer, computed, lr, position.step + 1);
          // After applying (which frees the gradients): the weights are thrown away with the error, never checkpointed.
          checkLossFinite(computed.loss, { ...divergence(lr), step: position.step + 1 });
          references = readReferences(batch, source.numClasses);
        } finally {
          if (x !== batch.x) x.dispose();
          disposeBatch(batch);
        }

        const now = performance.now();
        addBatch(tally, { loss: computed.loss, predictions: computed.predictions, ...references, seconds: (now - mark) / 1000, lr });
        position = { step: position.step + 1, epoch, batchInEpoch: position.batchInEpoch + 1 };
        traceStep(trace, { step: position.step, epoch, totalSteps, loss: computed.loss, predictions: computed.predictions, ...(references.labels ? { labels: references.labels } : {}), ...(computed.perExample?.alpha ? { alpha: computed.perExample.alpha } : {}) });
        options.onProgress?.({
          epoch,
          step: position.step,
          totalSteps,
          batchInEpoch: position.batchInEpoch,
          batchesPerEpoch: stepsPerEpoch,
          lr,
          loss: computed.loss,
          imagesPerSecond: tally.examples / Math.max(tally.seconds, 1e-9),
        });
        if (signal?.aborted) return await stopped();
        if (checkpointDue()) await writeCheckpoint();
        mark = performance.now();
      }

      const evalAccuracy = options.evaluation ? await evaluateAccuracy(model, options.evaluation) : undefined;
      const metrics = closeEpoch(tally, epoch, position.step, evalAccuracy);
      history.push(metrics);
      if (early && evalAccuracy !== undefined) early.epochEnded(epoch, evalAccuracy, model);
      traceEpochEnd(trace, epoch);
      tally = emptyTally();
      position = { step: position.step, epoch: epoch + 1, batchInEpoch: 0 };
      await options.onEpochEnd?.(metrics);
    }
    // The final checkpoint holds the last weights and the best ones beside them: resuming from it keeps the best again.
    await writeCheckpoint();
    const outcome = early?.keepBest(model, position.epoch, config.epochs);
    return { model, history, trace, position, completed: true, ...(outcome ? { earlyStopping: outcome } : {}) };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer?.dispose();
  }
}

/**
 * Checks that a batch carries what the configured method learns from, before
 * it enters the gradient tape: tfjs keeps the tensors a forward pass saves
 * for the backward pass until the backward pass runs, so a loss that throws
 * midway would strand them.
 */
function checkBatchFeedsLoss(batch: Batch, config: LossConfig): void {
  const traits = lossTraits(config.method);
  const gtWeight = groundTruthWeight(config);
  if (traits.needsTeacher && !batch.teacherLogits) {
    throw new BadInputError('training data', `loss ${config.method} learns from teacher logits and the batches carry none; label this split with the teacher first`);
  }
  if ((traits.groundTruthOnly || gtWeight > 0) && !batch.labels) {
    const why = traits.groundTruthOnly ? `loss ${config.method} learns from ground truth` : `gtWeight is ${gtWeight}`;
    throw new BadInputError('training data', `${why} and the batches carry no labels`);
  }
}

/** Ground truth and teacher argmax of a batch, for the epoch's accuracy and agreement. */
function readReferences(batch: Batch, numClasses: number): { labels?: Int32Array; teacherPredictions?: Int32Array } {
  return {
    ...(batch.labels ? { labels: batch.labels.dataSync() as Int32Array } : {}),
    ...(batch.teacherLogits ? { teacherPredictions: argmaxRows(batch.teacherLogits.dataSync(), numClasses) } : {}),
  };
}

async function evaluateAccuracy(model: Model, source: BatchSource): Promise<number> {
  const { logits, labels, numClasses } = await predictLogits(model, source);
  if (!labels) throw new BadInputError('evaluation source', 'has no labels to measure accuracy against');
  return accuracy({ values: logits, numClasses }, labels);
}

function checkResumable(meta: { config: TrainConfig; stream: string; model: { inputShape: readonly number[]; numClasses: number } }, config: TrainConfig, stream: string, source: BatchSource): void {
  if (canonicalJson(meta.config) !== canonicalJson(config)) {
    throw new BadInputError('resumeFrom', `checkpoint was written with a different training config: ${canonicalJson(meta.config)} vs ${canonicalJson(config)}`);
  }
  if (meta.stream !== stream) throw new BadInputError('resumeFrom', `checkpoint belongs to stream ${JSON.stringify(meta.stream)}, not ${JSON.stringify(stream)}`);
  if (canonicalJson(meta.model.inputShape) !== canonicalJson(source.shape) || meta.model.numClasses !== source.numClasses) {
    throw new BadInputError('resumeFrom', `checkpoint model takes ${meta.model.inputShape.join('x')} images and ${meta.model.numClasses} classes; the data has ${source.shape.join('x')} and ${source.numClasses}`);
  }
}
