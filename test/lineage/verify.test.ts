import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyRun, type RunVerification } from '../../lineage/index.js';
import { registerVerify } from '../../cli/commands/verify.js';
import { sha256Hex } from '../../core/hash.js';
import type { LineageObject, LineageRecord } from '../../schemas/lineage.js';
import { LocalStore } from '../../storage/local.js';
import { recordKey, tempStore, writeDemoRun, type DemoRun, type TempStore } from './fixture.js';
import { runCli } from './run-cli.js';

let temp: TempStore;
let run: DemoRun;

beforeEach(async () => {
  temp = await tempStore();
  run = await writeDemoRun(temp.store);
});

afterEach(async () => {
  await temp.dispose();
});

function object(name: string): LineageObject {
  const found = run.objects[name];
  if (!found) throw new Error(`the demo run has no object ${name}`);
  return found;
}

/** Flips one byte in place: same size, same name; only the content changed. */
async function corrupt(target: LineageObject): Promise<string> {
  const path = fileURLToPath(target.uri);
  const bytes = await readFile(path);
  const middle = bytes.length >> 1;
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
  return sha256Hex(bytes);
}

function verdicts(result: RunVerification): Record<string, string> {
  return Object.fromEntries(result.objects.map((check) => [check.uri, check.verdict]));
}

test('an intact run verifies: every named object once, all ok', async () => {
  const result = await verifyRun(temp.store, run.runId);
  assert.equal(result.ok, true);
  const distinct = new Set(run.records.flatMap((r) => [...r.inputs, ...r.outputs].map((o) => o.uri)));
  assert.equal(result.objects.length, distinct.size);
  assert.deepEqual(new Set(result.objects.map((c) => c.uri)), distinct);
  assert.deepEqual(result.counts, { ok: distinct.size, missing: 0, mismatch: 0 });
  const teacher = result.objects.find((c) => c.uri === object('teacher').uri);
  assert.deepEqual(teacher?.roles, ['model', 'teacher']);
  assert.ok(teacher?.namedBy.includes('train-weak#2 output') && teacher.namedBy.includes('label-transfer-00000#1 input'));
});

test('an object changed after the run is a mismatch with both hashes; a deleted one is missing', async () => {
  // Hash the shard through the store first, so any cached metadata describes the old bytes.
  await temp.store.stat(temp.store.keyOf(object('transferShard').uri));
  const actual = await corrupt(object('transferShard'));
  await unlink(fileURLToPath(object('student').uri));
  const result = await verifyRun(temp.store, run.runId);
  assert.equal(result.ok, false);
  assert.deepEqual(result.counts, { ok: result.objects.length - 2, mismatch: 1, missing: 1 });
  const shard = result.objects.find((c) => c.verdict === 'mismatch');
  assert.equal(shard?.uri, object('transferShard').uri);
  assert.equal(shard?.expectedSha256, object('transferShard').sha256);
  assert.equal(shard?.actualSha256, actual);
  assert.equal(shard?.actualBytes, object('transferShard').bytes);
  const missing = result.objects.find((c) => c.verdict === 'missing');
  assert.equal(missing?.uri, object('student').uri);
  assert.equal(missing?.actualSha256, undefined);
});

test('records that disagree about an object are checked each, and only the true hash passes', async () => {
  const evaluate = run.records.find((r) => r.stage === 'evaluate-weak') as LineageRecord;
  const wrong = { ...object('testShard'), sha256: 'f'.repeat(64) };
  const liar: LineageRecord = { ...evaluate, attempt: 2, inputs: [wrong] };
  await temp.store.put(recordKey(liar), JSON.stringify(liar));
  const result = await verifyRun(temp.store, run.runId);
  const checks = result.objects.filter((c) => c.uri === wrong.uri);
  assert.deepEqual(checks.map((c) => c.verdict).sort(), ['mismatch', 'ok']);
  assert.deepEqual(checks.find((c) => c.verdict === 'mismatch')?.namedBy, ['evaluate-weak#2 input']);
});

