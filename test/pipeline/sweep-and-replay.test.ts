/**
 * A sweep over AdaptConf thresholds: one child pipeline per point, one table,
 * and the second child reuses every stage the two points share. Then the
 * recorded histories (this run's, and the committed ones in
 * test/fixtures/histories) replay against the current workflow code: any
 * nondeterminism fails here rather than in a user's running pipeline.
 * Set W2S_RECORD_HISTORIES=1 to refresh the committed histories after an
 * intended change to workflow code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import type { SweepRow } from '../../workflows/sweep.js';
import { workflowBundlePath } from '../../workers/bundle.js';
import { CPU_QUEUE } from '../../workers/worker.js';
import { lineageOf, localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const FIXTURES = join(dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url))))), 'test', 'fixtures', 'histories');

test('a sweep shares cached stages across points; its histories and the committed ones replay deterministically', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = await localStorageRoot();
    const handle = await temporal.client.workflow.start('sweep', {
      taskQueue: CPU_QUEUE,
      workflowId: 'thresholds',
      args: [{ config: tinyConfig(storage), grid: { threshold: [0.25, 2] }, parallelism: 1 }],
    });
    const rows = (await handle.result()) as SweepRow[];
    assert.deepEqual(
      rows.map((r) => [r.point.threshold, r.name, r.runId]),
      [
        [0.25, 'weak', 'thresholds-th0p25'],
        [0.25, 'ceiling', 'thresholds-th0p25'],
        [0.25, 'adaptconf', 'thresholds-th0p25'],
        [2, 'weak', 'thresholds-th2'],
        [2, 'ceiling', 'thresholds-th2'],
        [2, 'adaptconf', 'thresholds-th2'],
      ],
    );
    const second = await lineageOf(storage, 'thresholds-th2');
    const cached = (stage: string) => second.find((r) => r.stage === stage && r.status === 'completed')?.cached;
    assert.equal(cached('train-weak'), true, 'the teacher is shared');
    assert.equal(cached('label-transfer-00000'), true, 'soft labels are shared');
    assert.equal(cached('train-ceiling'), true, 'the ceiling is shared');
    assert.equal(cached('train-adaptconf'), false, 'a new threshold trains a new student');

    const histories = await Promise.all(['thresholds', 'thresholds-th0p25', 'thresholds-th2'].map(async (workflowId) => ({ workflowId, history: await temporal.client.workflow.getHandle(workflowId).fetchHistory() })));
    if (process.env.W2S_RECORD_HISTORIES) {
      await mkdir(FIXTURES, { recursive: true });
      for (const { workflowId, history } of histories) await writeFile(join(FIXTURES, `${workflowId}.json`), historyToJSON(history));
    }
    const committed = await Promise.all(
      (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).map(async (f) => ({ workflowId: f.replace(/\.json$/, ''), history: JSON.parse(await readFile(join(FIXTURES, f), 'utf8')) as unknown })),
    );
    assert.ok(committed.length >= 3, 'committed histories are present');

    const replayed: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: await workflowBundlePath() } }, [...histories, ...committed])) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed.push(result.workflowId);
    }
    assert.equal(replayed.length, histories.length + committed.length);
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
