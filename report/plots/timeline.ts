/** The run's stages on a time line: when each one's latest attempt ran, and whether the stage cache answered it. */
import type { StageRow } from '../content.js';
import { foldLabelShards } from '../stage-groups.js';
import type { Plot } from './plot.js';

const STATUS = ['completed', 'cached', 'failed'];
const COLORS = ['#4f81bd', '#9bbb59', '#c0504d'];

export function timelinePlot(all: readonly StageRow[]): Plot | undefined {
  if (all.length === 0) return undefined;
  const stages = foldLabelShards(all);
  const origin = Math.min(...stages.map((s) => Date.parse(s.startedAt)));
  const values = stages.map((s) => ({
    stage: s.stage,
    from: (Date.parse(s.startedAt) - origin) / 1000,
    to: Math.max((Date.parse(s.endedAt) - origin) / 1000, (Date.parse(s.startedAt) - origin) / 1000 + 0.05),
    status: s.cached ? 'cached' : s.status,
    seconds: s.durationMs / 1000,
    attempts: s.attempts,
    worker: s.worker,
  }));
  return {
    id: 'timeline',
    title: 'Stages over time',
    caption: 'Each stage\'s latest attempt, from its start to its end, in seconds since the first stage started; the labeling shards of a split are one bar.',
    spec: {
      data: { values },
      width: 640,
      height: { step: 14 },
      mark: 'bar',
      encoding: {
        y: { field: 'stage', type: 'nominal', sort: values.map((v) => v.stage), title: null },
        x: { field: 'from', type: 'quantitative', title: 'seconds since the run started' },
        x2: { field: 'to' },
        color: { field: 'status', type: 'nominal', title: 'outcome', scale: { domain: STATUS, range: COLORS } },
        tooltip: [{ field: 'stage' }, { field: 'status' }, { field: 'seconds', format: '.1f' }, { field: 'attempts' }, { field: 'worker' }],
      },
    },
  };
}
