import { test } from 'node:test';
import assert from 'node:assert/strict';
import { teacherSplit } from '../../ml/metrics/index.js';
import { ALPHA_BINS, MAX_CURVE_POINTS, alphaBin, emptyTrace, traceEpochEnd, traceStep } from '../../ml/train/trace.js';

test('a long training keeps at most MAX_CURVE_POINTS curve points, the last at its last step', () => {
  const trace = emptyTrace();
  const totalSteps = 10_007;
  for (let step = 1; step <= totalSteps; step++) {
    traceStep(trace, { step, epoch: Math.floor((step - 1) / 1000), totalSteps, loss: { total: 1 / step }, predictions: [0, 1], labels: [0, 0] });
  }
  assert.ok(trace.curve.length <= MAX_CURVE_POINTS + 1, `${trace.curve.length} points`);
  assert.ok(trace.curve.length >= MAX_CURVE_POINTS / 2);
  assert.equal(trace.curve.at(-1)?.step, totalSteps);
  assert.equal(trace.curve[0]?.trainAccuracy, 0.5, 'accuracy over the window\'s labelled examples');
});

test('alpha histograms: per-example values binned, a batch-wide alpha counted once per example, one histogram per epoch', () => {
  const trace = emptyTrace();
  traceStep(trace, { step: 1, epoch: 0, totalSteps: 2, loss: { total: 1, alpha: 0.3 }, predictions: [0, 0, 0], alpha: [0, 0.49, 1] });
  traceEpochEnd(trace, 0);
  traceStep(trace, { step: 2, epoch: 1, totalSteps: 2, loss: { total: 1, alpha: 0.25 }, predictions: [0, 0, 0] });
  traceEpochEnd(trace, 1);
  assert.equal(trace.alpha.length, 2);
  const first = trace.alpha[0]!.counts;
  assert.equal(first.length, ALPHA_BINS);
  assert.equal(first[0], 1);
  assert.equal(first[alphaBin(0.49)], 1);
  assert.equal(first[ALPHA_BINS - 1], 1, 'alpha 1 falls in the last bin');
  assert.equal(trace.alpha[1]!.counts[alphaBin(0.25)], 3);
});

test('no alpha, no histograms', () => {
  const trace = emptyTrace();
  traceStep(trace, { step: 1, epoch: 0, totalSteps: 1, loss: { total: 1 }, predictions: [0] });
  traceEpochEnd(trace, 0);
  assert.deepEqual(trace.alpha, []);
});

test('teacher split: where the teacher is wrong, fixed and copied mistakes are counted apart', () => {
  // Labels 0,1,2,0; teacher predicts 0,2,2,1 (right, wrong, right, wrong); student predicts 0,1,0,1.
  const onehot = (cls: number[]) => cls.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
  const split = teacherSplit(onehot([0, 1, 0, 1]), [0, 1, 2, 0], onehot([0, 2, 2, 1]));
  assert.deepEqual(split, { right: { examples: 2, correct: 1, agreeing: 1 }, wrong: { examples: 2, correct: 1, agreeing: 1 } });
});
