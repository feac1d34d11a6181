/**
 * Behaviour of the student losses beyond their values: the adaptconf weight
 * passes no gradient, huge logits stay finite, errors name what is wrong,
 * schedules and ground-truth mixing follow the config, and nothing leaks.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import {
  DIAGNOSTIC_PARTS,
  LOSS_REGISTRY,
  adaptConfLoss,
  adaptiveWeight,
  augConfAlpha,
  augConfLoss,
  groundTruthLoss,
  hardLoss,
  kdLoss,
  logConfCoef,
  logConfLoss,
  studentLoss,
} from '../../ml/losses/index.js';
import { distillationPerExample, selfCrossEntropy } from '../../ml/losses/terms.js';
import { LOSS_METHODS, lossParameters, LossConfigSchema, type LossConfig, type LossMethod } from '../../schemas/losses.js';
import { Rng } from '../../core/random.js';

before(async () => {
  await initBackend('cpu');
});

interface LossSettings {
  readonly temperature?: number;
  readonly theta?: number;
  readonly finalAlpha?: number;
  readonly rampFraction?: number;
  readonly auxCoef?: number;
  readonly warmup?: number;
  readonly gtWeight?: number;
}

/** The method's loss entry with those of `settings` it takes (the loops below give every method the same settings). */
function config(method: LossMethod, settings: LossSettings = {}): LossConfig {
  const takes = lossParameters(method);
  return LossConfigSchema.parse({ method, ...Object.fromEntries(Object.entries(settings).filter(([name]) => takes.includes(name))) });
}

