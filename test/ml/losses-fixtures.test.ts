/**
 * The student losses against PyTorch: values and gradients w.r.t. the
 * student logits on the inputs recorded in test/fixtures/losses/losses.json
 * (made by make_fixtures.py; PyTorch is not needed to run this test), on
 * every backend available here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { withBackendUnderTest } from './helpers/backends.js';
import { adaptConfLoss, augConfLoss, hardLoss, kdLoss, logConfLoss, groundTruthLoss, studentLoss } from '../../ml/losses/index.js';
import { lossParameters, LossConfigSchema, type LossConfig, type LossMethod } from '../../schemas/losses.js';

/** make_fixtures.py's settings, one flat set for every method: `threshold` is adaptconf's theta and augconf's final alpha, `rate` augconf's ramp. */
interface FixtureConfig {
  method: LossMethod;
  temperature: number;
  threshold: number;
  rate: number;
  auxCoef: number;
  warmup: number;
  gtWeight: number;
}

/** The fixture's settings as the method's own loss entry. */
function entryOf({ method, temperature, threshold, rate, auxCoef, warmup, gtWeight }: FixtureConfig): LossConfig {
  const named: Record<string, number> = { temperature, theta: threshold, finalAlpha: threshold, rampFraction: rate, auxCoef, warmup, gtWeight };
  return LossConfigSchema.parse({ method, ...Object.fromEntries(lossParameters(method).map((name) => [name, named[name]])) });
}

interface FixtureCase {
  name: string;
  config: FixtureConfig;
  progress: number;
  shape: [number, number];
  student: number[];
  teacher: number[] | null;
  labels: number[] | null;
  total: number;
  parts: Record<string, number>;
  grad: number[];
}

const fixtureUrl = new URL('../../../test/fixtures/losses/losses.json', import.meta.url);
const cases = (JSON.parse(readFileSync(fixtureUrl, 'utf8')) as { cases: FixtureCase[] }).cases;

const VALUE_RTOL = 1e-4;
const GRAD_RTOL = 1e-3;
const TOTAL_FLOOR = 1e-6;
/**
 * Each gradient entry is a difference of probabilities (times T, over the
 * batch size), which float32 resolves to about 1e-7: an entry whose exact
 * value is 4e-7 cannot be matched to 1e-3 of itself.
 */
const GRAD_ATOL = 1e-6;

/**
 * Relative error, with a floor for references near zero: a term whose exact
 * value is 1e-40 is 0 in float32, and the relevant scale is then the loss
 * it is part of (or, for a loss that is itself about 0, float32's
 * resolution of the log-probabilities it is made of).
 */
function relativeError(got: number, want: number, scale: number): number {
  return Math.abs(got - want) / Math.max(Math.abs(want), scale);
}

/** The loss through its own public function, for the cases it covers without ground truth. */
function publicLoss(c: FixtureCase, student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, labels: tf.Tensor1D | undefined): tf.Scalar {
  const { method, temperature, threshold, rate, auxCoef, warmup } = c.config;
  const t = teacher!;
  switch (method) {
    case 'ceiling':
      return groundTruthLoss(student, labels!);
    case 'hard':
      return hardLoss(student, t);
    case 'kd':
      return kdLoss(student, t, { temperature });
    case 'augconf':
      return augConfLoss(student, t, { finalAlpha: threshold, rampFraction: rate, progress: c.progress, temperature });
    case 'adaptconf':
      return adaptConfLoss(student, t, { theta: threshold, temperature });
    case 'logconf':
      return logConfLoss(student, t, { auxCoef, warmup, progress: c.progress });
  }
}

async function checkCase(c: FixtureCase): Promise<void> {
  const config = entryOf(c.config);
  const student = tf.tensor2d(c.student, c.shape);
  const teacher = c.teacher ? tf.tensor2d(c.teacher, c.shape) : undefined;
  const labels = c.labels ? tf.tensor1d(c.labels, 'int32') : undefined;
  const inputs = { teacher, labels, progress: c.progress };
  const before = tf.memory().numTensors;

  const result = studentLoss(config, { student, ...inputs });
  const grad = tf.grad((s: tf.Tensor) => studentLoss(config, { student: s as tf.Tensor2D, ...inputs }).total)(student);
  const total = (await result.total.data())[0]!;
  const gotGrad = await grad.data();
  assert.equal(Number.isFinite(total), true, `${c.name}: total ${total}`);
  assert.ok(relativeError(total, c.total, TOTAL_FLOOR) < VALUE_RTOL, `${c.name}: total ${total}, PyTorch ${c.total}`);

  assert.deepEqual(Object.keys(result.parts).sort(), Object.keys(c.parts).sort(), `${c.name}: part names`);
  for (const [name, want] of Object.entries(c.parts)) {
    const got = (await result.parts[name]!.data())[0]!;
    const scale = name === 'alpha' ? TOTAL_FLOOR : Math.max(TOTAL_FLOOR, 1e-6 * Math.abs(c.total));
    assert.ok(relativeError(got, want, scale) < VALUE_RTOL, `${c.name}: part ${name} ${got}, PyTorch ${want}`);
  }

  for (let i = 0; i < c.grad.length; i++) {
    const err = Math.abs(gotGrad[i]! - c.grad[i]!);
    assert.ok(err <= GRAD_RTOL * Math.abs(c.grad[i]!) + GRAD_ATOL, `${c.name}: d/ds[${i}] ${gotGrad[i]}, PyTorch ${c.grad[i]}`);
  }

  if (c.config.gtWeight === 0) {
    const direct = publicLoss(c, student, teacher, labels);
    const value = (await direct.data())[0]!;
    assert.ok(relativeError(value, c.total, TOTAL_FLOOR) < VALUE_RTOL, `${c.name}: public function ${value}, PyTorch ${c.total}`);
    direct.dispose();
  }

  tf.dispose([result.total, ...Object.values(result.parts), ...Object.values(result.perExample ?? {}), grad]);
  assert.equal(tf.memory().numTensors, before, `${c.name}: tensors leaked`);
  tf.dispose([student, teacher, labels].filter((t) => t !== undefined));
}

test('fixtures cover every method, shapes with 2, 10 and 100 classes, a batch of 1 and confident logits', () => {
  const methods = new Set(cases.map((c) => c.config.method));
  assert.deepEqual([...methods].sort(), ['adaptconf', 'augconf', 'ceiling', 'hard', 'kd', 'logconf']);
  const classes = new Set(cases.map((c) => c.shape[1]));
  for (const k of [2, 10, 100]) assert.ok(classes.has(k), `no case with ${k} classes`);
  assert.ok(cases.some((c) => c.shape[0] === 1));
  assert.ok(cases.some((c) => Math.max(...c.student.map(Math.abs)) > 1000));
});

for (const backend of withBackendUnderTest(['cpu', 'wasm'])) {
  test(`losses and gradients match PyTorch on the ${backend} backend`, async () => {
    await initBackend(backend);
    assert.equal(tf.getBackend(), backend);
    for (const c of cases) await checkCase(c);
  });
}
