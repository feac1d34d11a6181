/**
 * How a sweep chooses hyperparameters: on the validation split, per seed and
 * student, never on the test split; and a threshold or temperature reaches
 * only the students whose loss reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunConfig } from '../../cli/config-file.js';
import type { SweepRow } from '../../workflows/sweep.js';
import { pointConfig, selectOnValidation } from '../../workflows/sweep.js';

const model = { key: 'runs/r/m.bin', sha256: '0'.repeat(64), bytes: 1 };

function row(name: string, threshold: number, seed: number, test: number, validation: number | null | undefined): SweepRow {
  return {
    name,
    role: name === 'weak' ? 'weak' : 'student',
    method: name === 'weak' ? 'weak' : 'adaptconf',
    examples: 100,
    accuracy: test,
    agreement: 0.9,
    ece: 0.01,
    pgr: null,
    model,
    point: { theta: threshold, seed },
    runId: `s-theta${threshold}-s${seed}`,
    ...(validation !== undefined ? { validationAccuracy: validation } : {}),
  };
}

test('the point with the best validation accuracy is selected for each seed, whatever the test accuracy says', () => {
  const rows = selectOnValidation([
    row('weak', 0.25, 0, 0.7, null),
    row('adaptconf', 0.25, 0, 0.9, 0.80), // best on test, not on validation
    row('adaptconf', 1, 0, 0.8, 0.85),
    row('adaptconf', 0.25, 1, 0.8, 0.86),
    row('adaptconf', 1, 1, 0.9, 0.84),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.name, r.point.theta, r.point.seed, r.selected]),
    [
      ['weak', 0.25, 0, undefined],
      ['adaptconf', 0.25, 0, false],
      ['adaptconf', 1, 0, true],
      ['adaptconf', 0.25, 1, true],
      ['adaptconf', 1, 1, false],
    ],
  );
});

test('without a validation split nothing is selected', () => {
  const rows = selectOnValidation([row('adaptconf', 0.25, 0, 0.9, undefined), row('adaptconf', 1, 0, 0.8, undefined)]);
  assert.ok(rows.every((r) => r.selected === undefined));
});

test('theta reaches AdaptConf only, finalAlpha AugConf only, a temperature the distilling students only', () => {
  const config = parseRunConfig('test', {
    name: 'grid',
    dataset: { source: '/data' },
    teacher: { model: 'linear', epochs: 1 },
    strong: { model: 'cnn', epochs: 1 },
    students: [{ method: 'ceiling' }, { method: 'hard' }, { method: 'kd' }, { method: 'augconf', finalAlpha: 0.5 }, { method: 'adaptconf', theta: 0.5 }, { method: 'logconf' }],
  });
  const point = pointConfig(config, { theta: 0.25, finalAlpha: 0.75, temperature: 2, seed: 3 });
  assert.equal(point.seed, 3);
  assert.deepEqual(
    point.students.map((s) => [s.name, 'theta' in s ? s.theta : 'finalAlpha' in s ? s.finalAlpha : undefined, 'temperature' in s ? s.temperature : undefined]),
    [
      [undefined, undefined, undefined],
      ['hard', undefined, undefined],
      ['kd', undefined, 2],
      ['augconf', 0.75, 2],
      ['adaptconf', 0.25, 2],
      ['logconf', undefined, undefined],
    ],
  );
});
