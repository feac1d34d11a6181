import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  const path = join(temp.root, target.key);
  const bytes = await readFile(path);
  const middle = bytes.length >> 1;
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  await writeFile(path, bytes);
  return sha256Hex(bytes);
}

function verdicts(result: RunVerification): Record<string, string> {
  return Object.fromEntries(result.objects.map((check) => [check.key, check.verdict]));
}

test('an intact run verifies: every named object once, all ok', async () => {
  const result = await verifyRun(temp.store, run.runId);
  assert.equal(result.ok, true);
  const distinct = new Set(run.records.flatMap((r) => [...r.inputs, ...r.outputs].map((o) => o.key)));
  assert.equal(result.objects.length, distinct.size);
  assert.deepEqual(new Set(result.objects.map((c) => c.key)), distinct);
  assert.deepEqual(result.counts, { ok: distinct.size, missing: 0, mismatch: 0 });
  const teacher = result.objects.find((c) => c.key === object('teacher').key);
  assert.deepEqual(teacher?.roles, ['model', 'teacher']);
  assert.ok(teacher?.namedBy.includes('train-weak#2 output') && teacher.namedBy.includes('label-transfer-00000#1 input'));
});

test('an object changed after the run is a mismatch with both hashes; a deleted one is missing', async () => {
  // Hash the shard through the store first, so any cached metadata describes the old bytes.
  await temp.store.stat(object('transferShard').key);
  const actual = await corrupt(object('transferShard'));
  await unlink(join(temp.root, object('student').key));
  const result = await verifyRun(temp.store, run.runId);
  assert.equal(result.ok, false);
  assert.deepEqual(result.counts, { ok: result.objects.length - 2, mismatch: 1, missing: 1 });
  const shard = result.objects.find((c) => c.verdict === 'mismatch');
  assert.equal(shard?.key, object('transferShard').key);
  assert.equal(shard?.expectedSha256, object('transferShard').sha256);
  assert.equal(shard?.actualSha256, actual);
  assert.equal(shard?.actualBytes, object('transferShard').bytes);
  const missing = result.objects.find((c) => c.verdict === 'missing');
  assert.equal(missing?.key, object('student').key);
  assert.equal(missing?.actualSha256, undefined);
});

test('records that disagree about an object are checked each, and only the true hash passes', async () => {
  const evaluate = run.records.find((r) => r.stage === 'evaluate-weak') as LineageRecord;
  const wrong = { ...object('testShard'), sha256: 'f'.repeat(64) };
  const liar: LineageRecord = { ...evaluate, attempt: 2, inputs: [wrong] };
  await temp.store.put(recordKey(liar), JSON.stringify(liar));
  const result = await verifyRun(temp.store, run.runId);
  const checks = result.objects.filter((c) => c.key === wrong.key);
  assert.deepEqual(checks.map((c) => c.verdict).sort(), ['mismatch', 'ok']);
  assert.deepEqual(checks.find((c) => c.verdict === 'mismatch')?.namedBy, ['evaluate-weak#2 input']);
});

test('a copied root is verified as the copy: its own objects are read, not the original ones', async () => {
  const copy = await mkdtemp(join(tmpdir(), 'w2s-lineage-copy-'));
  try {
    await cp(temp.root, copy, { recursive: true });
    // Damage the original: the copy is unaffected, and verify of the copy says so.
    await corrupt(object('transferShard'));
    const copied = await verifyRun(new LocalStore(copy), run.runId);
    assert.equal(copied.ok, true, JSON.stringify(copied.counts));
    await unlink(join(copy, object('student').key));
    assert.equal(verdicts(await verifyRun(new LocalStore(copy), run.runId))[object('student').key], 'missing');
    assert.equal(verdicts(await verifyRun(temp.store, run.runId))[object('transferShard').key], 'mismatch');
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

test('an edited record naming an object outside the root is refused, naming the record and the reference, and nothing is read', async () => {
  const evaluate = run.records.find((r) => r.stage === 'evaluate-weak') as LineageRecord;
  const climbing = { ...evaluate, attempt: 2, inputs: [{ ...object('testShard'), key: '../../../../etc/passwd' }] };
  await temp.store.put(recordKey(climbing), JSON.stringify(climbing));
  const where = temp.store.uriOf(recordKey(climbing));
  await assert.rejects(verifyRun(temp.store, run.runId), (error: Error) => error.name === 'BadInputError' && error.message.includes(where) && error.message.includes('inputs[0] names "../../../../etc/passwd"'));
  // The older form, an absolute URI, is read as a key when it is under the root and refused when it is not.
  const { key: _key, ...shard } = object('testShard');
  const legacy = { ...evaluate, attempt: 3, inputs: [{ ...shard, uri: 'file:///etc/passwd' }] };
  await temp.store.delete(recordKey(climbing));
  await temp.store.put(recordKey(legacy), JSON.stringify(legacy));
  const cli = runCli(registerVerify, ['verify', run.runId, '--storage', temp.root]);
  await assert.rejects(cli, (error: Error) => error.message.includes(temp.store.uriOf(recordKey(legacy))) && error.message.includes('"file:///etc/passwd", which is outside the storage root'));
  await temp.store.delete(recordKey(legacy));
  const inside = { ...evaluate, attempt: 3, inputs: [{ ...shard, uri: temp.store.uriOf(object('testShard').key) }] };
  await temp.store.put(recordKey(inside), JSON.stringify(inside));
  assert.equal(verdicts(await verifyRun(temp.store, run.runId))[object('testShard').key], 'ok');
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
  await unlink(join(temp.root, object('html').key));
  const result = await runCli(registerVerify, ['verify', run.runId, '--storage', temp.root]);
  assert.equal(result.exitCode, 1);
  const mismatch = result.stdout.split('\n').find((l) => l.includes('MISMATCH'));
  assert.ok(mismatch, result.stdout);
  assert.ok(mismatch.includes('runs/fashion-demo-1a2b/label-test-00000/soft-labels.arrow'), mismatch);
  assert.ok(mismatch.includes(`expected sha256 ${object('testLogits').sha256}`));
  assert.match(result.stdout, /MISSING\s+runs\/fashion-demo-1a2b\/report\/report\.html/);
  assert.match(result.stderr, /2 of 12 objects failed/);
  assert.ok(result.stderr.includes(`${object('testLogits').key} (mismatch)`));
  assert.ok(result.stderr.includes(`${object('html').key} (missing)`));
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
    assert.deepEqual(parsed.objects.filter((c) => c.verdict !== 'ok').map((c) => c.key), [object('manifest').key]);
  } finally {
    if (previous === undefined) delete process.env.W2S_STORAGE;
    else process.env.W2S_STORAGE = previous;
  }
});

test('w2s verify on an unknown run fails with a message, not an empty success', async () => {
  await assert.rejects(runCli(registerVerify, ['verify', 'never-ran', '--storage', temp.root]), /no lineage records for run "never-ran"/);
});
