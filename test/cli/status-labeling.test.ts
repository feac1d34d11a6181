/**
 * `w2s status` folds labeling shards into one line per split: a shard that
 * succeeded after a retry is counted there (as retried), not shown as a row
 * of its own; one retrying now, or failed, keeps its own line and error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunView, StageView } from '../../cli/run-view.js';
import { renderRunView } from '../../cli/status-view.js';

const at = (second: number) => `2026-12-06T10:00:${String(second).padStart(2, '0')}.000Z`;
const shard = (index: number, extra: Partial<StageView> = {}): StageView => ({ name: `label-transfer-0000${index}`, status: 'completed', startedAt: at(index), endedAt: at(index + 1), attempt: 1, ...extra });

function view(stages: readonly StageView[]): RunView {
  return { runId: 'r', status: 'RUNNING', startTime: at(0), phase: 'label', stages, labeling: { done: 0, total: stages.length }, training: {}, rows: [] };
}

test('a label shard that succeeded after a retry folds into its split, counted as retried', () => {
  const text = renderRunView(view([shard(0), shard(1, { attempt: 2, lastError: 'worker lost' }), shard(2)]), new Date(at(30)));
  assert.match(text, /^ {2}label-transfer \(3 shards\) +completed +\S+ +3\/3 labeled, 1 retried$/m);
  assert.doesNotMatch(text, /label-transfer-00001/);
});

test('a label shard retrying now, or failed, keeps its own line with its error', () => {
  const text = renderRunView(view([shard(0), shard(1, { status: 'running', attempt: 2, lastError: 'worker lost', endedAt: undefined }), shard(2, { status: 'failed', lastError: 'bad shard' })]), new Date(at(30)));
  assert.match(text, /^ {2}label-transfer \(1 shards\) +completed/m);
  assert.match(text, /^ {2}label-transfer-00001 +running .*\n {4}last error \(attempt 1\): worker lost$/m);
  assert.match(text, /^ {2}label-transfer-00002 +failed .*\n {4}last error: bad shard$/m);
});
