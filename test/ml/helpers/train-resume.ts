/**
 * Trains on a synthetic set in its own process, so that a resumed run starts
 * from nothing but the checkpoint bytes. Spawned by the training tests:
 *
 *   node train-resume.js '<json RunSpec>'
 *
 * Writes <out>/initial.bin (the weights before any step), <out>/model.bin
 * (final weights), <out>/checkpoint.bin (the last checkpoint written) and
 * <out>/result.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../../ml/backend.js';
import { buildModel } from '../../../ml/models/registry.js';
import { serializeModel } from '../../../ml/models/serialize.js';
import { studentLoss } from '../../../ml/losses/index.js';
import type { TrainingTrace } from '../../../ml/train/trace.js';
import { train } from '../../../ml/train/train.js';
import type { TrainConfigInput } from '../../../schemas/training.js';
import { syntheticSource, type SyntheticOptions } from './synthetic.js';

export interface RunSpec {
  readonly backend: string;
  readonly config: TrainConfigInput;
  readonly data: SyntheticOptions;
  readonly stream: string;
  readonly out: string;
  /** Abort once this many steps are done (counted over the whole run). */
  readonly stopAtStep?: number;
  readonly resumeFrom?: string;
  /** Train with a loss that hides its per-example diagnostics, as if the trace read none. */
  readonly hidePerExample?: boolean;
}

export interface RunResult {
  readonly backend: string;
  readonly completed: boolean;
  readonly position: { step: number; epoch: number; batchInEpoch: number };
  /** Steps this process trained. */
  readonly stepsRun: number;
  /** Per-epoch metrics without wall-clock fields. */
  readonly history: readonly unknown[];
  readonly trace: TrainingTrace;
}

const spec = JSON.parse(process.argv[2] ?? '') as RunSpec;
const backend = await initBackend(spec.backend);
const controller = new AbortController();
let stepsRun = 0;
let lastCheckpoint: Uint8Array | undefined;
let initial: Uint8Array | undefined;
const result = await train({
  config: spec.config,
  source: syntheticSource(spec.data),
  stream: spec.stream,
  // The zoo's own model, serialised before any step (and before a resume overwrites it).
  createModel: (modelSpec) => {
    const model = buildModel(spec.config.model, modelSpec);
    initial = serializeModel(model);
    return model;
  },
  ...(spec.hidePerExample
    ? {
        loss: (config, inputs) => {
          const { perExample, ...rest } = studentLoss(config, inputs);
          for (const values of Object.values(perExample ?? {})) values.dispose();
          return rest;
        },
      }
    : {}),
  signal: controller.signal,
  ...(spec.resumeFrom ? { resumeFrom: new Uint8Array(await readFile(spec.resumeFrom)) } : {}),
  onProgress: ({ step }) => {
    stepsRun += 1;
    if (step === spec.stopAtStep) controller.abort();
  },
  onCheckpoint: (bytes) => {
    lastCheckpoint = bytes;
  },
});
await writeFile(join(spec.out, 'model.bin'), serializeModel(result.model));
if (initial) await writeFile(join(spec.out, 'initial.bin'), initial);
if (lastCheckpoint) await writeFile(join(spec.out, 'checkpoint.bin'), lastCheckpoint);
const summary: RunResult = {
  backend: backend.name,
  completed: result.completed,
  position: result.position,
  stepsRun,
  history: result.history.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest),
  trace: result.trace,
};
await writeFile(join(spec.out, 'result.json'), JSON.stringify(summary));
result.model.dispose();
