/**
 * Committed workflow histories (test/fixtures/histories) that replay against
 * the current workflow code, so nondeterminism fails in the suite rather than
 * in a user's running pipeline. Tests that produce a history worth keeping
 * (a sweep, a retrain, a cancelled or failed run, an imported teacher) record
 * it here when W2S_RECORD_HISTORIES=1, after an intended change to workflow code.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORY_FIXTURES = join(dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url))))), 'test', 'fixtures', 'histories');

export const recordingHistories = (): boolean => Boolean(process.env.W2S_RECORD_HISTORIES);

/**
 * Writes the handle's history as `<name>.json` when recording; a no-op otherwise. The workflow id is
 * kept beside it: replay runs the workflow under that id, and workflows derive ids (a child's, a run's) from it.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!recordingHistories()) return;
  await mkdir(HISTORY_FIXTURES, { recursive: true });
  const history = JSON.parse(historyToJSON(await handle.fetchHistory())) as unknown;
  await writeFile(join(HISTORY_FIXTURES, `${name}.json`), `${JSON.stringify({ workflowId: handle.workflowId, history }, null, 2)}\n`);
}

export interface CommittedHistory {
  /** The fixture's name (its file name without `.json`). */
  readonly name: string;
  readonly workflowId: string;
  readonly history: unknown;
}

/** Every committed history: `{ workflowId, history }` files, or a bare history whose file is named for its workflow id. */
export async function committedHistories(): Promise<CommittedHistory[]> {
  const files = (await readdir(HISTORY_FIXTURES)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = file.replace(/\.json$/, '');
      const json = JSON.parse(await readFile(join(HISTORY_FIXTURES, file), 'utf8')) as { workflowId?: string; history?: unknown; events?: unknown };
      return json.events !== undefined ? { name, workflowId: name, history: json } : { name, workflowId: json.workflowId ?? name, history: json.history };
    }),
  );
}
