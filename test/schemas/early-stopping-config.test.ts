/**
 * `strong.earlyStopping` in the run config: the students watch the
 * teacher's labels unless told otherwise, the ceiling always watches ground
 * truth, and a config without a validation split to watch, or a teacher
 * asking for it, is refused before any work with what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBadInputError } from '../../core/errors.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { studentTrainConfig } from '../../schemas/plan.js';
import { FASHION_MNIST } from '../harness/pipeline.js';

const base = {
  name: 'early',
  dataset: { source: FASHION_MNIST, splits: { weak: 0.3, transfer: 0.5, validation: 0.1 } },
  teacher: { model: 'linear', epochs: 1 },
  strong: { model: 'cnn', epochs: 10, earlyStopping: { patience: 2 } },
  students: [{ method: 'ceiling' }, { method: 'hard' }],
};

test('students watch the teacher by default; the ceiling watches ground truth', () => {
  const config = parseRunConfig('cfg.yaml', base, () => undefined);
  const [ceiling, hard] = config.students.map((s) => studentTrainConfig(config, s));
  assert.deepEqual(hard?.earlyStopping, { patience: 2, monitor: 'teacher' });
  assert.deepEqual(ceiling?.earlyStopping, { patience: 2, monitor: 'ground-truth' });
  const plain = parseRunConfig('cfg.yaml', { ...base, strong: { model: 'cnn', epochs: 10 } }, () => undefined);
  assert.equal(studentTrainConfig(plain, plain.students[1]!).earlyStopping, undefined, 'no early stopping unless asked for');
});

test('early stopping without a validation split, or on the teacher, is refused with what to do', () => {
  const refused = (config: unknown, pattern: RegExp) =>
    assert.throws(() => parseRunConfig('cfg.yaml', config, () => undefined), (error: unknown) => isBadInputError(error) && pattern.test(error.message), `refused with ${pattern}`);
  refused({ ...base, dataset: { source: FASHION_MNIST, splits: { weak: 0.3, transfer: 0.5, validation: 0 } } }, /strong\.earlyStopping.*set dataset\.splits\.validation/);
  refused({ ...base, teacher: { model: 'linear', epochs: 1, earlyStopping: { patience: 1 } } }, /teacher.*earlyStopping/);
  refused({ ...base, strong: { model: 'cnn', epochs: 10, earlyStopping: { patience: 0 } } }, /strong\.earlyStopping\.patience/);
});
