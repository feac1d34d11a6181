/**
 * The sweep's weight-decay axis: it expands with the others into one point
 * per combination, and a point's weight decay reaches the strong students'
 * optimizer (the ceiling's too) and nothing the teacher trains with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig } from '../../cli/config-file.js';
import { gridPoints, pointConfig } from '../../workflows/sweep.js';

test('the weight-decay axis expands with the seed axis, seeds innermost', () => {
  assert.deepEqual(gridPoints({ weightDecay: [1e-4, 0.1], seed: [0, 1], method: ['hard'] }), [
    { method: 'hard', weightDecay: 1e-4, seed: 0 },
    { method: 'hard', weightDecay: 1e-4, seed: 1 },
    { method: 'hard', weightDecay: 0.1, seed: 0 },
    { method: 'hard', weightDecay: 0.1, seed: 1 },
  ]);
});

test("a point's weight decay goes to the strong students' optimizer only", () => {
  const config = parseRunConfig('test', {
    name: 'grid',
    dataset: { source: '/data', splits: { weak: 0.3, transfer: 0.5, validation: 0.1 } },
    teacher: { model: 'linear', epochs: 1, optimizer: { name: 'sgd', weightDecay: 5e-4 } },
    strong: { model: 'cnn', epochs: 1, optimizer: { name: 'adam', lr: 1e-3, weightDecay: 5e-4 } },
    students: [{ method: 'ceiling' }, { method: 'adaptconf', theta: 0.5 }],
  });
  const child = pointConfig(config, { weightDecay: 0.1, seed: 2 });
  assert.deepEqual(child.strong.optimizer, { ...config.strong.optimizer, weightDecay: 0.1 });
  assert.deepEqual(child.teacher, config.teacher);
  assert.equal(child.seed, 2);
  assert.deepEqual(child.students.map((s) => [s.name ?? s.method, s.method]), [['ceiling', 'ceiling'], ['adaptconf', 'adaptconf']]);
  assert.deepEqual(pointConfig(config, { seed: 2 }).strong, config.strong, 'no weight-decay axis: the config keeps its own');
});

test("a point's patience turns on early stopping for the strong students, keeping the config's monitor", () => {
  const config = parseRunConfig('test', {
    name: 'grid',
    dataset: { source: '/data', splits: { weak: 0.3, transfer: 0.5, validation: 0.1 } },
    teacher: { model: 'linear', epochs: 1 },
    strong: { model: 'cnn', epochs: 10 },
    students: [{ method: 'ceiling' }, { method: 'hard' }],
  });
  assert.deepEqual(gridPoints({ patience: [1, 3], weightDecay: [0.1] }), [{ weightDecay: 0.1, patience: 1 }, { weightDecay: 0.1, patience: 3 }]);
  assert.deepEqual(pointConfig(config, { patience: 3 }).strong.earlyStopping, { monitor: 'teacher', patience: 3 });
  const onTruth = { ...config, strong: { ...config.strong, earlyStopping: { patience: 1, monitor: 'ground-truth' as const } } };
  assert.deepEqual(pointConfig(onTruth, { patience: 2 }).strong.earlyStopping, { monitor: 'ground-truth', patience: 2 });
});
