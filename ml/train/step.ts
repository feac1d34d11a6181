/**
 * One optimisation step, split in two so that a data-parallel driver can
 * compute gradients on several replicas, average them in a fixed order and
 * apply the result once:
 *
 *   computeGradients: forward in training mode, loss, backward; the model is not changed.
 *   applyGradients:   optimizer update, then the batch-norm running statistics.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossConfig } from '../../schemas/training.js';
import type { LossInputs, LossResult } from '../losses/index.js';
import type { Model } from '../models/model.js';
import { applyStateUpdates, disposeRunningStatistics, resolveRunningStatistics, type RunningStatistic, type StateUpdate } from '../nn/running-stats.js';
import type { Optimizer } from './optimizers.js';

/** A student loss with the signature of ml/losses' `studentLoss`. */
export type StudentLoss = (config: LossConfig, inputs: LossInputs) => LossResult;

/**
 * The loss of one batch, its config already bound by the caller
 * (`(inputs) => studentLoss(config.loss, inputs)`): a step computes whatever
 * loss it is handed and never reads a loss config.
 */
export type BatchLoss = (inputs: LossInputs) => LossResult;

export interface StepBatch {
  readonly x: tf.Tensor4D;
  readonly labels?: tf.Tensor1D;
  readonly teacherLogits?: tf.Tensor2D;
}

export interface ComputedGradients {
  /** Keyed by parameter name; the caller disposes them (applyGradients does). */
  readonly gradients: Map<string, tf.Tensor>;
  /** New batch-norm running statistics, applied with the gradients. */
  readonly stateUpdates: StateUpdate[];
  /** `total` and every part the loss reported, as numbers. */
  readonly loss: Record<string, number>;
  /** The student's predicted class per example, for training metrics. */
  readonly predictions: Int32Array;
  /** Per-example diagnostics the loss reported (adaptconf's `alpha`), read back for the training's trace. */
  readonly perExample?: Record<string, Float32Array>;
  readonly batchSize: number;
}

export function computeGradients(model: Model, loss: BatchLoss, batch: StepBatch, progress: number): ComputedGradients {
  const trainable = model.params.trainable();
  const runningStatistics: RunningStatistic[] = [];
  let parts: Record<string, tf.Scalar> = {};
  let perExample: Record<string, tf.Tensor1D> = {};
  let predicted: tf.Tensor | undefined;
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(() => {
      const student = model.apply(batch.x, { training: true, runningStatistics });
      predicted = tf.keep(tf.argMax(student, 1));
      const out = loss({
        student,
        progress,
        ...(batch.teacherLogits ? { teacher: batch.teacherLogits } : {}),
        ...(batch.labels ? { labels: batch.labels } : {}),
      });
      parts = Object.fromEntries(Object.entries(out.parts).map(([name, part]) => [name, tf.keep(part)]));
      // Values the loss computed anyway: keeping them to read back changes no gradient.
      perExample = Object.fromEntries(Object.entries(out.perExample ?? {}).map(([name, values]) => [name, tf.keep(values)]));
      return out.total;
    }, trainable.map((p) => p.variable));
  } catch (error) {
    // A loss that rejects its inputs must not strand the tensors kept so far.
    disposeRunningStatistics(runningStatistics);
    tf.dispose([...(predicted ? [predicted] : []), ...Object.values(parts), ...Object.values(perExample)]);
    throw error;
  }
  const { value, grads } = result;
  const numbers: Record<string, number> = { total: value.dataSync()[0]! };
  for (const [name, part] of Object.entries(parts)) numbers[name] = part.dataSync()[0]!;
  const predictions = predicted!.dataSync() as Int32Array;
  const perExampleValues: Record<string, Float32Array> = {};
  for (const [name, values] of Object.entries(perExample)) perExampleValues[name] = values.dataSync() as Float32Array;
  tf.dispose([value, predicted!, ...Object.values(parts), ...Object.values(perExample)]);
  const gradients = new Map<string, tf.Tensor>();
  for (const p of trainable) {
    const grad = grads[p.variable.name];
    if (grad) gradients.set(p.name, grad);
  }
  // Blended here, for every layer at once, outside the gradient tape.
  const stateUpdates = resolveRunningStatistics(runningStatistics);
  return { gradients, stateUpdates, loss: numbers, predictions, perExample: perExampleValues, batchSize: batch.x.shape[0] };
}

/** Updates the model with computed gradients and frees them. `step` counts updates from 1. */
export function applyGradients(optimizer: Optimizer, computed: ComputedGradients, lr: number, step: number): void {
  optimizer.apply(computed.gradients, lr, step);
  applyStateUpdates(computed.stateUpdates);
  for (const grad of computed.gradients.values()) grad.dispose();
}
