/** Test accuracy per class, models side by side, with the dataset's class names. */
import type { EvaluatedDetails } from '../content.js';
import type { Plot } from './plot.js';

export function perClassPlot(evaluations: readonly EvaluatedDetails[], classNames: readonly string[]): Plot | undefined {
  const values = evaluations.flatMap((e) => e.details.perClassAccuracy.flatMap((accuracy, c) => (accuracy === null ? [] : [{ model: e.name, class: classNames[c] ?? String(c), accuracy }])));
  if (values.length === 0) return undefined;
  const models = evaluations.map((e) => e.name);
  return {
    id: 'per-class',
    title: 'Accuracy per class',
    caption: 'Test accuracy on the examples of each true class.',
    spec: {
      data: { values },
      width: { step: 14 },
      height: 220,
      mark: 'bar',
      encoding: {
        x: { field: 'class', type: 'nominal', sort: [...classNames], title: null, axis: { labelAngle: -30 } },
        xOffset: { field: 'model', type: 'nominal', sort: models },
        y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', axis: { format: '%' }, scale: { domain: [0, 1] } },
        color: { field: 'model', type: 'nominal', sort: models, title: 'model' },
        tooltip: [{ field: 'model' }, { field: 'class' }, { field: 'accuracy', format: '.2%' }],
      },
    },
  };
}
