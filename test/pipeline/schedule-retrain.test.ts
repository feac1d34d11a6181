/**
 * Scheduled retraining through the `w2s schedule` command: a trigger starts
 * `retrain`; with unchanged data every training, labeling and evaluation
 * stage is a cache hit; the promotion decision and its reason are recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PromotionDecision } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import type { RetrainResult } from '../../workflows/retrain.js';
import { lineageOf, localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
}

test('a schedule trigger runs retrain: cached stages, a recorded promotion decision', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args, '--address', temporal.address])).stdout;
  try {
    const storage = await localStorageRoot();
    const config = tinyConfig(storage, { promotion: { registry: 'fashion', student: 'adaptconf', split: 'test', minGain: 0 } });
    const file = join(await mkdtemp(join(tmpdir(), 'w2s-schedule-')), 'retrain.json');
    await writeFile(file, JSON.stringify(config));

    await w2s('schedule', 'create', 'nightly', '--config', file, '--every', '24h', '--paused');
    // Schedule listings come from the visibility store, which catches up shortly after a change.
    await until(async () => /^nightly \(paused\)/m.test(await w2s('schedule', 'list')), 'the schedule is listed');

    const retrainOnce = async (already: number): Promise<{ id: string; result: RetrainResult }> => {
      await w2s('schedule', 'trigger', 'nightly');
      let started: string[] = [];
      // The schedule starts the workflow asynchronously: follow its recorded actions until the new one appears.
      while (started.length <= already) {
        const described = JSON.parse(await w2s('schedule', 'describe', 'nightly', '--json')) as { recentActions: Array<{ workflowId?: string }> };
        started = described.recentActions.flatMap((a) => (a.workflowId ? [a.workflowId] : []));
      }
      const id = started[started.length - 1] as string;
      return { id, result: (await temporal.client.workflow.getHandle(id).result()) as RetrainResult };
    };

    const first = await retrainOnce(0);
    assert.ok(first.id.startsWith('nightly-retrain'), first.id);
    assert.equal(first.result.decision.promoted, true);
    assert.match(first.result.decision.reason, /no champion/);

    const second = await retrainOnce(1);
    assert.notEqual(second.id, first.id);
    const decision: PromotionDecision = second.result.decision;
    assert.equal(decision.promoted, false);
    assert.match(decision.reason, /champion's own model/);
    assert.equal(decision.champion?.runId, first.result.run.runId);
    assert.equal(decision.champion?.accuracy, decision.challenger.accuracy);

    const rerun = await lineageOf(storage, second.result.run.runId);
    const reusable = rerun.filter((r) => ['train', 'label', 'evaluate'].includes(r.kind));
    assert.ok(reusable.length >= 9);
    assert.deepEqual(reusable.filter((r) => !r.cached).map((r) => r.stage), [], 'unchanged stages come from the cache');
    const ingest = rerun.find((r) => r.stage === 'ingest');
    assert.equal(ingest?.cached, false, 'the source is re-read on every retrain');

    const store = openStore(storage);
    const pointer = JSON.parse(new TextDecoder().decode(await store.get('registry/fashion.json'))) as { runId: string };
    assert.equal(pointer.runId, first.result.run.runId, 'the champion is still the first run');
    const decisions = await store.list('registry/fashion/decisions/');
    assert.equal(decisions.length, 2);
    const recorded = JSON.parse(new TextDecoder().decode(await store.get(decisions.find((k) => k.includes(second.result.run.runId)) as string))) as PromotionDecision;
    assert.equal(recorded.reason, decision.reason);

    await w2s('schedule', 'delete', 'nightly');
    await until(async () => !/nightly/.test(await w2s('schedule', 'list')), 'the schedule is gone from the listing');
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
