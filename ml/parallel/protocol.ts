/**
 * Messages between the data-parallel coordinator (main thread) and its
 * replica workers. Arrays travel as Float32Array/Int32Array; a gradient or
 * state message holds every tensor of one kind back to back, in the order of
 * `layout` (the model's parameter registry order), so averaging is one loop
 * over one array in a fixed order.
 */
import type { ImageShape } from '../../schemas/manifest.js';
import type { LossConfig, OptimizerConfig } from '../../schemas/training.js';

export interface ReplicaSpec {
  readonly model: string;
  readonly inputShape: ImageShape;
  readonly numClasses: number;
  readonly seed: number;
  readonly optimizer: OptimizerConfig;
  readonly loss: LossConfig;
  /** Passed to initBackend in the worker (defaults to W2S_BACKEND, else the best available). */
  readonly backend?: string;
}

/** Names and sizes of the tensors packed into one array, in order. */
export interface Layout {
  readonly names: readonly string[];
  readonly sizes: readonly number[];
}

export interface ShardBatch {
  /** Normalised NHWC images, `rows * h * w * c` floats. */
  readonly images: Float32Array;
  readonly rows: number;
  readonly labels?: Int32Array;
  readonly teacherLogits?: Float32Array;
}

export type Request =
  | { readonly kind: 'init'; readonly spec: ReplicaSpec }
  | { readonly kind: 'gradients'; readonly batch: ShardBatch; readonly progress: number }
  | { readonly kind: 'apply'; readonly gradients: Float32Array; readonly state: Float32Array; readonly lr: number; readonly step: number }
  | { readonly kind: 'predict'; readonly images: Float32Array; readonly rows: number; readonly batchSize: number }
  | { readonly kind: 'read-variables' }
  | { readonly kind: 'write-variables'; readonly names: readonly string[]; readonly values: readonly Float32Array[] }
  | { readonly kind: 'memory' };

export type Reply =
  | { readonly kind: 'ready'; readonly backend: string; readonly trainable: Layout; readonly state: Layout }
  | {
      readonly kind: 'gradients';
      readonly gradients: Float32Array;
      readonly state: Float32Array;
      readonly loss: Record<string, number>;
      readonly predictions: Int32Array;
      readonly rows: number;
    }
  | { readonly kind: 'applied' }
  | { readonly kind: 'logits'; readonly logits: Float32Array }
  | { readonly kind: 'variables'; readonly names: readonly string[]; readonly values: readonly Float32Array[] }
  | { readonly kind: 'written' }
  | { readonly kind: 'memory'; readonly numTensors: number }
  /** `badInput`: the error was a BadInputError (the user's to fix), rebuilt as one on the coordinator's side. */
  | { readonly kind: 'error'; readonly message: string; readonly stack?: string; readonly badInput?: { readonly where: string; readonly problem: string } };
