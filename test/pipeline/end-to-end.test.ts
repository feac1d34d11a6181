/**
 * The whole pipeline against real servers: a Temporal dev server, workers
 * for both queues, storage on fake-gcs-server (the GCS JSON API), real
 * Fashion-MNIST. Then the same run again: every cacheable stage is a hit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROGRESS_QUERY, type PipelineProgress, type PipelineResult } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { lineageOf, startRun, tinyConfig } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const run = promisify(execFile);

test('weak-to-strong end to end on GCS: results table, report, lineage, verify, then a fully cached rerun', async () => {
  const gcs = await FakeGcs.start({ buckets: ['w2s-e2e'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = 'gs://w2s-e2e/root';
    const config = tinyConfig(storage);
    const handle = await startRun(temporal.client, config, 'e2e-first');
    const result = (await handle.result()) as PipelineResult;

    assert.deepEqual(result.rows.map((r) => [r.name, r.role]), [['weak', 'weak'], ['ceiling', 'ceiling'], ['adaptconf', 'student']]);
    for (const row of result.rows) {
      assert.ok(row.accuracy > 0.3 && row.accuracy <= 1, `${row.name} accuracy ${row.accuracy} is not that of a trained model`);
      assert.equal(row.examples, 200);
      assert.ok(row.ece >= 0 && row.ece < 1);
      assert.ok(row.model.key.startsWith('objects/') || row.model.key.startsWith('runs/'), row.model.key);
    }
    assert.equal(result.rows[0]!.agreement, 1, 'the teacher agrees with itself');
    // PGR from the counts of correct test images (200 each): a ratio of whole numbers, compared within float rounding.
    const [weak, ceiling, student] = result.rows.map((r) => Math.round(r.accuracy * 200)) as [number, number, number];
    const pgr = result.rows[2]!.pgr;
    if (ceiling > weak) assert.ok(pgr !== null && Math.abs(pgr - (student - weak) / (ceiling - weak)) < 1e-9, `PGR ${pgr} from ${weak}, ${ceiling}, ${student} correct of 200`);
    else assert.equal(pgr, null, 'PGR only where there is a gap to recover');

    const store = openStore(storage);
    const markdown = new TextDecoder().decode(await store.get(result.report.markdown.key));
    for (const row of result.rows) assert.match(markdown, new RegExp(`\\| ${row.name} \\| ${row.role} \\|`));
    const progress = await handle.query<PipelineProgress>(PROGRESS_QUERY);
    assert.equal(progress.phase, 'done');

    const records = await lineageOf(storage, 'e2e-first');
    const stages = new Set(records.map((r) => r.stage));
    for (const stage of ['ingest', 'train-weak', 'label-transfer-00000', 'label-transfer-00001', 'label-test-00000', 'label-test-00001', 'train-ceiling', 'train-adaptconf', 'evaluate-weak', 'report']) {
      assert.ok(stages.has(stage), `no lineage for ${stage}: ${[...stages].join(', ')}`);
    }
    assert.ok(records.every((r) => r.status === 'completed' && !r.cached && r.backend?.name === 'wasm' && r.codeVersion.length > 0));
    // The tests name their backend, and lineage says that this, not the default order, chose it.
    assert.ok(records.every((r) => r.backend?.reason === 'W2S_BACKEND'), JSON.stringify(records.map((r) => r.backend)));

    const env = { ...process.env, ...gcs.env };
    const verified = await run(process.execPath, [CLI, 'verify', 'e2e-first', '--storage', storage], { env });
    const [, objects, ok] = /(\d+) objects, (\d+) ok, 0 mismatched, 0 missing/.exec(verified.stdout) ?? [];
    assert.ok(Number(objects) >= 17 && objects === ok, verified.stdout.split('\n')[0]);

    const again = (await (await startRun(temporal.client, config, 'e2e-again')).result()) as PipelineResult;
    assert.deepEqual(again.rows.map((r) => [r.name, r.accuracy, r.model.sha256]), result.rows.map((r) => [r.name, r.accuracy, r.model.sha256]));
    const rerun = await lineageOf(storage, 'e2e-again');
    const cacheable = rerun.filter((r) => ['train', 'label', 'evaluate'].includes(r.kind));
    assert.ok(cacheable.length >= 9);
    assert.ok(cacheable.every((r) => r.cached), `not cached: ${cacheable.filter((r) => !r.cached).map((r) => r.stage).join(', ')}`);
  } finally {
    await workers.shutdown();
    await temporal.stop();
    await gcs.dispose();
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
