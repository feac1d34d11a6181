/**
 * A shard corrupted after ingest: the stage that reads it fails at once
 * (non-retryably) naming the shard, and `w2s verify` names it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { CLI, TemporalHarness } from '../harness/temporal.js';
import { CPU_QUEUE, GPU_QUEUE } from '../../workers/worker.js';

const run = promisify(execFile);

test('a corrupted shard fails the next stage non-retryably, naming the shard; verify names it too', async () => {
  const temporal = await TemporalHarness.start();
  // Only CPU workers at first: ingest runs, and the weak teacher's training waits for a training worker.
  const cpu = await temporal.inProcessWorkers('cpu-only', [CPU_QUEUE]);
  let gpu: Awaited<ReturnType<TemporalHarness['inProcessWorkers']>> | undefined;
  try {
    const storage = await localStorageRoot();
    const handle = await startRun(temporal.client, tinyConfig(storage), 'corrupt');
    const progress = await waitForProgress(handle, (p) => p.stages.ingest === 'completed' && p.phase === 'train-weak');
    assert.equal(progress.stages['train-weak'], 'running');

    const ingest = (await lineageOf(storage, 'corrupt')).find((r) => r.stage === 'ingest');
    const shard = ingest?.outputs.find((o) => o.uri.includes('/weak/shard-00000.arrow'));
    assert.ok(shard, 'ingest wrote the first weak shard');
    const path = fileURLToPath(shard.uri);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await chmod(path, 0o644);
    await writeFile(path, bytes);

    gpu = await temporal.inProcessWorkers('gpu', [GPU_QUEUE]);
    const error = await handle.result().then(
      () => assert.fail('the run succeeded on a corrupted shard'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    const failure = (error.cause as { cause?: { message: string; type?: string; nonRetryable?: boolean } }).cause;
    assert.equal(failure?.type, 'BadInputError');
    assert.equal(failure?.nonRetryable, true);
    assert.ok(failure?.message.includes('weak/shard-00000.arrow'), failure?.message);

    const attempts = (await lineageOf(storage, 'corrupt')).filter((r) => r.stage === 'train-weak');
    assert.deepEqual(attempts.map((r) => [r.attempt, r.status, r.error?.type]), [[1, 'failed', 'BadInputError']], 'one attempt, not retried');

    const verified = await run(process.execPath, [CLI, 'verify', 'corrupt', '--storage', storage]).then(
      () => assert.fail('verify passed a corrupted run'),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(verified.code, 1);
    assert.match(verified.stdout + verified.stderr, /MISMATCH.*weak\/shard-00000\.arrow|weak\/shard-00000\.arrow.*MISMATCH/i);
  } finally {
    await gpu?.shutdown();
    await cpu.shutdown();
    await temporal.stop();
  }
});
