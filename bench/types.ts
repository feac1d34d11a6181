/**
 * What a benchmark case is and what it reports. Cases live in a registry
 * (registry.ts); a case that needs something the bench cannot start itself
 * (a Temporal server, say) names it in `requires`, and runs only when the
 * harness finds it (see services.ts).
 */
import type { BackendInfo } from '../ml/backend.js';
import type { TorchBaseline } from './torch.js';

export interface BenchResult {
  /** Stable name, e.g. `train/cnn/1-core`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** PyTorch's figure for the same work on the same cores, when there is one. */
  readonly baseline?: number;
  /** value / baseline (for times: baseline / value), so higher is better for us. */
  readonly ratio?: number;
  /** Conditions, spread, or why no baseline. */
  readonly note?: string;
}

export interface BenchContext {
  /** Samples per figure; medians are reported. */
  readonly repeats: number;
  /** A short run for smoke-testing the harness: fewer steps, smaller data. */
  readonly quick: boolean;
  /** PyTorch with this many threads, or undefined when PyTorch is missing. */
  torch(threads: number): Promise<TorchBaseline | undefined>;
  /** A fresh directory for the case's files, removed after the run. */
  readonly scratchDir: string;
  /** The TensorFlow.js backend this process runs on (wasm, or tensorflow with its thread count). */
  readonly backend: BackendInfo;
  /** Progress lines go to stderr, so `--json` stdout stays one object. */
  log(message: string): void;
}

export type Service = 'temporal';

export interface BenchCase {
  readonly name: string;
  readonly description: string;
  readonly requires?: readonly Service[];
  run(context: BenchContext): Promise<BenchResult[]>;
}
