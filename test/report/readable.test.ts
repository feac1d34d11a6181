/**
 * What a reader of a run's report meets first: when it ran, how long, on
 * which code and how to run it again; the teacher's training named as such;
 * labeling shards folded into one row and one bar per split; and only the
 * configuration entries that apply to the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applicableConfig, flattenConfig } from '../../report/config-table.js';
import type { StageRow } from '../../report/content.js';
import { confusionPlot } from '../../report/plots/confusion.js';
import { timelinePlot } from '../../report/plots/timeline.js';
import { renderHtml, renderMarkdown } from '../../report/render.js';
import { foldLabelShards } from '../../report/stage-groups.js';
import { configTable, stagesTable, trainingTable } from '../../report/tables.js';
import { fixtureContent, STAGES } from './fixture.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function shard(split: string, index: number, start: number, overrides: Partial<StageRow> = {}): StageRow {
  const stage = `label-${split}-${String(index).padStart(5, '0')}`;
  return { stage, kind: 'label', status: 'completed', attempts: 1, cached: false, startedAt: at(start), endedAt: at(start + 1), durationMs: 400, worker: 'w1', backend: 'wasm/cpu', after: ['train-weak'], ...overrides };
}

test('the header says when the run ran, for how long, on which code, and how to run it again', async () => {
  const content = fixtureContent({ ran: { startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:03:05.000Z', codeVersions: ['0.1.0+abc123'] } });
  const markdown = renderMarkdown(content);
  assert.match(markdown, /^Ran 2026-01-01 00:00:00 UTC to 2026-01-01 00:03:05 UTC \(3 min 05 s, first stage start to last stage end\); code version 0\.1\.0\+abc123\.$/m);
  assert.match(markdown, /^Run it again, from the storage root: `w2s run --local --config runs\/r1\/report\/config\.json`/m);
  assert.match(await renderHtml(content), /<p>Ran 2026-01-01 00:00:00 UTC to 2026-01-01 00:03:05 UTC/);
});

test('the training summary names the teacher\'s training, not the ceiling\'s loss it shares', () => {
  const methods = trainingTable(fixtureContent()).rows.map((row) => [row[0], row[1]]);
  assert.deepEqual(methods, [
    ['weak', 'ground truth (teacher)'],
    ['ceiling', 'ceiling (ground truth)'],
    ['adaptconf', 'adaptconf'],
  ]);
});

test('labeling shards fold into one row and one bar per split; a shard that retried keeps its own', () => {
  const stages: StageRow[] = [
    ...STAGES,
    shard('transfer', 0, 10),
    shard('transfer', 1, 10),
    shard('transfer', 2, 12, { attempts: 2, status: 'completed' }),
    shard('test', 0, 11, { cached: true }),
    shard('test', 1, 11, { cached: true }),
    { ...STAGES[1]!, stage: 'train-adaptconf', after: ['label-transfer-00000', 'label-transfer-00001', 'label-transfer-00002', 'ingest'] },
  ];
  const folded = foldLabelShards(stages);
  assert.deepEqual(
    folded.map((s) => s.stage),
    ['ingest', 'train-weak', 'label-transfer (2 shards)', 'label-transfer-00002', 'label-test (2 shards)', 'train-adaptconf'],
  );
  const transfer = folded[2]!;
  assert.equal(transfer.durationMs, 1000, 'from the first shard\'s start to the last one\'s end');
  assert.equal(folded[4]!.status, 'cached');
  assert.deepEqual(folded.at(-1)!.after, ['label-transfer', 'label-transfer-00002', 'ingest']);
  assert.equal(stagesTable({ stages }).rows.length, 6);
  const bars = (timelinePlot(stages)!.spec as { data: { values: Array<{ stage: string }> } }).data.values.map((v) => v.stage);
  assert.deepEqual(bars, folded.map((s) => s.stage));
});

test('the configuration shows what applies to the run, not defaults of choices it did not make', () => {
  const config = {
    dataset: { format: 'idx', cifarLabels: 'fine', splits: { test: 0.2, weak: 0.5 } },
    teacher: { optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, schedule: { name: 'constant', minLrFraction: 0, warmupEpochs: 1 } },
    strong: { optimizer: { name: 'adam', lr: 0.001, momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, schedule: { name: 'cosine', minLrFraction: 0.1 } },
  };
  assert.deepEqual(
    applicableConfig(flattenConfig(config)).map((e) => e.key),
    [
      'dataset.format',
      'dataset.splits.weak',
      'strong.optimizer.beta1',
      'strong.optimizer.beta2',
      'strong.optimizer.epsilon',
      'strong.optimizer.lr',
      'strong.optimizer.name',
      'strong.schedule.minLrFraction',
      'strong.schedule.name',
      'teacher.optimizer.lr',
      'teacher.optimizer.momentum',
      'teacher.optimizer.name',
      'teacher.optimizer.nesterov',
      'teacher.schedule.name',
      'teacher.schedule.warmupEpochs',
    ],
  );
  assert.ok(configTable({ config: { dataset: { format: 'cifar', cifarLabels: 'coarse' } } }).rows.some(([key]) => key === 'dataset.cifarLabels'));
});

test('confusion matrices sit in an even grid: four models two by two, not three and one', () => {
  const content = fixtureContent();
  const evaluation = content.evaluations[0]!;
  const columns = (n: number) => (confusionPlot(Array.from({ length: n }, (_, i) => ({ ...evaluation, name: `m${i}` })), content.classNames)!.spec as { columns: number }).columns;
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(columns), [1, 2, 3, 2, 3, 3]);
});
