/** Confusion matrices, one per evaluated model, with the dataset's class names; cells coloured by the share of their true class. */
import type { EvaluatedDetails } from '../content.js';
import type { Plot } from './plot.js';

export function confusionPlot(evaluations: readonly EvaluatedDetails[], classNames: readonly string[]): Plot | undefined {
  if (evaluations.length === 0) return undefined;
  const values = evaluations.flatMap((e) =>
    e.details.confusion.flatMap((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((count, p) => ({ model: e.name, truth: classNames[t] ?? String(t), predicted: classNames[p] ?? String(p), count, share: total > 0 ? count / total : 0 }));
    }),
  );
  const order = [...classNames];
  const size = Math.max(14, Math.min(22, Math.floor(240 / Math.max(order.length, 1))));
  return {
    id: 'confusion',
    title: 'Confusion matrices',
    caption: 'Rows are the true class, columns the predicted one; the number is the count of test examples, the colour their share of the true class.',
    spec: {
      data: { values },
      facet: { field: 'model', type: 'nominal', title: null, sort: evaluations.map((e) => e.name) },
      // As even a grid as fits the page, three across at most: a fixed three put a fourth model alone on a second row.
      columns: Math.ceil(evaluations.length / Math.ceil(evaluations.length / 3)),
      spec: {
        width: { step: size },
        height: { step: size },
        encoding: {
          x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted' },
          y: { field: 'truth', type: 'nominal', sort: order, title: 'true class' },
        },
        layer: [
          {
            mark: 'rect',
            encoding: {
              color: { field: 'share', type: 'quantitative', scale: { scheme: 'greens', domain: [0, 1] }, title: 'share of true class', legend: { format: '%', titleLimit: 240 } },
              tooltip: [{ field: 'model' }, { field: 'truth', title: 'true' }, { field: 'predicted' }, { field: 'count' }, { field: 'share', format: '.1%' }],
            },
          },
          {
            transform: [{ filter: 'datum.count > 0' }],
            mark: { type: 'text', fontSize: Math.max(7, size / 2.4) },
            encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } },
          },
        ],
      },
    },
  };
}
