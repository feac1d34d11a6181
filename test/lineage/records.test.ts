import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeRunLineage } from '../../activities/lineage-summary.js';
import { createStageDeps } from '../../stages/deps.js';
import { readLineage, stageGraph, lineageSummary, writeLineageSummary, summaryKey } from '../../lineage/index.js';
import { sha256Hex } from '../../core/hash.js';
import type { LineageRecord } from '../../schemas/lineage.js';
import { recordKey, tempStore, writeDemoRun, type DemoRun, type TempStore } from './fixture.js';

let temp: TempStore;
let run: DemoRun;

before(async () => {
  temp = await tempStore();
  run = await writeDemoRun(temp.store);
});

after(async () => {
  await temp.dispose();
});

test('readLineage returns every record of the run, validated, in start order', async () => {
  const records = await readLineage(temp.store, run.runId);
  assert.equal(records.length, run.records.length);
  const starts = records.map((r) => Date.parse(r.startedAt));
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
  assert.deepEqual(
    records.map((r) => `${r.stage}#${r.attempt}`).slice(0, 3),
    ['ingest#1', 'train-weak#1', 'train-weak#2'],
  );
  assert.deepEqual(new Set(records.map(recordKey)), new Set(run.records.map(recordKey)));
});

test('records of a run whose id extends this one are not read with it', async () => {
  const other = await tempStore();
  try {
    const mine = await writeDemoRun(other.store);
    const first = mine.records[0] as LineageRecord;
    const longer = { ...first, runId: `${mine.runId}-b`, workflowId: `${mine.runId}-b` };
    await other.store.put(recordKey(longer), JSON.stringify(longer));
    assert.equal((await readLineage(other.store, mine.runId)).length, mine.records.length);
    assert.equal((await readLineage(other.store, longer.runId)).length, 1);
  } finally {
    await other.dispose();
  }
});

test('a malformed record is an error that names its key and the problem', async () => {
  const broken = await tempStore();
  try {
    const mine = await writeDemoRun(broken.store);
    const sample = mine.records[3] as LineageRecord;
    const withoutWorker: Record<string, unknown> = { ...sample };
    delete withoutWorker.worker;
    const key = `lineage/${mine.runId}/zz-late-1.json`;
    await broken.store.put(key, JSON.stringify({ ...withoutWorker, stage: 'zz-late', attempt: 1 }));
    await assert.rejects(readLineage(broken.store, mine.runId), (error: Error) => {
      assert.match(error.message, /zz-late-1\.json/);
      assert.match(error.message, /worker/);
      return true;
    });
  } finally {
    await broken.dispose();
  }
});

test('a record that is not JSON, or stored under another stage, names its key', async () => {
  const broken = await tempStore();
  try {
    await broken.store.put('lineage/r1/ingest-1.json', '{"version": 1,');
    await assert.rejects(readLineage(broken.store, 'r1'), /ingest-1\.json: is not valid JSON/);
    const mine = await writeDemoRun(broken.store);
    const sample = mine.records[0] as LineageRecord;
    await broken.store.put(`lineage/${mine.runId}/train-weak-7.json`, JSON.stringify(sample));
    await assert.rejects(readLineage(broken.store, mine.runId), /train-weak-7\.json: holds run .* stage "ingest", attempt 1, which does not match where it is stored/);
  } finally {
    await broken.dispose();
  }
});

test('a run without records is an error, not an empty lineage', async () => {
  await assert.rejects(readLineage(temp.store, 'no-such-run'), /no lineage records for run "no-such-run"/);
});

test('the stage graph has one node per stage, described by its latest attempt', () => {
  const graph = stageGraph(run.records);
  assert.deepEqual(
    graph.nodes.map((n) => n.stage),
    // First-start order; stages that started together by name.
    ['ingest', 'train-weak', 'label-test-00000', 'label-transfer-00000', 'train-adaptconf', 'evaluate-adaptconf', 'evaluate-weak', 'report'],
  );
  const weak = graph.nodes.find((n) => n.stage === 'train-weak');
  assert.ok(weak);
  assert.equal(weak.attempts, 2);
  assert.equal(weak.attempt, 2);
  assert.equal(weak.status, 'completed');
  assert.equal(weak.resumedFromStep, 40);
  assert.equal(weak.worker.identity, 'gpu-2@node-c');
  assert.equal(weak.durationMs, 25_000);
  assert.equal(weak.backend?.name, 'wasm');
  const ingest = graph.nodes.find((n) => n.stage === 'ingest');
  assert.equal(ingest?.cached, true);
  assert.equal(ingest?.backend, null);
});

