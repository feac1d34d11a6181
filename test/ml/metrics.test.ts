/**
 * Metrics on small cases whose answers can be checked by hand.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import {
  accuracy,
  agreement,
  confusionMatrix,
  expectedCalibrationError,
  performanceGapRecovered,
  topKAccuracy,
} from '../../ml/metrics/index.js';

before(async () => {
  await initBackend('cpu');
});

// argmax per row: 0, 1, 2, 0 (the tie in the last row goes to the lower index).
const logits = [
  [2, 1, 0],
  [0, 3, 1],
  [1, 0, 5],
  [4, 4, 0],
];
const labels = [0, 2, 2, 1];
// argmax per row: 1, 1, 0, 1.
const teacher = [
  [0, 1, 0],
  [0, 3, 1],
  [9, 0, 0],
  [0, 4, 0],
];

function expectBadInput(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isBadInputError(error), `expected a BadInputError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

test('accuracy, agreement and the confusion matrix on a hand-checked batch', () => {
  assert.equal(accuracy(logits, labels), 0.5);
  assert.equal(agreement(logits, teacher), 0.25);
  assert.deepEqual(confusionMatrix(logits, labels), [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 1],
  ]);
});

test('tensors, flat typed arrays and arrays of rows give the same answers', () => {
  const flat = { values: Float32Array.from(logits.flat()), numClasses: 3 };
  const tensor = tf.tensor2d(logits);
  const labelTensor = tf.tensor1d(labels, 'int32');
  for (const input of [flat, tensor]) {
    assert.equal(accuracy(input, labelTensor), 0.5);
    assert.equal(accuracy(input, Int16Array.from(labels)), 0.5);
    assert.equal(agreement(input, teacher), 0.25);
  }
});

test('top-k accuracy counts the label among the k largest logits, ties to the lower index', () => {
  const rows = [
    [7, 6, 5, 4, 3, 2, 1], // label 4 is 5th: hit
    [7, 6, 5, 4, 3, 2, 1], // label 5 is 6th: miss
    [1, 1, 1, 1, 1, 1, 1], // all tied: label 4 ranks 5th by index, hit; label 5 would miss
    [0, 0, 0, 0, 0, 0, 9], // label 6 is first: hit
  ];
  assert.equal(topKAccuracy(rows, [4, 5, 4, 6]), 0.75);
  assert.equal(topKAccuracy(rows, [4, 5, 5, 6]), 0.5);
  assert.equal(topKAccuracy(rows, [4, 5, 4, 6], 1), accuracy(rows, [4, 5, 4, 6]));
  expectBadInput(() => topKAccuracy(logits, labels), /^top-5 accuracy: needs more than 5 classes, got 3/);
});

test('expected calibration error with 15 bins on hand-computed confidences', () => {
  // Four examples at confidence 0.75 (softmax of [0, ln 3]), three right:
  // their bin is perfectly calibrated. Two at confidence 0.5, both wrong:
  // gap 0.5 over 2 of 6 examples. ECE = 1/6.
  const ln3 = Math.log(3);
  const rows = [[0, ln3], [0, ln3], [0, ln3], [0, ln3], [0, 0], [0, 0]];
  const ys = [1, 1, 1, 0, 1, 1];
  assert.ok(Math.abs(expectedCalibrationError(rows, ys) - 1 / 6) < 1e-7);
  // Perfectly confident and right: no calibration error.
  assert.equal(expectedCalibrationError([[1000, 0], [0, 1000]], [0, 1]), 0);
  // Confident and wrong: the whole confidence is error.
  assert.equal(expectedCalibrationError([[1000, 0]], [1]), 1);
  // One bin: |overall accuracy - mean confidence| = |3/6 - 4/6|.
  assert.ok(Math.abs(expectedCalibrationError(rows, ys, 1) - 1 / 6) < 1e-7);
});

test('PGR is the fraction of the weak-to-ceiling gap the student recovers; NaN when there is no gap', () => {
  assert.ok(Math.abs(performanceGapRecovered({ student: 0.8, weak: 0.6, ceiling: 0.9 }) - 2 / 3) < 1e-12);
  assert.equal(performanceGapRecovered({ student: 0.6, weak: 0.6, ceiling: 0.9 }), 0);
  assert.equal(performanceGapRecovered({ student: 0.9, weak: 0.6, ceiling: 0.9 }), 1);
  assert.ok(performanceGapRecovered({ student: 0.5, weak: 0.6, ceiling: 0.9 }) < 0, 'a student worse than its teacher has negative PGR');
  assert.ok(Number.isNaN(performanceGapRecovered({ student: 0.7, weak: 0.6, ceiling: 0.6 })));
  expectBadInput(() => performanceGapRecovered({ student: 80, weak: 0.6, ceiling: 0.9 }), /^PGR: student accuracy must be a number in \[0, 1\], got 80/);
  expectBadInput(() => performanceGapRecovered({ student: 0.8, weak: Number.NaN, ceiling: 0.9 }), /^PGR: weak accuracy must be a number in \[0, 1\], got NaN/);
});

test('bad inputs are named', () => {
  expectBadInput(() => accuracy(logits, [0, 1, 2, 7]), /^accuracy: label 3 is 7; expected a class index in \[0, 3\)/);
  expectBadInput(() => accuracy(logits, [0, 1, 2]), /^accuracy: labels hold 3 examples but logits hold 4/);
  expectBadInput(() => accuracy([[0, 1], [Number.NaN, 0]], [0, 1]), /^accuracy: logits row 1 holds NaN \(a diverged model\?\)/);
  expectBadInput(() => accuracy([[0, 1], [0]], [0, 1]), /^accuracy: logits row 1 has 1 classes, row 0 has 2/);
  expectBadInput(() => accuracy({ values: new Float32Array(7), numClasses: 3 }, [0, 1]), /^accuracy: logits hold 7 values, not a multiple of numClasses 3/);
  expectBadInput(() => agreement(logits, [[0, 1]]), /^agreement: teacher logits are \[1, 2\] but student logits are \[4, 3\]; they must match/);
  expectBadInput(() => accuracy([], []), /^accuracy: no examples given/);
  expectBadInput(() => expectedCalibrationError(logits, labels, 0), /^expected calibration error: bins must be a positive integer, got 0/);
});
