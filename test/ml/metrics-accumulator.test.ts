/**
 * The streaming accumulator against a direct computation over all the data
 * at once, on random data split into random batches and shards.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../ml/backend.js';
import { isBadInputError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import {
  MetricAccumulator,
  accuracy,
  agreement,
  confusionMatrix,
  expectedCalibrationError,
  topKAccuracy,
  type MetricState,
} from '../../ml/metrics/index.js';

before(async () => {
  await initBackend('cpu');
});

interface Dataset {
  rows: number[][];
  teacher: number[][];
  labels: number[];
}

/** Logits of varied confidence whose argmax is right about half the time. */
function dataset(rng: Rng, n: number, classes: number): Dataset {
  const rows: number[][] = [];
  const teacher: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.int(classes);
    const scale = 0.2 + 4 * rng.nextFloat();
    const row = Array.from({ length: classes }, () => Math.fround(scale * rng.normal()));
    if (rng.nextFloat() < 0.5) row[label] = Math.fround(row[label]! + 3);
    rows.push(row);
    teacher.push(row.map((v) => Math.fround(v + rng.normal())));
    labels.push(label);
  }
  return { rows, teacher, labels };
}

function argmax(row: number[]): number {
  return row.indexOf(Math.max(...row));
}

/** The textbook computations, written independently of ml/metrics. */
function direct({ rows, teacher, labels }: Dataset, classes: number, bins: number) {
  const n = rows.length;
  const predictions = rows.map(argmax);
  const topFive = rows.map((row) =>
    row
      .map((value, index) => ({ value, index }))
      .sort((a, b) => b.value - a.value || a.index - b.index)
      .slice(0, 5)
      .map((e) => e.index),
  );
  const confidences = rows.map((row) => {
    const exps = row.map(Math.exp);
    return Math.max(...exps) / exps.reduce((a, b) => a + b, 0);
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const lower = b / bins;
    const upper = (b + 1) / bins;
    const members = confidences.map((c, i) => ({ c, i })).filter(({ c }) => c > lower && c <= upper);
    if (members.length === 0) continue;
    const acc = members.filter(({ i }) => predictions[i] === labels[i]).length / members.length;
    const conf = members.reduce((s, { c }) => s + c, 0) / members.length;
    ece += (members.length / n) * Math.abs(acc - conf);
  }
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  labels.forEach((y, i) => confusion[y]![predictions[i]!]!++);
  return {
    accuracy: predictions.filter((p, i) => p === labels[i]).length / n,
    top5: topFive.filter((top, i) => top.includes(labels[i]!)).length / n,
    agreement: predictions.filter((p, i) => p === argmax(teacher[i]!)).length / n,
    ece,
    confusion,
  };
}

/** Consecutive batches of random sizes, some as tensors and some as flat arrays. */
function feed(acc: MetricAccumulator, data: Dataset, start: number, end: number, rng: Rng, withTeacher: boolean): void {
  const classes = data.rows[0]!.length;
  let i = start;
  while (i < end) {
    const size = Math.min(end - i, 1 + rng.int(40));
    const rows = data.rows.slice(i, i + size);
    const labels = data.labels.slice(i, i + size);
    const teacher = withTeacher ? data.teacher.slice(i, i + size) : undefined;
    if (rng.nextFloat() < 0.5) {
      const tensors = [tf.tensor2d(rows), tf.tensor1d(labels, 'int32'), ...(teacher ? [tf.tensor2d(teacher)] : [])] as const;
      acc.update(tensors[0], tensors[1], tensors[2] as tf.Tensor2D | undefined);
      tf.dispose([...tensors]);
    } else {
      const flat = { values: Float32Array.from(rows.flat()), numClasses: classes };
      acc.update(flat, Int32Array.from(labels), teacher ? { values: Float32Array.from(teacher.flat()), numClasses: classes } : undefined);
    }
    i += size;
  }
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12;

test('batch by batch, the accumulator matches the direct computation over all data', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rng = Rng.keyed(seed, 'metrics-property');
    const classes = 3 + rng.int(20);
    const n = 50 + rng.int(400);
    const data = dataset(rng, n, classes);
    const acc = new MetricAccumulator({ numClasses: classes });
    feed(acc, data, 0, n, rng, true);
    const got = acc.result();
    const want = direct(data, classes, 15);
    const where = `seed ${seed}, ${n} examples, ${classes} classes`;

    assert.equal(got.count, n, where);
    assert.ok(close(got.accuracy, want.accuracy), `${where}: accuracy ${got.accuracy} vs ${want.accuracy}`);
    assert.ok(close(got.agreement!, want.agreement), `${where}: agreement`);
    assert.ok(close(got.ece, want.ece), `${where}: ece ${got.ece} vs ${want.ece}`);
    assert.deepEqual(got.confusion, want.confusion, `${where}: confusion`);
    if (classes > 5) assert.ok(close(got.topK!.accuracy, want.top5), `${where}: top-5 ${got.topK!.accuracy} vs ${want.top5}`);
    else assert.equal(got.topK, undefined, `${where}: no top-5 with ${classes} classes`);
    assert.equal(got.reliability.reduce((s, b) => s + b.count, 0), n);

    // The one-shot functions agree with both.
    assert.ok(close(accuracy(data.rows, data.labels), want.accuracy));
    assert.ok(close(agreement(data.rows, data.teacher), want.agreement));
    assert.ok(close(expectedCalibrationError(data.rows, data.labels), want.ece));
    assert.deepEqual(confusionMatrix(data.rows, data.labels), want.confusion);
    if (classes > 5) assert.ok(close(topKAccuracy(data.rows, data.labels), want.top5));
  }
});

