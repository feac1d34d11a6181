import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Storage } from '@google-cloud/storage';
import { toOpenLineageEvents, verifyRun, readLineage } from '../../lineage/index.js';
import { registerVerify } from '../../cli/commands/verify.js';
import { sha256Hex } from '../../core/hash.js';
import { GcsStore } from '../../storage/gcs/store.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { writeDemoRun, type DemoRun } from './fixture.js';
import { runCli } from './run-cli.js';

const BUCKET = 'w2s-lineage';
const PREFIX = 'team';

let gcs: FakeGcs;
let store: GcsStore;
let run: DemoRun;
let previousEmulator: string | undefined;

before(async () => {
  gcs = await FakeGcs.start({ buckets: [BUCKET] });
  // `w2s verify --storage gs://…` opens its own client, which finds the emulator through the environment.
  previousEmulator = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  store = new GcsStore(BUCKET, PREFIX, { emulatorHost: gcs.url });
  run = await writeDemoRun(store);
});

after(async () => {
  if (previousEmulator === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = previousEmulator;
  await gcs.dispose();
});

/** A client that writes past the store's write-once rule, as a buggy tool or a person with bucket access could. */
function rawBucket() {
  const storage = new Storage({ apiEndpoint: gcs.url, projectId: 'test' });
  storage.baseUrl = `${gcs.url}/storage/v1`;
  return storage.bucket(BUCKET);
}

test('on GCS, datasets are named gs://bucket + object path, and an intact run verifies', async () => {
  const events = toOpenLineageEvents(await readLineage(store, run.runId), { namespace: 'w2s', producer: 'urn:w2s:test', storage: store.uri });
  const shard = events.flatMap((e) => e.inputs).find((d) => d.name.endsWith('weak/shard-00000.arrow'));
  assert.deepEqual(shard && { namespace: shard.namespace, name: shard.name }, { namespace: `gs://${BUCKET}`, name: `${PREFIX}/datasets/ds-0123abcd/weak/shard-00000.arrow` });
  const result = await verifyRun(store, run.runId);
  assert.equal(result.ok, true, JSON.stringify(result.counts));
});

test('on GCS, an object replaced with its old hash metadata kept is still a mismatch; a deleted one is missing', async () => {
  const target = run.objects.transferLogits;
  const gone = run.objects.markdown;
  assert.ok(target && gone);
  const bytes = Buffer.from(await store.get(target.key));
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  const bucket = rawBucket();
  // The stored sha256 metadata still claims the original content; only reading the bytes can tell.
  await bucket.file(`${PREFIX}/${target.key}`).save(bytes, { resumable: false, metadata: { metadata: { sha256: target.sha256 } } });
  await bucket.file(`${PREFIX}/${gone.key}`).delete();

  const result = await runCli(registerVerify, ['verify', run.runId, '--storage', `gs://${BUCKET}/${PREFIX}`]);
  assert.equal(result.exitCode, 1);
  assert.ok(result.stderr.includes(`${target.key} (mismatch)`), result.stderr);
  assert.ok(result.stderr.includes(`${gone.key} (missing)`), result.stderr);
  const checks = (await verifyRun(store, run.runId)).objects;
  const mismatch = checks.find((c) => c.key === target.key);
  assert.equal(mismatch?.verdict, 'mismatch');
  assert.equal(mismatch?.actualSha256, sha256Hex(bytes));
  assert.equal(checks.find((c) => c.key === gone.key)?.verdict, 'missing');
  assert.equal(checks.filter((c) => c.verdict === 'ok').length, checks.length - 2);
});
