/**
 * Early stopping's state over a training: the best validation score so far,
 * the epoch that reached it and a copy of that epoch's weights. It travels
 * in every checkpoint (the weights as `best/model/<param>` tensors), so a
 * resumed training stops at the same epoch and keeps the same weights, bit
 * for bit, as one that never stopped.
 */
import type { EarlyStoppingConfig } from '../../schemas/training.js';
import type { Model } from '../models/model.js';
import { assignModelTensors, modelTensors } from '../models/serialize.js';
import type { TensorRecord } from '../nn/tensor-file.js';

export const BEST_PREFIX = 'best/';

/** What the checkpoint's header records; absent before the first epoch ends. */
export interface EarlyStoppingMeta {
  /** The epoch (0-based) with the best validation score so far. */
  readonly bestEpoch: number;
  readonly bestScore: number;
  /** True once `patience` epochs passed without a better score: no epoch follows. */
  readonly stopped: boolean;
}

/** What a training with early stopping reports: which epoch was kept and why. */
export interface EarlyStoppingOutcome {
  readonly monitor: EarlyStoppingConfig['monitor'];
  readonly patience: number;
  /** The epoch (0-based) whose weights were kept. */
  readonly keptEpoch: number;
  /** Its validation score: accuracy, or agreement with the teacher's labels. */
  readonly score: number;
  /** Epochs trained before stopping (all of them when it never stopped). */
  readonly epochsTrained: number;
  readonly stopped: boolean;
  readonly reason: string;
}

export class EarlyStopping {
  private meta: EarlyStoppingMeta | undefined;
  private best: TensorRecord[] | undefined;

  constructor(private readonly config: EarlyStoppingConfig) {}

  get stopped(): boolean {
    return this.meta?.stopped ?? false;
  }

  /** Takes the state a checkpoint carried (its header entry and `best/` tensors). */
  restore(meta: EarlyStoppingMeta | undefined, tensors: ReadonlyMap<string, TensorRecord>): void {
    this.meta = meta;
    this.best = meta ? [...tensors.values()].filter((t) => t.name.startsWith(BEST_PREFIX)).map((t) => ({ ...t, name: t.name.slice(BEST_PREFIX.length) })) : undefined;
  }

  /** Scores the epoch just ended; a better score keeps a copy of the weights, `patience` worse ones stop the training. */
  epochEnded(epoch: number, score: number, model: Model): void {
    if (!this.meta || score > this.meta.bestScore) {
      this.meta = { bestEpoch: epoch, bestScore: score, stopped: false };
      // Copies: the variables keep changing after this epoch.
      this.best = modelTensors(model).map((t) => ({ ...t, values: Float32Array.from(t.values) }));
      return;
    }
    if (epoch - this.meta.bestEpoch >= this.config.patience) this.meta = { ...this.meta, stopped: true };
  }

  /** The checkpoint's share: the header entry and the best weights as tensors. */
  checkpointed(): { meta?: EarlyStoppingMeta; tensors: TensorRecord[] } {
    return { ...(this.meta ? { meta: this.meta } : {}), tensors: (this.best ?? []).map((t) => ({ ...t, name: BEST_PREFIX + t.name })) };
  }

  /** Puts the best epoch's weights back into the model; returns what was kept and why. */
  keepBest(model: Model, epochsTrained: number, epochs: number): EarlyStoppingOutcome | undefined {
    if (!this.meta || !this.best) return undefined;
    assignModelTensors(model, new Map(this.best.map((t) => [t.name, t])), 'early stopping: best epoch weights');
    const { bestEpoch, bestScore } = this.meta;
    // Patience running out on the last epoch stops nothing.
    const stopped = this.meta.stopped && epochsTrained < epochs;
    const what = this.config.monitor === 'teacher' ? "agreement with the teacher's labels" : 'accuracy';
    const reason = stopped
      ? `stopped after epoch ${epochsTrained}: ${this.config.patience} epoch${this.config.patience === 1 ? '' : 's'} without a better validation ${what} than epoch ${bestEpoch + 1}'s`
      : `trained all ${epochsTrained} epochs; epoch ${bestEpoch + 1} had the best validation ${what}`;
    return { monitor: this.config.monitor, patience: this.config.patience, keptEpoch: bestEpoch, score: bestScore, epochsTrained, stopped, reason };
  }
}