function randomLogits(rng: Rng, batch: number, classes: number, scale: number): tf.Tensor2D {
  const values = Float32Array.from({ length: batch * classes }, () => scale * rng.normal());
  return tf.tensor2d(values, [batch, classes]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function scalar(t: tf.Tensor): number {
  return t.dataSync()[0]!;
}

test('the registry has an entry for every method of the config schema', () => {
  assert.deepEqual(Object.keys(LOSS_REGISTRY).sort(), [...LOSS_METHODS].sort());
  for (const method of LOSS_METHODS) assert.equal(LOSS_REGISTRY[method].needsTeacher, method !== 'ceiling');
});

test('the terms in parts add up to the total, and alpha is reported beside them', () => {
  const rng = Rng.keyed(1, 'parts');
  const student = randomLogits(rng, 8, 10, 2);
  const teacher = randomLogits(rng, 8, 10, 2);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  const expectedParts: Record<LossMethod, string[]> = {
    ceiling: ['gt'],
    hard: ['gt', 'hard'],
    kd: ['gt', 'kd'],
    augconf: ['align', 'alpha', 'gt', 'kd'],
    adaptconf: ['align', 'alpha', 'gt', 'kd'],
    logconf: ['align', 'alpha', 'gt', 'soft'],
  };
  for (const method of LOSS_METHODS) {
    const { total, parts } = studentLoss(config(method, { gtWeight: 0.7, theta: 0.5, finalAlpha: 0.5 }), { student, teacher, labels, progress: 0.5 });
    assert.deepEqual(Object.keys(parts).sort(), expectedParts[method], method);
    const sum = Object.entries(parts)
      .filter(([name]) => !DIAGNOSTIC_PARTS.includes(name))
      .reduce((acc, [, value]) => acc + scalar(value), 0);
    assert.ok(Math.abs(sum - scalar(total)) <= 1e-5 * Math.abs(sum), `${method}: parts sum ${sum}, total ${scalar(total)}`);
    if (method !== 'ceiling') {
      const gt = scalar(parts.gt!);
      assert.ok(Math.abs(gt - 0.7 * scalar(groundTruthLoss(student, labels))) < 1e-6, `${method}: gt part is gtWeight * CE(s, y)`);
    }
  }
});

test('adaptconf holds its weight constant in the backward pass', () => {
  const rng = Rng.keyed(2, 'stop-gradient');
  // Moderate logits and independent teacher: the weights sit well inside
  // (0, 1), where a weight that passed gradient would change the result.
  const student = randomLogits(rng, 12, 10, 1.5);
  const teacher = randomLogits(rng, 12, 10, 1.5);
  const theta = 0.5;
  const temperature = 2;
  const weighted = (s: tf.Tensor2D, alpha: tf.Tensor1D) =>
    tf.add(
      tf.mean(tf.mul(tf.sub(1, alpha), distillationPerExample(s, teacher, temperature))),
      tf.mean(tf.mul(alpha, selfCrossEntropy(s))),
    ) as tf.Scalar;

  const stopped = tf.grad((s: tf.Tensor) => adaptConfLoss(s as tf.Tensor2D, teacher, { theta, temperature }))(student);
  const frozenAlpha = tf.tensor1d(adaptiveWeight(student, teacher, theta).dataSync());
  const constant = tf.grad((s: tf.Tensor) => weighted(s as tf.Tensor2D, frozenAlpha))(student);
  const leaky = tf.grad((s: tf.Tensor) => weighted(s as tf.Tensor2D, adaptiveWeight(s as tf.Tensor2D, teacher, theta)))(student);

  const alphas = frozenAlpha.dataSync();
  assert.ok(alphas.some((a) => a > 0.05 && a < 0.95), 'test inputs put some weights strictly between 0 and 1');
  assert.ok(maxAbsDiff(stopped.dataSync(), constant.dataSync()) < 1e-6, 'gradient equals that with alpha as a constant');
  assert.ok(maxAbsDiff(stopped.dataSync(), leaky.dataSync()) > 1e-2, 'gradient differs from that with alpha differentiated');
});

test('every method gives finite losses and gradients for logits in the thousands, where naive formulas overflow', () => {
  const rng = Rng.keyed(3, 'huge');
  for (const scale of [1e3, 3e4]) {
    const student = randomLogits(rng, 6, 10, scale);
    const teacher = randomLogits(rng, 6, 10, scale);
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');

    // The regime is real: softmax-then-log gives -Infinity, and the
    // reference code's exp(CE(s, argmax t) / theta) overflows.
    assert.ok(tf.log(tf.softmax(student)).dataSync().some((v) => v === -Infinity));
    const naiveB = tf.exp(tf.div(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.argMax(teacher, 1), 10), student, undefined, 0, tf.Reduction.NONE), 0.5));
    assert.ok(naiveB.dataSync().some((v) => v === Infinity));

    for (const method of LOSS_METHODS) {
      for (const temperature of [1, 4]) {
        const cfg = config(method, { gtWeight: 1, theta: 0.5, finalAlpha: 0.5, temperature });
        const inputs = { teacher, labels, progress: 0.5 };
        const { value, grads } = tf.valueAndGrads((s: tf.Tensor) => studentLoss(cfg, { student: s as tf.Tensor2D, ...inputs }).total)([student]);
        assert.ok(Number.isFinite(scalar(value)), `${method} T=${temperature} scale ${scale}: loss ${scalar(value)}`);
        assert.ok(grads[0]!.dataSync().every(Number.isFinite), `${method} T=${temperature} scale ${scale}: gradient not finite`);
      }
    }
    const alpha = adaptiveWeight(student, teacher, 0.5).dataSync();
    assert.ok(alpha.every((a) => a >= 0 && a <= 1), 'adaptive weights stay in [0, 1]');
  }
});

test('the adaptive weight stays finite where exp(CE / theta) overflows to Infinity / Infinity', () => {
  const rng = Rng.keyed(7, 'small-theta');
  const student = randomLogits(rng, 6, 10, 1);
  const teacher = randomLogits(rng, 6, 10, 1);
  const theta = 0.005;
  const a = tf.exp(tf.div(selfCrossEntropy(student), theta));
  const b = tf.exp(tf.div(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.argMax(teacher, 1), 10), student, undefined, 0, tf.Reduction.NONE), theta));
  assert.ok(tf.div(a, tf.add(a, b)).dataSync().some(Number.isNaN), 'the naive quotient is NaN on these inputs');
  const alpha = adaptiveWeight(student, teacher, theta).dataSync();
  assert.ok(alpha.every((w) => w >= 0 && w <= 1));
  const { value, grads } = tf.valueAndGrads((s: tf.Tensor) => adaptConfLoss(s as tf.Tensor2D, teacher, { theta }))([student]);
  assert.ok(Number.isFinite(scalar(value)) && grads[0]!.dataSync().every(Number.isFinite));
});

