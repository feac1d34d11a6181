/**
 * Durations and counts in a run config are bounded by what Temporal and a
 * real run accept: a value past a bound is refused by the parse, naming the
 * field and the bound, and every value within the bounds is a duration
 * Temporal reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { msToNumber } from '@temporalio/common';
import { parseRunConfig } from '../../cli/config-file.js';
import { MAX_TIMEOUT_SECONDS, MAX_TRAIN_TIMEOUT_MINUTES } from '../../schemas/pipeline.js';

const base = { name: 'x', dataset: { source: '/data' }, teacher: { model: 'linear', epochs: 1 }, strong: { model: 'cnn-small', epochs: 1 }, students: [{ method: 'adaptconf' }] };
const withExecution = (execution: Record<string, number>) => ({ ...base, execution });

test('durations Temporal cannot read are refused by the parse, naming the field', () => {
  const refused: Array<[Record<string, number>, RegExp]> = [
    [{ heartbeatTimeoutSeconds: 1e21 }, /execution\.heartbeatTimeoutSeconds: .*86400/],
    [{ heartbeatTimeoutSeconds: 1e308 }, /execution\.heartbeatTimeoutSeconds: .*86400/],
    [{ heartbeatTimeoutSeconds: 1e-9 }, /execution\.heartbeatTimeoutSeconds: .*1/],
    [{ trainTimeoutMinutes: 1e300 }, /execution\.trainTimeoutMinutes: .*43200/],
    [{ checkpointEverySeconds: 1e21 }, /execution\.checkpointEverySeconds/],
    [{ heartbeatSeconds: 1e-9 }, /execution\.heartbeatSeconds/],
    [{ heartbeatSeconds: 30, heartbeatTimeoutSeconds: 10 }, /execution\.heartbeatTimeoutSeconds: .*longer than heartbeatSeconds/],
    [{ labelParallelism: 1e9 }, /execution\.labelParallelism/],
    [{ checkpointEverySteps: 1e300 }, /execution\.checkpointEverySteps/],
  ];
  for (const [execution, message] of refused) assert.throws(() => parseRunConfig('cfg', withExecution(execution)), message, JSON.stringify(execution));
});

test('counts past what a run can hold are refused', () => {
  assert.throws(() => parseRunConfig('cfg', { ...base, strong: { model: 'cnn-small', epochs: 1e12 } }), /strong\.epochs/);
  assert.throws(() => parseRunConfig('cfg', { ...base, teacher: { model: 'linear', epochs: 1, batchSize: 1e9 } }), /teacher\.batchSize/);
  assert.throws(() => parseRunConfig('cfg', { ...base, seed: 1e300 }), /seed/);
  assert.throws(() => parseRunConfig('cfg', { ...base, dataset: { source: '/data', resize: { height: 1e6, width: 28 } } }), /dataset\.resize\.height/);
  assert.throws(() => parseRunConfig('cfg', { ...base, dataset: { source: '/data', shardSize: 1e12 } }), /dataset\.shardSize/);
});

test('the largest accepted durations are durations Temporal reads', () => {
  // The workflow builds its timeouts as `${seconds} seconds` and `${minutes} minutes` (workflows/activities.ts).
  assert.equal(msToNumber(`${MAX_TIMEOUT_SECONDS} seconds`), MAX_TIMEOUT_SECONDS * 1000);
  assert.equal(msToNumber(`${MAX_TRAIN_TIMEOUT_MINUTES} minutes`), MAX_TRAIN_TIMEOUT_MINUTES * 60_000);
  assert.equal(msToNumber('1 seconds'), 1000);
  assert.throws(() => msToNumber('1e21 seconds'), /Invalid duration/, 'what the bound keeps out');
  const parsed = parseRunConfig('cfg', withExecution({ heartbeatTimeoutSeconds: MAX_TIMEOUT_SECONDS, trainTimeoutMinutes: MAX_TRAIN_TIMEOUT_MINUTES }));
  assert.equal(parsed.execution.heartbeatTimeoutSeconds, MAX_TIMEOUT_SECONDS);
});
