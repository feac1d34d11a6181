/**
 * A write the machine refuses (a full disk: `/dev/full` answers every write
 * with ENOSPC, as a full file system does) is retried a couple of times,
 * for space freed meanwhile, then fails for good naming the cause, instead
 * of being retried without end (training stages retry lost workers without
 * an attempt limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { activityRuntime, RESOURCE_ATTEMPTS } from '../../activities/runtime.js';
import { createStageDeps } from '../../stages/deps.js';

/** An activity whose write fails as on a full disk, failing the way every stage does (through its runtime). */
async function writeToFullDisk(): Promise<void> {
  const runtime = activityRuntime(createStageDeps());
  try {
    await writeFile('/dev/full', 'checkpoint bytes');
  } catch (error) {
    throw runtime.failure(new Error('storing runs/x/train-weak/ckpt-00000004.bin', { cause: error }));
  }
}

test('a full disk is retried for a few attempts, then fails non-retryably naming the cause and the fix', async () => {
  for (let attempt = 1; attempt < RESOURCE_ATTEMPTS; attempt++) {
    await assert.rejects(new MockActivityEnvironment({ attempt }).run(writeToFullDisk), (error: unknown) => {
      assert.ok(!(error instanceof ApplicationFailure && error.nonRetryable), `attempt ${attempt} may still be retried`);
      return true;
    });
  }
  await assert.rejects(new MockActivityEnvironment({ attempt: RESOURCE_ATTEMPTS }).run(writeToFullDisk), (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.nonRetryable, true);
    assert.equal(error.type, 'StorageExhaustedError');
    assert.match(error.message, new RegExp(`^storing runs/x/train-weak/ckpt-00000004\\.bin: no space left on the device \\(ENOSPC\\) at attempt ${RESOURCE_ATTEMPTS}; waiting does not fix that, so it is not retried further: free space where the storage root`));
    return true;
  });
});
