/** Training loss and train accuracy over optimizer steps, one line per model. */
import type { TrainedModel } from '../content.js';
import type { Plot } from './plot.js';

export function trainingCurvesPlot(trainings: readonly TrainedModel[]): Plot | undefined {
  const values = trainings.flatMap((t) =>
    t.record.curve.map((p) => ({ model: t.name, step: p.step, epoch: p.epoch, loss: p.loss.total ?? null, accuracy: p.trainAccuracy ?? null })),
  );
  if (values.length === 0) return undefined;
  const x = { field: 'step', type: 'quantitative', title: 'optimizer step' } as const;
  const color = { field: 'model', type: 'nominal', title: 'model' } as const;
  const tooltip = [{ field: 'model' }, { field: 'epoch' }, { field: 'step' }, { field: 'loss', format: '.4f' }, { field: 'accuracy', format: '.2%' }];
  return {
    id: 'training-curves',
    title: 'Training',
    caption: 'Mean loss and accuracy against the ground truth over the steps since the previous point, for the teacher and every student. Losses of different methods are on different scales.',
    spec: {
      data: { values },
      hconcat: [
        {
          width: 340,
          height: 220,
          transform: [{ filter: 'datum.loss != null' }],
          mark: { type: 'line', point: values.length <= 60 },
          encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } }, color, tooltip },
        },
        {
          width: 340,
          height: 220,
          transform: [{ filter: 'datum.accuracy != null' }],
          mark: { type: 'line', point: values.length <= 60 },
          encoding: { x, y: { field: 'accuracy', type: 'quantitative', title: 'train accuracy', axis: { format: '%' } }, color, tooltip },
        },
      ],
    },
  };
}
