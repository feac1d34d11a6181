/** A small, fixed report content: three classes, a teacher, a ceiling and two students, made by hand so every figure is known. */
import type { ReportContent, StageRow } from '../../report/content.js';
import { resultRows } from '../../report/rows.js';
import type { EvaluationDetails, TrainingRecord } from '../../schemas/report-data.js';
import type { EvaluatedModel } from '../../schemas/stages.js';

export const CLASSES = ['T-shirt/top', 'Trouser', 'Pull<over>'];
const model = { key: 'runs/r/m.bin', sha256: 'a'.repeat(64), bytes: 1 };

export function evaluated(name: string, role: EvaluatedModel['role'], method: EvaluatedModel['method'], accuracy: number): EvaluatedModel {
  return { name, role, method, model, metrics: { name, examples: 100, accuracy, agreement: 0.9, ece: 0.05 } };
}

function record(role: TrainingRecord['role'], method: string, alpha: boolean): TrainingRecord {
  const curve = [1, 2, 3, 4].map((step) => ({ step, epoch: step <= 2 ? 0 : 1, loss: { total: 2 / step, ...(alpha ? { alpha: 0.1 * step } : {}) }, trainAccuracy: 0.2 * step }));
  return {
    version: 1,
    role,
    method,
    steps: 4,
    epochs: 2,
    curve,
    perEpoch: [
      { epoch: 0, step: 2, loss: { total: 1.5 }, trainAccuracy: 0.3 },
      { epoch: 1, step: 4, loss: { total: 0.6, ...(alpha ? { alpha: 0.35 } : {}) }, trainAccuracy: 0.7 },
    ],
    ...(alpha ? { alpha: { bins: 4, histograms: [{ epoch: 0, counts: [5, 3, 0, 0] }, { epoch: 1, counts: [1, 2, 4, 1] }] } } : {}),
  };
}

function details(name: string, confusion: number[][], teacher?: EvaluationDetails['teacher']): EvaluationDetails {
  const perClassAccuracy = confusion.map((row, c) => (row.reduce((a, b) => a + b, 0) > 0 ? row[c]! / row.reduce((a, b) => a + b, 0) : null));
  return { version: 1, name, examples: 30, confusion, perClassAccuracy, ...(teacher ? { teacher } : {}) };
}

export const STAGES: StageRow[] = [
  { stage: 'ingest', kind: 'ingest', status: 'completed', attempts: 1, cached: true, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000, worker: 'w1', after: [] },
  { stage: 'train-weak', kind: 'train', status: 'completed', attempts: 2, cached: false, startedAt: '2026-01-01T00:00:01.000Z', endedAt: '2026-01-01T00:00:09.500Z', durationMs: 8500, worker: 'w2', backend: 'wasm/cpu', after: ['ingest'] },
];

export function fixtureContent(overrides: Partial<ReportContent> = {}): ReportContent {
  const rows = resultRows([evaluated('weak', 'weak', 'weak', 0.6), evaluated('ceiling', 'ceiling', 'ceiling', 0.9), evaluated('adaptconf', 'student', 'adaptconf', 0.81), evaluated('augconf', 'student', 'augconf', 0.75)]);
  return {
    runId: 'r1',
    runName: 'fixture',
    datasetId: 'd'.repeat(64),
    classNames: CLASSES,
    rows,
    trainings: [
      { name: 'weak', role: 'weak', record: record('teacher', 'ceiling', false) },
      { name: 'ceiling', role: 'ceiling', record: record('student', 'ceiling', false) },
      { name: 'adaptconf', role: 'student', record: record('student', 'adaptconf', true) },
    ],
    evaluations: [
      { name: 'weak', role: 'weak', details: details('weak', [[8, 2, 0], [1, 7, 2], [0, 3, 7]], { right: { examples: 22, correct: 22, agreeing: 22 }, wrong: { examples: 8, correct: 0, agreeing: 8 } }) },
      { name: 'adaptconf', role: 'student', details: details('adaptconf', [[9, 1, 0], [0, 9, 1], [0, 1, 9]], { right: { examples: 22, correct: 21, agreeing: 21 }, wrong: { examples: 8, correct: 6, agreeing: 1 } }) },
    ],
    stages: STAGES,
    config: { name: 'fixture', students: [{ method: 'adaptconf', theta: 0.5 }], dataset: { source: '/data', limit: { train: 600 } } },
    configHash: 'c'.repeat(64),
    ...overrides,
  };
}
