/**
 * Pretrained students through the pipeline, against a real Temporal dev
 * server and real Fashion-MNIST: a run whose strong students start from a
 * pretrained backbone completes; a second run (another seed) asking for the
 * same pretraining gets it from the cache and pretrains nothing; lineage
 * names the backbone and its hash; probe students train on the same
 * feature shards of the backbone; `w2s pretrain` prints the same backbone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import type { PipelineResult } from '../../schemas/stages.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const run = promisify(execFile);

test('students from a pretrained backbone: the run completes, a second run reuses the cached pretraining, lineage names the backbone', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = await localStorageRoot();
    const init = { pretrain: { epochs: 1, batchSize: 64 }, mode: 'probe' as const };
    const config = tinyConfig(storage, {
      strong: { model: 'cnn-small', epochs: 1, batchSize: 32, init },
      // One student fine-tunes the same backbone: both share the one pretraining.
      students: [{ method: 'ceiling' }, { method: 'adaptconf' }, { method: 'hard', name: 'hard-finetune', init: { ...init, mode: 'finetune' } }],
    });

    const first = (await (await startRun(temporal.client, config, 'pre-first')).result()) as PipelineResult;
    assert.deepEqual(first.rows.map((r) => r.name), ['weak', 'ceiling', 'adaptconf', 'hard-finetune']);
    for (const row of first.rows) assert.ok(row.accuracy > 0.3, `${row.name} accuracy ${row.accuracy} is not that of a trained model`);

    const records = await lineageOf(storage, 'pre-first');
    const pretrained = records.filter((r) => r.kind === 'pretrain');
    assert.deepEqual(pretrained.map((r) => [r.stage, r.status, r.cached]), [['pretrain', 'completed', false]], 'one pretraining serves every student');
    const backbone = pretrained[0]!.outputs.find((o) => o.role === 'backbone');
    assert.ok(backbone && /^[0-9a-f]{64}$/.test(backbone.sha256), 'lineage names the backbone and its sha256');
    for (const stage of ['train-ceiling', 'train-adaptconf', 'train-hard-finetune']) {
      const record = records.find((r) => r.stage === stage && r.status === 'completed');
      assert.deepEqual(record?.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256], `${stage} names the backbone it started from`);
    }
    // Probe students train their head on the backbone's features of the transfer split, computed once per backbone and data; the finetune student trains on images.
    const features = records.filter((r) => r.kind === 'features' && r.status === 'completed');
    assert.deepEqual(features.map((r) => r.stage).sort(), ['train-adaptconf-features', 'train-ceiling-features'], 'only the probe students read features');
    for (const record of features) assert.deepEqual(record.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256], `${record.stage} names the backbone`);
    const shardsOf = (r: (typeof records)[number]) => r.outputs.filter((o) => o.role === 'feature-shard').map((o) => o.sha256);
    assert.ok(shardsOf(features[0]!).length > 0);
    assert.deepEqual(shardsOf(features[0]!), shardsOf(features[1]!), 'both probe students read the same feature shards');
    const weak = records.find((r) => r.stage === 'train-weak');
    assert.ok(weak && !weak.inputs.some((i) => i.role === 'backbone'), 'the teacher starts from scratch');

    // Another seed: students and teacher train again, the pretraining is a cache hit.
    const second = (await (await startRun(temporal.client, { ...config, seed: 1 }, 'pre-second')).result()) as PipelineResult;
    assert.equal(second.rows.length, 4);
    const again = (await lineageOf(storage, 'pre-second')).filter((r) => r.kind === 'pretrain');
    assert.deepEqual(again.map((r) => [r.stage, r.status, r.cached]), [['pretrain', 'completed', true]], 'the second run pretrains nothing');
    assert.equal(again[0]!.outputs.find((o) => o.role === 'backbone')?.sha256, backbone.sha256);

    // `w2s pretrain` on the same config: the same backbone, from the cache, printed with its URI and hash.
    const file = join(storage, 'config.json');
    await writeFile(file, JSON.stringify(config));
    const printed = await run(process.execPath, [CLI, 'pretrain', '--config', file, '--id', 'pre-cli', '--address', temporal.address], { env: { ...process.env } });
    assert.match(printed.stdout, /pretrain: cnn-small backbone \(cached\)/);
    assert.match(printed.stdout, new RegExp(`sha256: ${backbone.sha256}`));
    const uri = /uri: +(\S+)/.exec(printed.stdout)?.[1];
    assert.ok(uri?.startsWith('file://'), printed.stdout);

    // A run that names the printed backbone by its URI trains from it, without pretraining.
    const named = (await (await startRun(temporal.client, { ...config, strong: { ...config.strong, init: { pretrained: uri, mode: 'probe' } }, students: [{ method: 'ceiling' }] }, 'pre-named')).result()) as PipelineResult;
    assert.equal(named.rows.length, 2);
    const namedRecords = await lineageOf(storage, 'pre-named');
    assert.equal(namedRecords.filter((r) => r.kind === 'pretrain').length, 0, 'nothing is pretrained');
    const ceiling = namedRecords.find((r) => r.stage === 'train-ceiling' && r.status === 'completed');
    assert.deepEqual(ceiling?.inputs.filter((i) => i.role === 'backbone').map((i) => i.sha256), [backbone.sha256], 'the student starts from the named backbone');

    // A backbone of another architecture is refused, naming both.
    const wrong = await startRun(temporal.client, { ...config, strong: { ...config.strong, model: 'cnn', init: { pretrained: uri, mode: 'probe' } }, students: [{ method: 'ceiling' }] }, 'pre-wrong');
    const error = await wrong.result().then(() => assert.fail('a cnn student trained from a cnn-small backbone'), (e: unknown) => e);
    assert.ok(error instanceof WorkflowFailedError, String(error));
    const cause = (error.cause as { cause?: { message: string; nonRetryable?: boolean } } | undefined)?.cause;
    assert.match(cause?.message ?? '', /is a cnn-small backbone; a cnn student can only start from a cnn backbone/);
    assert.equal(cause?.nonRetryable, true, 'a wrong backbone is not retried');
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