test('shards evaluated apart merge, and a saved state resumes, to the same result', () => {
  const rng = Rng.keyed(9, 'metrics-merge');
  const classes = 10;
  const n = 300;
  const data = dataset(rng, n, classes);
  const whole = new MetricAccumulator({ numClasses: classes });
  feed(whole, data, 0, n, rng, true);

  const cuts = [0, 70, 71, 200, n];
  const merged = new MetricAccumulator({ numClasses: classes });
  for (let s = 0; s + 1 < cuts.length; s++) {
    const shard = new MetricAccumulator({ numClasses: classes });
    feed(shard, data, cuts[s]!, cuts[s + 1]!, rng, true);
    merged.merge(shard);
  }

  const first = new MetricAccumulator({ numClasses: classes });
  feed(first, data, 0, 150, rng, true);
  const saved = JSON.parse(JSON.stringify(first.state())) as MetricState;
  const resumed = MetricAccumulator.fromState(saved);
  feed(resumed, data, 150, n, rng, true);

  const want = whole.result();
  for (const got of [merged.result(), resumed.result()]) {
    assert.equal(got.count, want.count);
    assert.equal(got.accuracy, want.accuracy);
    assert.equal(got.agreement, want.agreement);
    assert.deepEqual(got.topK, want.topK);
    assert.deepEqual(got.confusion, want.confusion);
    assert.ok(close(got.ece, want.ece));
  }
});

test('the accumulator refuses inputs that would make its result wrong', () => {
  const expectBadInput = (run: () => unknown, message: RegExp) =>
    assert.throws(run, (error: unknown) => isBadInputError(error) && message.test(error.message));
  const acc = new MetricAccumulator({ numClasses: 3 });
  expectBadInput(() => acc.result(), /^metric accumulator: no examples were added/);
  acc.update([[1, 0, 0]], [0], [[0, 1, 0]]);
  expectBadInput(() => acc.update([[1, 0, 0]], [0]), /teacher logits were given for earlier examples but not these/);
  expectBadInput(() => acc.update([[1, 0]], [0], [[1, 0]]), /^metric accumulator: logits have 2 classes, the accumulator 3/);
  expectBadInput(
    () => acc.merge(new MetricAccumulator({ numClasses: 3, calibrationBins: 10 })),
    /cannot merge accumulators with different options/,
  );
  const withoutTeacher = new MetricAccumulator({ numClasses: 3 }).update([[0, 0, 1]], [2]);
  expectBadInput(() => acc.merge(withoutTeacher), /teacher logits were given for earlier examples but not these/);
  expectBadInput(() => MetricAccumulator.fromState({ ...acc.state(), confusion: [1, 2] }), /confusion holds 2 entries, expected 9/);
  // The refused updates left the counts untouched.
  assert.equal(acc.result().count, 1);
  assert.equal(acc.result().agreement, 0);
});
