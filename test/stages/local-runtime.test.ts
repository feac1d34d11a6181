/**
 * A stage is a plain function: run with `localRuntime()` it writes its
 * outputs, its lineage record and its cache entry with no Temporal anywhere,
 * and its errors reach the caller as thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../core/errors.js';
import { readLineage } from '../../lineage/index.js';
import type { EvaluatedModel } from '../../schemas/stages.js';
import { importModel, localRuntime, writeReport } from '../../stages/index.js';
import { reportKey } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';

const model = { key: 'runs/r/m.bin', sha256: 'a'.repeat(64), bytes: 1 };
const evaluated = (name: string, role: EvaluatedModel['role'], method: EvaluatedModel['method'], accuracy: number): EvaluatedModel => ({
  name,
  role,
  method,
  model,
  metrics: { name, examples: 100, accuracy, agreement: 0.9, ece: 0.05 },
});

test('the report stage runs outside Temporal and records its lineage', async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-local-stage-'));
  try {
    const models = [evaluated('weak', 'weak', 'weak', 0.6), evaluated('ceiling', 'ceiling', 'ceiling', 0.9), evaluated('adaptconf', 'student', 'adaptconf', 0.81)];
    const out = await writeReport({ runId: 'local-1', storage: root, stage: 'report', runName: 'local', datasetId: 'd', models, config: {} }, localRuntime({ taskQueue: 'in-process' }));
    assert.equal(out.cached, false);
    assert.deepEqual(out.rows.map((r) => r.name), ['weak', 'ceiling', 'adaptconf']);
    const store = openStore(root);
    assert.equal(out.markdown.key, reportKey('local-1', 'markdown'));
    assert.match(new TextDecoder().decode(await store.get(reportKey('local-1', 'markdown'))), /\| adaptconf \| student \| 81\.00% \| 0\.700 \|/);
    const [record, ...others] = await readLineage(store, 'local-1');
    assert.equal(others.length, 0);
    assert.equal(record?.stage, 'report');
    assert.equal(record?.attempt, 1);
    assert.equal(record?.status, 'completed');
    assert.equal(record?.worker.taskQueue, 'in-process');
    assert.deepEqual(record?.outputs.map((o) => o.role), ['table', 'config', 'report', 'report']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("a stage's bad input reaches a plain caller as the BadInputError it is", async () => {
  const root = await mkdtemp(join(tmpdir(), 'w2s-local-stage-'));
  try {
    await assert.rejects(
      importModel({ runId: 'local-2', storage: root, stage: 'train-weak', uri: join(root, 'absent.bin') }, localRuntime()),
      (error: unknown) => isBadInputError(error) && /teacher\.checkpoint .*absent\.bin: cannot be read/.test(error.message),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