test('an input outside the storage root (an imported teacher) is verified where it lives', async () => {
  const elsewhere = await mkdtemp(join(tmpdir(), 'w2s-teacher-'));
  try {
    const source = await new LocalStore(elsewhere).put('teacher.bin', 'imported teacher weights');
    const imported: LineageObject = { uri: source.uri, sha256: source.sha256, bytes: source.size, role: 'model' };
    const ingest = run.records[0] as LineageRecord;
    const importRecord: LineageRecord = { ...ingest, stage: 'import-teacher', kind: 'import', cached: false, inputs: [imported], outputs: [] };
    await temp.store.put(recordKey(importRecord), JSON.stringify(importRecord));
    assert.equal(verdicts(await verifyRun(temp.store, run.runId))[imported.uri], 'ok');
    await writeFile(join(elsewhere, 'teacher.bin'), 'tampered teacher weights');
    assert.equal(verdicts(await verifyRun(temp.store, run.runId))[imported.uri], 'mismatch');
    await unlink(join(elsewhere, 'teacher.bin'));
    assert.equal(verdicts(await verifyRun(temp.store, run.runId))[imported.uri], 'missing');
  } finally {
    await rm(elsewhere, { recursive: true, force: true });
  }
});

test('w2s verify prints every verdict and exits 0 on an intact run', async () => {
  const result = await runCli(registerVerify, ['verify', run.runId, '--storage', temp.root]);
  assert.equal(result.exitCode, 0);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  assert.match(lines[0] ?? '', /^verify fashion-demo-1a2b: 12 objects, 12 ok, 0 mismatched, 0 missing$/);
  assert.equal(lines.filter((l) => /^\s+ok\s/.test(l)).length, 12);
  assert.ok(lines.some((l) => l.includes('ok') && l.includes('datasets/ds-0123abcd/transfer/shard-00000.arrow')));
});

test('w2s verify exits 1 and names each corrupted and missing object', async () => {
  await corrupt(object('testLogits'));
  await unlink(fileURLToPath(object('html').uri));
  const result = await runCli(registerVerify, ['verify', run.runId, '--storage', temp.root]);
  assert.equal(result.exitCode, 1);
  const mismatch = result.stdout.split('\n').find((l) => l.includes('MISMATCH'));
  assert.ok(mismatch, result.stdout);
  assert.ok(mismatch.includes('runs/fashion-demo-1a2b/label-test-00000/soft-labels.arrow'), mismatch);
  assert.ok(mismatch.includes(`expected sha256 ${object('testLogits').sha256}`));
  assert.match(result.stdout, /MISSING\s+runs\/fashion-demo-1a2b\/report\/report\.html/);
  assert.match(result.stderr, /2 of 12 objects failed/);
  assert.ok(result.stderr.includes(`${object('testLogits').uri} (mismatch)`));
  assert.ok(result.stderr.includes(`${object('html').uri} (missing)`));
});

test('w2s verify --json gives the per-object results; storage defaults to $W2S_STORAGE', async () => {
  await corrupt(object('manifest'));
  const previous = process.env.W2S_STORAGE;
  process.env.W2S_STORAGE = temp.root;
  try {
    const result = await runCli(registerVerify, ['verify', run.runId, '--json']);
    assert.equal(result.exitCode, 1);
    const parsed = JSON.parse(result.stdout) as RunVerification;
    assert.equal(parsed.ok, false);
    assert.deepEqual(parsed.objects.filter((c) => c.verdict !== 'ok').map((c) => c.uri), [object('manifest').uri]);
  } finally {
    if (previous === undefined) delete process.env.W2S_STORAGE;
    else process.env.W2S_STORAGE = previous;
  }
});

test('w2s verify on an unknown run fails with a message, not an empty success', async () => {
  await assert.rejects(runCli(registerVerify, ['verify', 'never-ran', '--storage', temp.root]), /no lineage records for run "never-ran"/);
});
