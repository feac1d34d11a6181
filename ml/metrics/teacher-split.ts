/**
 * A model's predictions split by whether the teacher was right: on the
 * examples the teacher gets wrong, how often the model is right anyway
 * (it fixed the mistake) and how often it predicts what the teacher
 * predicted (it copied the mistake). This is weak-to-strong generalization
 * example by example.
 */
import { BadInputError } from '../../core/errors.js';
import { toLabels, toRows, type LabelsInput, type LogitsInput } from './inputs.js';
import { argmaxRow } from './rows.js';

export interface SplitCounts {
  readonly examples: number;
  /** The model predicts the true label. */
  readonly correct: number;
  /** The model predicts the teacher's class. */
  readonly agreeing: number;
}

export interface TeacherSplit {
  readonly right: SplitCounts;
  readonly wrong: SplitCounts;
}

const WHERE = 'teacher split';

export function teacherSplit(logits: LogitsInput, labels: LabelsInput, teacherLogits: LogitsInput): TeacherSplit {
  const m = toRows(WHERE, 'logits', logits);
  const t = toRows(WHERE, 'teacher logits', teacherLogits);
  if (t.rows !== m.rows || t.cols !== m.cols) throw new BadInputError(WHERE, `teacher logits are ${t.rows}x${t.cols}, the model's ${m.rows}x${m.cols}`);
  const y = toLabels(WHERE, labels, m.rows, m.cols);
  const right = { examples: 0, correct: 0, agreeing: 0 };
  const wrong = { examples: 0, correct: 0, agreeing: 0 };
  for (let r = 0; r < m.rows; r++) {
    const predicted = argmaxRow(m, r);
    const teacher = argmaxRow(t, r);
    const side = teacher === y[r] ? right : wrong;
    side.examples += 1;
    if (predicted === y[r]) side.correct += 1;
    if (predicted === teacher) side.agreeing += 1;
  }
  return { right, wrong };
}

/** Accuracy per true class from a [true][predicted] confusion matrix; null for a class with no examples. */
export function perClassAccuracy(confusion: readonly (readonly number[])[]): (number | null)[] {
  return confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? (row[c] ?? 0) / total : null;
  });
}