test('edges join each consumer to the stage that produced the object, matched by hash and URI', () => {
  const { edges } = stageGraph(run.records);
  const described = new Set(edges.map((e) => `${e.from} -> ${e.to} (${e.object.role} ${e.object.sha256.slice(0, 8)})`));
  const o = run.objects;
  const short = (name: string) => (o[name]?.sha256 ?? '').slice(0, 8);
  const expected = [
    `ingest -> train-weak (manifest ${short('manifest')})`,
    `ingest -> train-weak (shard ${short('weakShard')})`,
    `train-weak -> label-transfer-00000 (teacher ${short('teacher')})`,
    `ingest -> label-transfer-00000 (manifest ${short('manifest')})`,
    `ingest -> label-transfer-00000 (shard ${short('transferShard')})`,
    `train-weak -> label-test-00000 (teacher ${short('teacher')})`,
    `ingest -> label-test-00000 (manifest ${short('manifest')})`,
    `ingest -> label-test-00000 (shard ${short('testShard')})`,
    `ingest -> train-adaptconf (manifest ${short('manifest')})`,
    `ingest -> train-adaptconf (shard ${short('transferShard')})`,
    `label-transfer-00000 -> train-adaptconf (soft-labels ${short('transferLogits')})`,
    `train-weak -> evaluate-weak (model ${short('teacher')})`,
    `ingest -> evaluate-weak (manifest ${short('manifest')})`,
    `ingest -> evaluate-weak (shard ${short('testShard')})`,
    `label-test-00000 -> evaluate-weak (soft-labels ${short('testLogits')})`,
    `train-adaptconf -> evaluate-adaptconf (model ${short('student')})`,
    `ingest -> evaluate-adaptconf (manifest ${short('manifest')})`,
    `ingest -> evaluate-adaptconf (shard ${short('testShard')})`,
    `label-test-00000 -> evaluate-adaptconf (soft-labels ${short('testLogits')})`,
    `train-weak -> report (model ${short('teacher')})`,
    `train-adaptconf -> report (model ${short('student')})`,
  ];
  assert.deepEqual(described, new Set(expected));
  assert.equal(edges.length, expected.length);
  // The source file was produced by nothing in this run: no edge into ingest.
  assert.ok(!edges.some((e) => e.to === 'ingest'));
});

test('an input copied under another name still links to its producer by content', () => {
  const teacher = run.objects.teacher;
  assert.ok(teacher);
  const base = run.records.find((r) => r.stage === 'evaluate-weak') as LineageRecord;
  const copy = { ...base, stage: 'evaluate-copy', inputs: [{ ...teacher, key: teacher.key.replace('model-weak.bin', 'copy.bin') }] };
  const edges = stageGraph([...run.records, copy]).edges.filter((e) => e.to === 'evaluate-copy');
  assert.deepEqual(edges.map((e) => e.from), ['train-weak']);
});

test('the summary counts stages, attempts, cache hits and failures, and times the run', () => {
  const summary = lineageSummary(run.records);
  assert.equal(summary.runId, run.runId);
  assert.equal(summary.stages, 8);
  assert.equal(summary.attempts, 9);
  assert.equal(summary.cacheHits, 1);
  assert.equal(summary.failedAttempts, 1);
  assert.deepEqual(summary.failedStages, []);
  assert.deepEqual(summary.retriedStages, ['train-weak']);
  assert.equal(summary.wallMs, 128_000);
  const attemptSeconds = run.records.reduce((total, r) => total + (Date.parse(r.endedAt) - Date.parse(r.startedAt)), 0);
  assert.equal(summary.attemptMs, attemptSeconds);
  assert.deepEqual(summary.perStage['train-weak'], { kind: 'train', attempts: 2, status: 'completed', cached: false, wallMs: 37_000 + 25_000 });
  assert.deepEqual(summary.perStage.ingest, { kind: 'ingest', attempts: 1, status: 'completed', cached: true, wallMs: 2_000 });
  assert.deepEqual(summary.backends, ['wasm/cpu']);
  assert.deepEqual(summary.workers, ['cpu-1@node-a', 'gpu-1@node-b', 'gpu-2@node-c']);
  assert.deepEqual(summary.codeVersions, ['0.1.0+abcdef012345']);
});

test('a stage whose latest attempt failed is listed as failed', () => {
  const last = run.records[run.records.length - 1] as LineageRecord;
  const failedReport: LineageRecord = { ...last, attempt: 2, status: 'failed', outputs: [], error: { type: 'BadInputError', message: 'no models' }, startedAt: '2025-03-01T10:05:00.000Z', endedAt: '2025-03-01T10:05:01.000Z' };
  const summary = lineageSummary([...run.records, failedReport]);
  assert.deepEqual(summary.failedStages, ['report']);
  assert.equal(summary.failedAttempts, 2);
  assert.equal(summary.perStage.report?.status, 'failed');
});

test('writeLineageSummary writes the summary once, returns its reference, and a repeat is a no-op', async () => {
  const ref = await writeLineageSummary(temp.store, run.runId);
  const key = summaryKey(run.runId);
  assert.equal(ref.key, key);
  const bytes = await temp.store.get(key);
  assert.equal(ref.sha256, sha256Hex(bytes));
  assert.equal(ref.bytes, bytes.length);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), JSON.parse(JSON.stringify(lineageSummary(run.records))));
  assert.deepEqual(await writeLineageSummary(temp.store, run.runId), ref);
  // The activity the pipeline calls opens the store from its URI and writes the same object.
  assert.deepEqual(await summarizeRunLineage(createStageDeps(), { runId: run.runId, storage: temp.root }), ref);
});
