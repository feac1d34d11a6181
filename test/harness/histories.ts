/**
 * Committed workflow histories (test/fixtures/histories) that replay against
 * the current workflow code, so nondeterminism fails in the suite rather than
 * in a user's running pipeline. Tests that produce a history worth keeping
 * (a sweep, a retrain, a cancelled or failed run, an imported teacher) record
 * it here when W2S_RECORD_HISTORIES=1, after an intended change to workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORY_FIXTURES = join(dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url))))), 'test', 'fixtures', 'histories');

export const recordingHistories = (): boolean => Boolean(process.env.W2S_RECORD_HISTORIES);

/** Writes the handle's history as `<name>.json` when recording; a no-op otherwise. */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!recordingHistories()) return;
  await mkdir(HISTORY_FIXTURES, { recursive: true });
  await writeFile(join(HISTORY_FIXTURES, `${name}.json`), historyToJSON(await handle.fetchHistory()));
}