test('tied maximal logits get the gradient of the exact cross-entropy', () => {
  const student = tf.tensor2d([
    [3, 3, 0, -1],
    [2, 2, 2, 2],
    [0, 5, 5, 1],
  ]);
  const teacher = tf.tensor2d([
    [0, 1, 0, 0],
    [0, 0, 0, 1],
    [1, 0, 0, 0],
  ]);
  const ours = tf.grad((s: tf.Tensor) => hardLoss(s as tf.Tensor2D, teacher))(student);
  const reference = tf.grad((s: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.argMax(teacher, 1), 4), s))(student);
  assert.ok(maxAbsDiff(ours.dataSync(), reference.dataSync()) < 1e-6);
});

test('augconf and logconf weights rise linearly over their warm-up, then stay', () => {
  const augconf = (progress: number, rate = 0.3) => augConfAlpha({ finalAlpha: 0.5, rampFraction: rate, progress });
  assert.equal(augconf(0), 0);
  assert.ok(Math.abs(augconf(0.15) - 0.25) < 1e-12);
  assert.equal(augconf(0.3), 0.5);
  assert.equal(augconf(0.9), 0.5);
  assert.equal(augconf(0, 0), 0.5, 'rampFraction 0: no warm-up');
  const logconf = (progress: number) => logConfCoef({ auxCoef: 0.5, warmup: 0.1, progress });
  assert.equal(logconf(0), 0);
  assert.ok(Math.abs(logconf(0.05) - 0.25) < 1e-12);
  assert.equal(logconf(0.5), 0.5);

  const rng = Rng.keyed(4, 'schedule');
  const student = randomLogits(rng, 4, 10, 2);
  const teacher = randomLogits(rng, 4, 10, 2);
  const at = (method: LossMethod, progress: number) =>
    scalar(studentLoss(config(method, { finalAlpha: 0.5, theta: 0.5, rampFraction: 0.3 }), { student, teacher, progress }).parts.alpha!);
  assert.ok(Math.abs(at('augconf', 0.15) - 0.25) < 1e-7);
  assert.ok(Math.abs(at('logconf', 0.05) - 0.25) < 1e-7);
  // At progress 0 augconf is plain distillation and logconf plain soft cross-entropy.
  assert.ok(Math.abs(scalar(augConfLoss(student, teacher, { finalAlpha: 0.5, progress: 0 })) - scalar(kdLoss(student, teacher))) < 1e-6);
  const soft = tf.mean(tf.neg(tf.sum(tf.mul(tf.softmax(teacher), tf.logSoftmax(student)), 1)));
  assert.ok(Math.abs(scalar(logConfLoss(student, teacher, { progress: 0 })) - scalar(soft)) < 1e-6);
});

test('ceiling is CE with the ground truth alone; extra inputs are ignored where the config does not use them', () => {
  const rng = Rng.keyed(5, 'ceiling');
  const student = randomLogits(rng, 5, 10, 2);
  const teacher = randomLogits(rng, 5, 10, 2);
  const labels = tf.tensor1d([9, 0, 3, 3, 1], 'int32');
  const ceiling = studentLoss(config('ceiling', { gtWeight: 3 }), { student, teacher, labels, progress: 0 });
  assert.equal(scalar(ceiling.total), scalar(groundTruthLoss(student, labels)));
  const withLabels = studentLoss(config('kd'), { student, teacher, labels, progress: 0 });
  const withoutLabels = studentLoss(config('kd'), { student, teacher, progress: 0 });
  assert.equal(scalar(withLabels.total), scalar(withoutLabels.total));
  assert.equal(withLabels.parts.gt, undefined);
});

