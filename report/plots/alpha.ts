/**
 * The per-example confidence weight alpha of adaptconf and augconf: its
 * distribution in each epoch (share of the epoch's examples per alpha
 * bin), and its batch mean over the steps.
 */
import type { TrainedModel } from '../content.js';
import type { Plot } from './plot.js';

export function alphaPlot(trainings: readonly TrainedModel[]): Plot | undefined {
  const weighted = trainings.filter((t) => t.record.alpha);
  if (weighted.length === 0) return undefined;
  const cells = weighted.flatMap((t) => {
    const { bins, histograms } = t.record.alpha!;
    return histograms.flatMap((h) => {
      const total = h.counts.reduce((a, b) => a + b, 0);
      return h.counts.map((count, b) => ({ model: t.name, epoch: h.epoch + 1, from: b / bins, to: (b + 1) / bins, count, share: total > 0 ? count / total : 0 }));
    });
  });
  const means = weighted.flatMap((t) => t.record.curve.flatMap((p) => (p.loss.alpha !== undefined ? [{ model: t.name, step: p.step, alpha: p.loss.alpha }] : [])));
  return {
    id: 'alpha',
    title: 'Confidence weight alpha',
    caption:
      'Left: for each epoch, the share of training examples whose alpha fell in each bin (adaptconf weighs each example by how much more the student trusts itself than the teacher; augconf gives every example the same scheduled alpha). Right: the mean alpha over the steps.',
    spec: {
      hconcat: [
        {
          data: { values: cells },
          facet: { row: { field: 'model', type: 'nominal', title: null } },
          spec: {
            width: 300,
            height: { step: 22 },
            mark: { type: 'rect' },
            encoding: {
              x: { field: 'from', type: 'quantitative', title: 'alpha', scale: { domain: [0, 1] } },
              x2: { field: 'to' },
              y: { field: 'epoch', type: 'ordinal', title: 'epoch' },
              color: { field: 'share', type: 'quantitative', title: 'share of examples', scale: { scheme: 'blues' }, legend: { format: '%' } },
              tooltip: [{ field: 'model' }, { field: 'epoch' }, { field: 'from', title: 'alpha from', format: '.2f' }, { field: 'to', title: 'alpha to', format: '.2f' }, { field: 'count' }, { field: 'share', format: '.1%' }],
            },
          },
        },
        {
          data: { values: means },
          width: 300,
          height: 200,
          mark: 'line',
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
            y: { field: 'alpha', type: 'quantitative', title: 'mean alpha', scale: { domain: [0, 1] } },
            color: { field: 'model', type: 'nominal', title: 'model' },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}
