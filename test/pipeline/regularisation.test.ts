/**
 * The students' regularisation through the product, on real Fashion-MNIST:
 * `w2s sweep --weight-decay` runs one child per weight decay with early
 * stopping on the validation split, each training record says which epoch
 * was kept and by what it was scored (the teacher's labels for students,
 * ground truth for the ceiling), and `w2s results` picks each student's
 * weight decay per criterion, by exactly the validation score the sweep
 * recorded, naming the criterion and what its pick gives on test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { trainStage } from '../../schemas/plan.js';
import { TRAINING_RECORD_ROLE, TrainingRecordSchema } from '../../schemas/report-data.js';
import type { SweepRow } from '../../workflows/sweep.js';
import { FASHION_MNIST, lineageOf, tinyConfig } from '../harness/pipeline.js';
import { cliServers } from '../harness/cli-servers.js';
import { CLI } from '../harness/temporal.js';

const exec = promisify(execFile);

const servers = cliServers();

const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args])).stdout;

let rows: readonly SweepRow[] = [];

test('w2s sweep --weight-decay: one child per value, early stopping on validation recorded in each training record', async () => {
  const config = tinyConfig(servers.storage, {
    dataset: { source: FASHION_MNIST, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150, splits: { weak: 0.25, transfer: 0.5, validation: 0.25 } },
    strong: { model: 'cnn-small', epochs: 3, batchSize: 32, earlyStopping: { patience: 1 } },
    students: [{ method: 'ceiling' }, { method: 'hard' }, { method: 'adaptconf' }],
  });
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-wd-')), 'config.json');
  await writeFile(file, JSON.stringify(config));
  rows = JSON.parse(await w2s('sweep', '--config', file, '--weight-decay', '0,3', '--parallelism', '1', '--id', 'wd', '--wait', '--json', '--address', servers.temporal.address)) as SweepRow[];
  assert.deepEqual([...new Set(rows.map((r) => `${r.runId} ${r.point.weightDecay}`))], ['wd-wd0 0', 'wd-wd3 3']);
  for (const row of rows.filter((r) => r.role !== 'weak')) {
    assert.equal(typeof row.validationAccuracy, 'number', `${row.runId} ${row.name} scored on validation`);
    assert.equal(typeof row.validationAgreement, 'number', `${row.runId} ${row.name} scored against the teacher's labels on validation`);
  }

  for (const runId of ['wd-wd0', 'wd-wd3']) {
    const recorded = JSON.parse(await readFile(join(servers.storage, 'runs', runId, 'report', 'config.json'), 'utf8')) as { strong: { optimizer: { weightDecay: number } } };
    assert.equal(recorded.strong.optimizer.weightDecay, runId === 'wd-wd0' ? 0 : 3);
    const lineage = await lineageOf(servers.storage, runId);
    for (const [student, monitor] of [['hard', 'teacher'], ['ceiling', 'ground-truth']] as const) {
      const stage = lineage.find((r) => r.stage === trainStage(student) && r.status === 'completed');
      const ref = stage?.outputs.find((o) => o.role === TRAINING_RECORD_ROLE);
      assert.ok(ref, `${runId} ${trainStage(student)} names its training record`);
      const record = TrainingRecordSchema.parse(JSON.parse(await readFile(join(servers.storage, ref.key), 'utf8')));
      const early = record.earlyStopping;
      assert.ok(early, `${runId} ${student}: early stopping recorded`);
      assert.equal(early.monitor, monitor);
      const scores = record.perEpoch.map((e) => e.validationScore!);
      assert.equal(scores.length, early.epochsTrained);
      assert.equal(early.score, Math.max(...scores));
      assert.equal(early.keptEpoch, scores.indexOf(early.score), 'the first best epoch is kept');
      assert.equal(early.stopped, early.epochsTrained < 3);
    }
  }
});

test('w2s results picks each student by the named criterion on validation and shows what each pick gives', async () => {
  assert.ok(rows.length > 0, 'the sweep ran');
  const out = await w2s('results', '--storage', servers.storage);
  assert.match(out, /each student at the setting its validation accuracy chose \(2 runs\)/);
  assert.match(out, /Selection on the validation split by each criterion/);
  for (const name of ['hard', 'adaptconf']) {
    const mine = rows.filter((r) => r.name === name);
    // The first (smallest) weight decay wins a tie, as the sweep orders its points.
    const best = (score: (r: SweepRow) => number) => mine.reduce((a, b) => (score(b) > score(a) ? b : a));
    for (const [criterion, pick] of [
      ['ground truth \\(validation accuracy\\)', best((r) => r.validationAccuracy!)],
      ["the teacher's labels \\(agreement with them on validation\\)", best((r) => r.validationAgreement!)],
    ] as const) {
      const line = new RegExp(`\\| ${name} \\| ${criterion} \\| 0: weightDecay ${pick.point.weightDecay} \\| ${(100 * pick.accuracy).toFixed(2)} \\|`);
      assert.match(out, line, `${name} under ${criterion}: ${out}`);
    }
  }
});
