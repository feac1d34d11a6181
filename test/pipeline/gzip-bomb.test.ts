/**
 * A gzip bomb in a source (a valid IDX header, then gigabytes of zeros in a
 * few MB of gzip): ingest reads what the header promises, stops soon after,
 * and fails once, not retried, naming the file; it does not decompress the
 * rest in silence until the heartbeat timeout makes Temporal retry it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WorkflowFailedError } from '@temporalio/client';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const IMAGES = 100;

function idx(magic: number, dims: readonly number[], data: Buffer): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** An IDX source whose training images are followed by `gib` GiB of zeros: gzip members of 16 MiB of zeros, each compressed once and repeated. */
async function bombSource(gib: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-bomb-'));
  const labels = Buffer.from(Array.from({ length: IMAGES }, (_, i) => i % 10));
  const zeros = gzipSync(Buffer.alloc(16 << 20));
  const images = [gzipSync(idx(0x803, [IMAGES, 28, 28], Buffer.alloc(IMAGES * 784, 9))), ...Array.from({ length: gib * 64 }, () => zeros)];
  await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.concat(images));
  await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx(0x801, [IMAGES], labels)));
  await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idx(0x803, [IMAGES, 28, 28], Buffer.alloc(IMAGES * 784, 5))));
  await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx(0x801, [IMAGES], labels)));
  return dir;
}

test('a gzip bomb behind a valid IDX header fails ingest once, naming the file, before any heartbeat timeout', async () => {
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const source = await bombSource(6);
    const storage = await localStorageRoot();
    // A one-second heartbeat timeout: decompressing 6 GiB in silence would time out, and be retried, many times over.
    const config = tinyConfig(storage, { dataset: { source, format: 'idx', shardSize: 50 }, execution: { heartbeatSeconds: 0.2, heartbeatTimeoutSeconds: 1 } });
    const handle = await startRun(temporal.client, config, 'bomb');
    const error = await handle.result().then(
      () => assert.fail('a gzip bomb was ingested'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    const failure = (error.cause as { cause?: { message: string; type?: string; nonRetryable?: boolean } }).cause;
    assert.equal(failure?.type, 'BadInputError');
    assert.equal(failure?.nonRetryable, true);
    assert.match(failure?.message ?? '', new RegExp(`train-images-idx3-ubyte\\.gz: expected ${16 + IMAGES * 784} bytes, found more than \\d+ \\(trailing data after the last record; not read further\\)`));
    const attempts = (await lineageOf(storage, 'bomb')).filter((r) => r.stage === 'ingest');
    assert.deepEqual(attempts.map((r) => [r.attempt, r.status, r.error?.type]), [[1, 'failed', 'BadInputError']], 'one attempt: no heartbeat timeout, no retry');
  } finally {
    await workers.shutdown();
    await temporal.stop();
  }
});
