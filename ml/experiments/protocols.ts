/**
 * Ready-made weak-to-strong experiments. The loss hyper-parameters follow the
 * reference code where it has them (adaptconf theta 0.5 for CIFAR-sized
 * problems) and the usual choices otherwise; all of them are in the returned
 * config, so a report shows exactly what ran.
 */
import type { StudentSpec, WeakToStrongConfig } from './weak-to-strong.js';

/** One student per method: the ceiling and the five ways of learning from the weak teacher. */
export const ALL_STUDENTS: readonly StudentSpec[] = [
  { loss: { method: 'ceiling' } },
  { loss: { method: 'hard' } },
  { loss: { method: 'kd', temperature: 1 } },
  { loss: { method: 'augconf', finalAlpha: 0.5, rampFraction: 0.3 } },
  { loss: { method: 'adaptconf', theta: 0.5, temperature: 1 } },
  { loss: { method: 'logconf', auxCoef: 0.5, warmup: 0.2 } },
];

export interface FashionMnistOptions {
  readonly seed: number;
  /** Training images used (a seeded subset); all 60k when absent. */
  readonly trainSize?: number;
  /** The share of those images in W (the teacher's ground truth); the rest is S. Default 0.5. */
  readonly weakFraction?: number;
  readonly testSize?: number;
  readonly weakEpochs: number;
  readonly strongEpochs: number;
  /** The students' batch size; default 64. */
  readonly batchSize?: number;
  /** The teacher's batch size; default 64. */
  readonly weakBatchSize?: number;
  /** Which students to train, by method name; all six when absent. */
  readonly methods?: readonly string[];
}

/** Weak `linear` (softmax regression, SGD) teaching strong `cnn` students (Adam, cosine). */
export function fashionMnistProtocol(options: FashionMnistOptions): WeakToStrongConfig {
  const batchSize = options.batchSize ?? 64;
  const students = options.methods ? ALL_STUDENTS.filter((s) => options.methods!.includes(s.loss.method)) : ALL_STUDENTS;
  const unknown = options.methods?.filter((m) => !ALL_STUDENTS.some((s) => s.loss.method === m)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown method(s) ${unknown.join(', ')}; known: ${ALL_STUDENTS.map((s) => s.loss.method).join(', ')}`);
  return {
    seed: options.seed,
    ...(options.trainSize !== undefined ? { trainSize: options.trainSize } : {}),
    ...(options.testSize !== undefined ? { testSize: options.testSize } : {}),
    weakFraction: options.weakFraction ?? 0.5,
    weak: { model: 'linear', epochs: options.weakEpochs, batchSize: options.weakBatchSize ?? 64, optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 5e-4 } },
    strong: { model: 'cnn', epochs: options.strongEpochs, batchSize, optimizer: { name: 'adam', lr: 1e-3, weightDecay: 5e-4 }, schedule: { name: 'cosine' } },
    students,
  };
}
