/**
 * The weak-to-strong protocol (Burns et al. 2023; Guo et al. 2024), in one
 * process on arrays:
 *
 *   1. split the training images into W and S (seeded);
 *   2. train the weak teacher on W's ground truth;
 *   3. label S with the teacher's logits;
 *   4. train one strong student per method on S: `ceiling` on S's ground
 *      truth, the others on the teacher's logits (ground truth only where the
 *      loss asks for it through gtWeight);
 *   5. evaluate everything on the test split: accuracy, agreement with the
 *      teacher, and PGR = (student - weak) / (ceiling - weak).
 *
 * The pipeline runs the same steps as durable stages over shards; this is the
 * quick path for experiments, tests and the figures in RESULTS.md.
 */
import { BadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import type { ImageShape } from '../../schemas/manifest.js';
import { LossConfigSchema, type LossConfig, type LossConfigInput, type LossMethod, type TrainConfigInput } from '../../schemas/training.js';
import { ArraySource, type Normalization } from '../data/array-source.js';
import { accuracy, agreement, performanceGapRecovered } from '../metrics/index.js';
import type { Model } from '../models/model.js';
import type { EpochMetrics } from '../train/epoch-metrics.js';
import { predictLogits } from '../train/predict.js';
import { train, type StepProgress } from '../train/train.js';

export interface LabeledImages {
  /** NHWC uint8, `count * h * w * c` bytes. */
  readonly images: Uint8Array;
  readonly labels: ArrayLike<number>;
}

export interface WeakToStrongData {
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly normalization: Normalization;
  readonly train: LabeledImages;
  readonly test: LabeledImages;
}

export interface StudentSpec {
  /** Row name in the table; defaults to the method. */
  readonly name?: string;
  readonly loss: LossConfigInput;
}

export interface WeakToStrongConfig {
  readonly seed: number;
  /** Use a seeded subset of this many training images (all when absent). */
  readonly trainSize?: number;
  /** Use the first this many test images (all when absent). */
  readonly testSize?: number;
  /** Fraction of the (subset of the) training images in W; the rest is S. Default 0.5. */
  readonly weakFraction?: number;
  /** The weak teacher's training; its loss is always `ceiling` (ground truth of W). */
  readonly weak: Omit<TrainConfigInput, 'loss' | 'seed'>;
  /** The students' training, shared by every method. */
  readonly strong: Omit<TrainConfigInput, 'loss' | 'seed'>;
  readonly students: readonly StudentSpec[];
}

export interface ModelOutcome {
  readonly name: string;
  readonly model: string;
  readonly method: LossMethod;
  readonly loss: LossConfig;
  /** Test accuracy. */
  readonly accuracy: number;
  /** Test-set agreement of argmax predictions with the weak teacher (1 for the teacher itself). */
  readonly agreementWithTeacher: number;
  /** Performance gap recovered; absent for the teacher, the ceiling, or when no ceiling was trained. */
  readonly pgr?: number;
  readonly seconds: number;
  readonly history: readonly EpochMetrics[];
}

export interface WeakToStrongResult {
  readonly sizes: { readonly weak: number; readonly strong: number; readonly test: number };
  readonly weak: ModelOutcome;
  readonly students: readonly ModelOutcome[];
}

export interface WeakToStrongHooks {
  /** A stage starts: `weak`, `label`, or a student's name. */
  readonly onStage?: (stage: string) => void;
  readonly onProgress?: (stage: string, progress: StepProgress) => void;
  readonly onEpochEnd?: (stage: string, metrics: EpochMetrics) => void;
}

export async function runWeakToStrong(data: WeakToStrongData, config: WeakToStrongConfig, hooks: WeakToStrongHooks = {}): Promise<WeakToStrongResult> {
  const { shape, numClasses, normalization } = data;
  const trainAll = new ArraySource({ images: data.train.images, labels: data.train.labels, shape, numClasses, normalization }, 'training split');
  const testAll = new ArraySource({ images: data.test.images, labels: data.test.labels, shape, numClasses, normalization }, 'test split');

  const order = Rng.keyed(config.seed, 'weak-to-strong', 'split').permutation(trainAll.size);
  const used = order.subarray(0, Math.min(config.trainSize ?? trainAll.size, trainAll.size));
  const weakCount = Math.round(used.length * (config.weakFraction ?? 0.5));
  if (weakCount < 1 || weakCount >= used.length) {
    throw new BadInputError('weakFraction', `${config.weakFraction} of ${used.length} training images leaves W or S empty; both need at least one image`);
  }
  const weakSplit = trainAll.select(used.subarray(0, weakCount));
  const strongSplit = trainAll.select(used.subarray(weakCount));
  const test = config.testSize !== undefined && config.testSize < testAll.size ? testAll.select(Array.from({ length: config.testSize }, (_, i) => i)) : testAll;
  const testLabels = Int32Array.from({ length: test.size }, (_, i) => test.data.labels![i]!);

  hooks.onStage?.('weak');
  const weakLoss = LossConfigSchema.parse({ method: 'ceiling' });
  const weakRun = await trainOne('weak', { ...config.weak, loss: weakLoss, seed: config.seed }, weakSplit, hooks);
  let teacherTest: Float32Array;
  let teacherOnS: Float32Array;
  try {
    hooks.onStage?.('label');
    teacherOnS = (await predictLogits(weakRun.model, strongSplit)).logits;
    teacherTest = (await predictLogits(weakRun.model, test)).logits;
  } finally {
    weakRun.model.dispose();
  }
  const weakAccuracy = accuracy({ values: teacherTest, numClasses }, testLabels);
  const weak: ModelOutcome = {
    name: 'weak',
    model: weakRun.modelName,
    method: 'ceiling',
    loss: weakLoss,
    accuracy: weakAccuracy,
    agreementWithTeacher: 1,
    seconds: weakRun.seconds,
    history: weakRun.history,
  };

  const labelled = strongSplit.withTeacherLogits(teacherOnS);
  const students: ModelOutcome[] = [];
  for (const spec of config.students) {
    const loss = LossConfigSchema.parse(spec.loss);
    const name = spec.name ?? loss.method;
    // Pure weak-to-strong students never see S's ground truth unless the loss mixes it in.
    const usesLabels = loss.method === 'ceiling' || loss.gtWeight > 0;
    hooks.onStage?.(name);
    const run = await trainOne(`strong/${name}`, { ...config.strong, loss, seed: config.seed }, usesLabels ? labelled : labelled.withoutLabels(), hooks);
    try {
      const logits = (await predictLogits(run.model, test)).logits;
      students.push({
        name,
        model: run.modelName,
        method: loss.method,
        loss,
        accuracy: accuracy({ values: logits, numClasses }, testLabels),
        agreementWithTeacher: agreement({ values: logits, numClasses }, { values: teacherTest, numClasses }),
        seconds: run.seconds,
        history: run.history,
      });
    } finally {
      run.model.dispose();
    }
  }

  const ceiling = students.find((s) => s.method === 'ceiling');
  const withPgr = students.map((s) =>
    ceiling && s.method !== 'ceiling' ? { ...s, pgr: performanceGapRecovered({ student: s.accuracy, weak: weakAccuracy, ceiling: ceiling.accuracy }) } : s,
  );
  return { sizes: { weak: weakSplit.size, strong: strongSplit.size, test: test.size }, weak, students: withPgr };
}

async function trainOne(stage: string, config: TrainConfigInput, source: ArraySource, hooks: WeakToStrongHooks): Promise<{ model: Model; modelName: string; history: readonly EpochMetrics[]; seconds: number }> {
  const started = performance.now();
  const result = await train({
    config,
    source,
    stream: stage,
    onProgress: (p) => hooks.onProgress?.(stage, p),
    onEpochEnd: (m) => hooks.onEpochEnd?.(stage, m),
  });
  return { model: result.model, modelName: config.model, history: result.history, seconds: (performance.now() - started) / 1000 };
}

/** The result as a Markdown table: one row per model, accuracy in percent, PGR as a fraction. */
export function formatResultTable(result: WeakToStrongResult): string {
  const percent = (x: number) => (100 * x).toFixed(2);
  const rows = [result.weak, ...result.students].map((r) =>
    `| ${r.name} | ${r.model} | ${percent(r.accuracy)} | ${percent(r.agreementWithTeacher)} | ${r.pgr === undefined ? '' : Number.isNaN(r.pgr) ? 'n/a' : r.pgr.toFixed(3)} | ${r.seconds.toFixed(0)} |`,
  );
  return ['| model | architecture | test accuracy (%) | agreement with weak (%) | PGR | train time (s) |', '| --- | --- | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}
