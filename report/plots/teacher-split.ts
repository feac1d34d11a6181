/**
 * Agreement with the weak teacher, split by whether the teacher was right:
 * where it was wrong, a student that generalises beyond its teacher fixes
 * the mistake instead of copying it.
 */
import type { EvaluatedDetails } from '../content.js';
import type { Plot } from './plot.js';

export const OUTCOMES = ['kept right', 'broke', 'fixed', 'copied the teacher', 'another mistake'] as const;
const COLORS = ['#9bbb59', '#f2b880', '#4e9a06', '#c0504d', '#aaaaaa'];

export interface SplitShare {
  readonly model: string;
  readonly side: 'teacher right' | 'teacher wrong';
  readonly outcome: (typeof OUTCOMES)[number];
  readonly count: number;
  readonly share: number;
}

/** The students' (and ceiling's) outcomes on the examples the teacher got right, and on those it got wrong. */
export function splitShares(evaluations: readonly EvaluatedDetails[]): SplitShare[] {
  return evaluations.flatMap((e) => {
    const t = e.details.teacher;
    if (!t || e.role === 'weak') return [];
    const share = (n: number, of: number) => (of > 0 ? n / of : 0);
    const right: SplitShare[] = [
      { model: e.name, side: 'teacher right', outcome: 'kept right', count: t.right.correct, share: share(t.right.correct, t.right.examples) },
      { model: e.name, side: 'teacher right', outcome: 'broke', count: t.right.examples - t.right.correct, share: share(t.right.examples - t.right.correct, t.right.examples) },
    ];
    const other = t.wrong.examples - t.wrong.correct - t.wrong.agreeing;
    const wrong: SplitShare[] = [
      { model: e.name, side: 'teacher wrong', outcome: 'fixed', count: t.wrong.correct, share: share(t.wrong.correct, t.wrong.examples) },
      { model: e.name, side: 'teacher wrong', outcome: 'copied the teacher', count: t.wrong.agreeing, share: share(t.wrong.agreeing, t.wrong.examples) },
      { model: e.name, side: 'teacher wrong', outcome: 'another mistake', count: other, share: share(other, t.wrong.examples) },
    ];
    return [...right, ...wrong];
  });
}

export function teacherSplitPlot(evaluations: readonly EvaluatedDetails[]): Plot | undefined {
  const values = splitShares(evaluations);
  if (values.length === 0) return undefined;
  const models = [...new Set(values.map((v) => v.model))];
  return {
    id: 'teacher-split',
    title: 'Agreement with the teacher, where it was right and where it was wrong',
    caption:
      'On the test examples the weak teacher classified correctly, the share each model kept right; on those it got wrong, the share each model fixed (true label), copied (the teacher\'s wrong label) or got wrong another way.',
    spec: {
      data: { values },
      facet: { column: { field: 'side', type: 'nominal', title: null, sort: ['teacher right', 'teacher wrong'] } },
      spec: {
        width: 300,
        height: { step: 26 },
        mark: 'bar',
        encoding: {
          y: { field: 'model', type: 'nominal', sort: models, title: null },
          x: { field: 'share', type: 'quantitative', stack: 'zero', title: 'share of the examples', axis: { format: '%' }, scale: { domain: [0, 1] } },
          color: { field: 'outcome', type: 'nominal', title: 'student', scale: { domain: [...OUTCOMES], range: COLORS } },
          tooltip: [{ field: 'model' }, { field: 'side' }, { field: 'outcome' }, { field: 'count' }, { field: 'share', format: '.1%' }],
        },
      },
    },
  };
}
