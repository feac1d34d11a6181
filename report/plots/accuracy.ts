/**
 * Test accuracy per model with the weak teacher and the ceiling drawn as
 * lines across, and PGR per student beside it. With several runs of the
 * same models (a sweep over seeds) bars are means and error bars one
 * standard deviation.
 */
import type { ResultRow } from '../../schemas/stages.js';
import { ROLE_COLORS, type Plot } from './plot.js';

export interface AccuracyValue {
  readonly model: string;
  readonly role: ResultRow['role'];
  readonly accuracy: number;
  readonly pgr: number | null;
}

export function accuracyPlot(values: readonly AccuracyValue[], options: { readonly id?: string; readonly title?: string } = {}): Plot | undefined {
  if (values.length === 0) return undefined;
  const repeated = new Set(values.map((v) => v.model)).size < values.length;
  const models = [...new Set(values.map((v) => v.model))];
  const role = { field: 'role', type: 'nominal', title: 'role', scale: { domain: Object.keys(ROLE_COLORS), range: Object.values(ROLE_COLORS) } } as const;
  const x = { field: 'model', type: 'nominal', title: null, sort: models, axis: { labelAngle: -30 } } as const;
  const line = (which: 'weak' | 'ceiling', dash: number[]) => ({
    transform: [{ filter: `datum.role === '${which}'` }, { aggregate: [{ op: 'mean', field: 'accuracy', as: 'accuracy' }] }],
    mark: { type: 'rule', strokeDash: dash, strokeWidth: 1.5, color: ROLE_COLORS[which] },
    encoding: { y: { field: 'accuracy', type: 'quantitative' } },
  });
  const errorBars = (field: string) => (repeated ? [{ mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { x, y: { field, type: 'quantitative' } } }] : []);
  const withPgr = values.some((v) => v.pgr !== null);
  const accuracy = {
    width: Math.max(200, 60 * models.length),
    height: 240,
    layer: [
      { mark: 'bar', encoding: { x, y: { aggregate: 'mean', field: 'accuracy', type: 'quantitative', title: 'test accuracy', axis: { format: '%' }, stack: null }, color: role, tooltip: [{ field: 'model' }, { aggregate: 'mean', field: 'accuracy', format: '.2%', title: 'accuracy' }] } },
      ...errorBars('accuracy'),
      line('weak', [6, 3]),
      line('ceiling', [2, 2]),
    ],
  };
  const pgr = {
    width: Math.max(160, 60 * new Set(values.filter((v) => v.pgr !== null).map((v) => v.model)).size),
    height: 240,
    transform: [{ filter: 'datum.pgr != null' }],
    layer: [
      { mark: 'bar', encoding: { x, y: { aggregate: 'mean', field: 'pgr', type: 'quantitative', title: 'PGR', stack: null }, color: role, tooltip: [{ field: 'model' }, { aggregate: 'mean', field: 'pgr', format: '.3f', title: 'PGR' }] } },
      ...errorBars('pgr'),
      { mark: { type: 'rule', color: '#888' }, encoding: { y: { datum: 1 } } },
    ],
  };
  return {
    id: options.id ?? 'accuracy',
    title: options.title ?? 'Test accuracy and PGR',
    caption: `Dashed: the weak teacher; dotted: the ceiling (the strong model on ground truth). PGR = (student - weak) / (ceiling - weak); the grey line is PGR 1, the ceiling.${repeated ? ' Bars are means over runs, error bars one standard deviation.' : ''}`,
    spec: { data: { values: values.map((v) => ({ ...v })) }, hconcat: withPgr ? [accuracy, pgr] : [accuracy] } as Plot['spec'],
  };
}
