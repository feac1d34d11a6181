/**
 * The loop every pretraining shares: an encoder and a head that is thrown
 * away afterwards (SimCLR's projection, the supervised classifier), AdamW
 * over both, epochs of seeded batches, checkpoints (./checkpoint.ts) on a
 * schedule, when stopped, and at the end. A method only says what one
 * batch's loss is.
 *
 * Determinism as in ml/train: each epoch's order is keyed by (seed, stream,
 * epoch), and a method keys its own randomness by the position it is handed,
 * so a run resumed from a checkpoint ends with the same weights, bit for
 * bit, as one that never stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import type { OptimizerConfig } from '../../schemas/training.js';
import { batchesPerEpoch, type Batch, type BatchSource } from '../data/batches.js';
import { disposeBatch } from '../data/dispose.js';
import type { Model } from '../models/model.js';
import { applyStateUpdates, disposeRunningStatistics, resolveRunningStatistics, type RunningStatistic } from '../nn/running-stats.js';
import type { ParamRegistry } from '../nn/params.js';
import { checkLossFinite, checkWeightsFinite, type DivergenceContext } from '../train/diverged.js';
import { createOptimizer } from '../train/optimizers.js';
import { encodeContrastiveCheckpoint, restoreContrastiveCheckpoint, type ContrastivePosition } from './checkpoint.js';

/** What the caller of a pretraining hands in, whatever its method. */
export interface PretrainRunOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Names the data stream: keys shuffling and whatever randomness the method draws. */
  readonly stream: string;
  readonly source: BatchSource;
  readonly signal?: AbortSignal;
  readonly onStep?: (progress: { readonly epoch: number; readonly step: number; readonly loss: number }) => void;
  /** A checkpoint of the same pretraining (same settings) to continue from. */
  readonly resumeFrom?: Uint8Array;
  /** Receives checkpoints every `checkpointEverySteps` steps, when stopped by the signal, and at the end. */
  readonly onCheckpoint?: (bytes: Uint8Array, at: ContrastivePosition) => void | Promise<void>;
  readonly checkpointEverySteps?: number;
}

export interface PretrainResult {
  /** The pretrained encoder; the caller disposes it. */
  readonly encoder: Model;
  /** Mean loss of each epoch. */
  readonly epochLosses: readonly number[];
  /** Optimizer steps done over the whole pretraining (a resumed run counts the steps before it too). */
  readonly steps: number;
  readonly completed: boolean;
}

/** One batch's loss, ready to be taped: `loss` runs inside the gradient tape, `dispose` frees what was made outside it. */
export interface PreparedBatch {
  readonly loss: (statistics: RunningStatistic[]) => tf.Scalar;
  readonly dispose?: () => void;
}

export interface PretrainLoop extends PretrainRunOptions {
  /** Names the method in errors. */
  readonly what: string;
  /** The method's name (`simclr`, `supervised`), for the error a diverging pretraining ends with. */
  readonly method: string;
  readonly encoder: Model;
  /** The head's variables: trained with the encoder, kept in checkpoints, thrown away at the end (the loop disposes it). */
  readonly head: ParamRegistry;
  readonly optimizer: OptimizerConfig;
  /** Everything that decides the result: a checkpoint only resumes the same settings. */
  readonly settings: unknown;
  readonly prepare: (batch: Batch, at: { readonly epoch: number; readonly batchIndex: number }) => PreparedBatch;
}

export async function runPretrainLoop(loop: PretrainLoop): Promise<PretrainResult> {
  const { encoder, head, source, batchSize, epochs, seed, stream } = loop;
  const stepsPerEpoch = batchesPerEpoch(source.size, batchSize, true);
  const trainable = [...encoder.params.trainable(), ...head.trainable()];
  let optimizer: ReturnType<typeof createOptimizer> | undefined;
  try {
    if (stepsPerEpoch === 0) throw new BadInputError(loop.what, `batchSize ${batchSize} exceeds the ${source.size} images`);
    const opt = createOptimizer(loop.optimizer, trainable);
    optimizer = opt;
    let epochLosses: number[] = [];
    let position: ContrastivePosition = { step: 0, epoch: 0, batchInEpoch: 0 };
    let sum = 0;
    const divergence = (): DivergenceContext => ({ step: position.step, totalSteps: stepsPerEpoch * epochs, epoch: position.epoch, epochs, lr: loop.optimizer.lr, baseLr: loop.optimizer.lr, method: loop.method });
    const checkpoint = async () => {
      if (!loop.onCheckpoint) return;
      // As in training (ml/train/diverged.ts): no checkpoint of non-finite weights.
      checkWeightsFinite([...encoder.params.all(), ...head.all()], divergence());
      await loop.onCheckpoint(encodeContrastiveCheckpoint(encoder, head.all(), opt.slots, loop.settings, { position, epochLosses, lossSum: sum }), position);
    };
    if (loop.resumeFrom) {
      const state = restoreContrastiveCheckpoint(loop.resumeFrom, encoder, head.all(), opt.slots, loop.settings);
      ({ position } = state);
      epochLosses = [...state.epochLosses];
      sum = state.lossSum;
    }
    for (let epoch = position.epoch; epoch < epochs; epoch++) {
      let batchIndex = position.batchInEpoch;
      for await (const batch of source.batches({ epoch, batchSize, seed, stream, shuffle: true, dropLast: true, startBatch: batchIndex })) {
        const updates: RunningStatistic[] = [];
        let prepared: PreparedBatch | undefined;
        try {
          const ready = loop.prepare(batch, { epoch, batchIndex });
          prepared = ready;
          const { value, grads } = tf.variableGrads(() => ready.loss(updates), trainable.map((p) => p.variable));
          const named = new Map(trainable.map((p) => [p.name, grads[p.variable.name]!] as const));
          opt.apply(named, loop.optimizer.lr, position.step + 1);
          applyStateUpdates(resolveRunningStatistics(updates.splice(0)));
          tf.dispose(Object.values(grads));
          const loss = value.dataSync()[0]!;
          value.dispose();
          sum += loss;
          position = { step: position.step + 1, epoch, batchInEpoch: batchIndex + 1 };
          checkLossFinite({ total: loss }, divergence());
          loop.onStep?.({ epoch, step: position.step, loss });
        } finally {
          disposeRunningStatistics(updates);
          prepared?.dispose?.();
          disposeBatch(batch);
        }
        batchIndex += 1;
        if (loop.signal?.aborted) {
          await checkpoint();
          return { encoder, epochLosses, steps: position.step, completed: false };
        }
        const every = loop.checkpointEverySteps;
        if (every !== undefined && position.step % every === 0 && position.step < stepsPerEpoch * epochs) await checkpoint();
      }
      epochLosses.push(sum / stepsPerEpoch);
      sum = 0;
      position = { step: position.step, epoch: epoch + 1, batchInEpoch: 0 };
    }
    await checkpoint();
    return { encoder, epochLosses, steps: position.step, completed: true };
  } catch (error) {
    encoder.dispose();
    throw error;
  } finally {
    optimizer?.dispose();
    head.dispose();
  }
}
