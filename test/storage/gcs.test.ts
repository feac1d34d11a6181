import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../../core/hash.js';
import { GcsStore } from '../../storage/gcs/store.js';
import { FakeGcs } from '../harness/fake-gcs.js';

let gcs: FakeGcs;
/** Short waits so an outage of a few seconds is ridden out quickly. */
const FAST_RETRY = { maxRetries: 10, multiplier: 1.5, maxDelaySeconds: 2, totalTimeoutSeconds: 60 };

before(async () => {
  gcs = await FakeGcs.start({ buckets: ['w2s-test'] });
});

after(async () => {
  await gcs.dispose();
});

function pattern(size: number, salt: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) data.writeUInt32LE((Math.imul(i, 2654435761) ^ salt) >>> 0, i);
  return data;
}

test('a large object goes through the resumable path in chunks, sha256 kept in metadata', async () => {
  const store = new GcsStore('w2s-test', 'resumable', { emulatorHost: gcs.url, resumableThresholdBytes: 1 << 20, chunkBytes: 4 << 20 });
  const data = pattern(18 << 20, 1);
  const progress: number[] = [];
  const info = await store.put('runs/r/model.bin', data, { onProgress: (sent) => void progress.push(sent) });
  assert.deepEqual(progress, [4 << 20, 8 << 20, 12 << 20, 16 << 20, 18 << 20]);
  assert.equal(info.sha256, sha256Hex(data));
  assert.deepEqual(await store.stat('runs/r/model.bin'), info);
  assert.equal(sha256Hex(await store.get('runs/r/model.bin')), sha256Hex(data));
  // Write-once holds on the resumable path too.
  const again = await store.put('runs/r/model.bin', data);
  assert.equal(again.sha256, info.sha256);
  await assert.rejects(store.put('runs/r/model.bin', pattern(18 << 20, 2)), /already exists with different content/);
});

test('a resumable upload survives the server going away mid-upload and coming back', async () => {
  const store = new GcsStore('w2s-test', 'outage', { emulatorHost: gcs.url, resumableThresholdBytes: 1 << 20, chunkBytes: 2 << 20, retry: FAST_RETRY });
  const data = pattern(12 << 20, 3);
  let outage: Promise<void> | undefined;
  const info = await store.put('big.bin', data, {
    onProgress: async (sent) => {
      if (outage === undefined && sent >= 4 << 20) {
        await gcs.stop();
        assert.equal(gcs.running, false);
        // The outage lasts a couple of seconds while the upload keeps retrying.
        outage = new Promise((resolve) => setTimeout(resolve, 2000)).then(() => gcs.restart());
      }
    },
  });
  await outage;
  assert.ok(outage !== undefined, 'the server was never stopped');
  assert.equal(info.sha256, sha256Hex(data));
  assert.equal((await store.stat('big.bin')).sha256, sha256Hex(data));
  assert.equal(sha256Hex(await store.get('big.bin')), sha256Hex(data));
});

test('a small write started during an outage lands once the server is back', async () => {
  const store = new GcsStore('w2s-test', 'outage-small', { emulatorHost: gcs.url, retry: FAST_RETRY });
  await gcs.stop();
  const restarted = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => gcs.restart());
  const info = await store.put('manifest.json', '{"ok":true}');
  await restarted;
  assert.equal(Buffer.from(await store.get('manifest.json')).toString(), '{"ok":true}');
  assert.equal(info.sha256, sha256Hex('{"ok":true}'));
});

test('the harness restarts on the same port with the same objects', async () => {
  const store = new GcsStore('w2s-test', 'restart', { emulatorHost: gcs.url });
  await store.put('kept.txt', 'still here');
  const port = gcs.port;
  await gcs.restart();
  assert.equal(gcs.port, port);
  assert.equal(Buffer.from(await store.get('kept.txt')).toString(), 'still here');
});

test('STORAGE_EMULATOR_HOST alone points the client at the emulator', async () => {
  const saved = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = gcs.env.STORAGE_EMULATOR_HOST;
  try {
    const store = new GcsStore('w2s-test', 'env');
    await store.put('a.txt', 'via env');
    assert.equal((await store.stat('a.txt')).sha256, sha256Hex('via env'));
    assert.deepEqual(await store.list(''), ['a.txt']);
  } finally {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
  }
});