test('errors name the method, the input and what is wrong', () => {
  const student = tf.zeros([4, 5]) as tf.Tensor2D;
  const teacher = tf.zeros([4, 5]) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 1, 2, 3], 'int32');
  const expectBadInput = (run: () => unknown, message: RegExp) =>
    assert.throws(run, (error: unknown) => {
      assert.ok(isBadInputError(error), `expected a BadInputError, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    });

  for (const method of ['hard', 'kd', 'augconf', 'adaptconf', 'logconf'] as const) {
    expectBadInput(
      () => studentLoss(config(method), { student, progress: 0 }),
      new RegExp(`^loss ${method}: needs teacher logits \\(inputs\\.teacher\\) but none were given`),
    );
  }
  expectBadInput(
    () => studentLoss(config('ceiling'), { student, teacher, progress: 0 }),
    /^loss ceiling: needs ground-truth labels \(inputs\.labels\) because it trains on ground truth alone, but none were given/,
  );
  expectBadInput(
    () => studentLoss(config('adaptconf', { gtWeight: 1 }), { student, teacher, progress: 0 }),
    /^loss adaptconf: needs ground-truth labels \(inputs\.labels\) because gtWeight is 1, but none were given/,
  );
  expectBadInput(
    () => studentLoss(config('kd'), { student, teacher: tf.zeros([4, 3]) as tf.Tensor2D, progress: 0 }),
    /^loss kd: teacher logits have shape \[4, 3\] but student logits have shape \[4, 5\]; they must match/,
  );
  expectBadInput(
    () => studentLoss(config('hard', { gtWeight: 1 }), { student, teacher, labels: tf.tensor1d([0, 1], 'int32'), progress: 0 }),
    /^loss hard: labels hold 2 examples but student logits hold 4/,
  );
  expectBadInput(
    () => studentLoss(config('kd'), { student: tf.zeros([20]) as unknown as tf.Tensor2D, teacher, progress: 0 }),
    /^loss kd: student logits must be \[batch, classes\], got shape \[20\]/,
  );
  expectBadInput(
    () => studentLoss(config('kd'), { student: tf.zeros([0, 5]) as tf.Tensor2D, teacher, progress: 0 }),
    /^loss kd: student logits must hold at least one example and one class, got shape \[0, 5\]/,
  );
  expectBadInput(
    () => studentLoss(config('augconf'), { student, teacher, labels, progress: 1.5 }),
    /^loss augconf: progress must be a number in \[0, 1\], got 1\.5/,
  );
  expectBadInput(
    () => studentLoss({ ...config('kd'), method: 'distill' } as unknown as LossConfig, { student, teacher, progress: 0 }),
    /^loss\.method: unknown method "distill"; expected one of ceiling, hard, kd, augconf, adaptconf, logconf/,
  );
  expectBadInput(() => augConfLoss(student, teacher, { finalAlpha: 2, progress: 0.5 }), /^loss augconf: finalAlpha must be a number in \[0, 1\], got 2/);
  expectBadInput(() => kdLoss(student, teacher, { temperature: 0 }), /^loss kd: temperature must be a positive number, got 0/);
  expectBadInput(() => adaptConfLoss(student, teacher, { theta: -1 }), /^loss adaptconf: theta must be a positive number, got -1/);
  expectBadInput(() => logConfLoss(student, teacher, { progress: 0.5, auxCoef: 1.2 }), /^loss logconf: auxCoef must be a number in \[0, 1\], got 1\.2/);
  expectBadInput(() => hardLoss(student, undefined as unknown as tf.Tensor2D), /^loss hard: needs teacher logits/);
});

test('no tensors outlive a training step', () => {
  const rng = Rng.keyed(6, 'leaks');
  const student = tf.variable(randomLogits(rng, 8, 10, 2));
  const teacher = randomLogits(rng, 8, 10, 2);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  for (const method of LOSS_METHODS) {
    const cfg = config(method, { gtWeight: 1, theta: 0.5, finalAlpha: 0.5 });
    const step = () => {
      const { value, grads } = tf.variableGrads(() => studentLoss(cfg, { student, teacher, labels, progress: 0.5 }).total);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before, `${method} leaks tensors`);
  }
});
