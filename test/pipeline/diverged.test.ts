/**
 * A training that diverges (`strong.optimizer.lr: 1e308`) ends at once, not
 * retried, with words that say which student, at which step, and that the
 * learning rate or the loss settings are the likely cause; no checkpoint of
 * its non-finite weights is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { lineageOf, localStorageRoot, startRun, syntheticTinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

test('a diverging training fails once, naming the student, the step and the learning rate; no NaN checkpoint is kept', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = await localStorageRoot();
    const base = await syntheticTinyConfig(storage, { students: [{ method: 'adaptconf' }], execution: { checkpointEverySteps: 1 } });
    const config = { ...base, strong: { ...base.strong, optimizer: { ...base.strong.optimizer, lr: 1e308 } } };
    const handle = await startRun(temporal.client, config, 'diverged');
    const error = await handle.result().then(
      () => assert.fail('a training with lr 1e308 succeeded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    const failure = (error.cause as { cause?: { message: string; type?: string; nonRetryable?: boolean } }).cause;
    assert.equal(failure?.type, 'BadInputError');
    assert.equal(failure?.nonRetryable, true);
    assert.match(failure?.message ?? '', /^train-adaptconf: student adaptconf: /);
    assert.match(failure?.message ?? '', /(the loss \(\w+\) is (NaN|-?Infinity) at|weight \S+ holds a value that is not finite after) step \d+ of \d+/);
    assert.match(failure?.message ?? '', /the learning rate \(optimizer\.lr 1e\+308, [^)]*\) or the loss settings \(method adaptconf\) are the likely cause/);

    const attempts = (await lineageOf(storage, 'diverged')).filter((r) => r.stage === 'train-adaptconf');
    assert.deepEqual(attempts.map((r) => [r.attempt, r.status, r.error?.type]), [[1, 'failed', 'BadInputError']], 'one attempt, not retried');
    assert.doesNotMatch(attempts[0]?.error?.message ?? '', /ZodError|received NaN|not a w2s training checkpoint/);
    const written = await filesUnder(join(storage, 'runs', 'diverged', 'train-adaptconf'));
    assert.deepEqual(written.filter((f) => /ckpt-/.test(f)), [], `no checkpoint of the diverged weights: ${written.join(', ')}`);
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
