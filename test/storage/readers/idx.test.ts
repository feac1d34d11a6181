import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isBadInputError } from '../../../core/errors.js';
import { sha256Hex } from '../../../core/hash.js';
import { IdxReader, readIdxImages, readIdxLabels } from '../../../storage/readers/idx.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const TRAIN_IMAGES = join(FASHION, 'train-images-idx3-ubyte.gz');
const TRAIN_LABELS = join(FASHION, 'train-labels-idx1-ubyte.gz');
const TEST_IMAGES = join(FASHION, 't10k-images-idx3-ubyte.gz');

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-idx-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rejectsBadInput(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isBadInputError(error), `expected BadInputError, got ${String(error)}`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

test('reads the real Fashion-MNIST train set byte for byte', async () => {
  const images = await readIdxImages(TRAIN_IMAGES);
  assert.equal(images.count, 60000);
  assert.equal(images.height, 28);
  assert.equal(images.width, 28);
  const decoded = gunzipSync(await readFile(TRAIN_IMAGES));
  assert.equal(sha256Hex(images.data), sha256Hex(decoded.subarray(16)));

  const labels = await readIdxLabels(TRAIN_LABELS);
  assert.equal(labels.length, 60000);
  const perClass = new Array<number>(10).fill(0);
  for (const label of labels) perClass[label]!++;
  assert.deepEqual(perClass, new Array<number>(10).fill(6000));
});

test('streams chunks that add up to the whole file', async () => {
  const whole = await readIdxImages(TEST_IMAGES);
  const reader = await IdxReader.open(TEST_IMAGES);
  assert.deepEqual(reader.header.dims, [10000, 28, 28]);
  const seen: number[] = [];
  let offset = 0;
  for await (const chunk of reader.chunks(3000)) {
    seen.push(chunk.count);
    assert.equal(chunk.start * 784, offset);
    assert.deepEqual(chunk.data, whole.data.subarray(offset, offset + chunk.data.length));
    offset += chunk.data.length;
  }
  assert.deepEqual(seen, [3000, 3000, 3000, 1000]);
});

test('reads raw (not gzipped) files as well', async () => {
  await withTmp(async (dir) => {
    const raw = join(dir, 't10k-images-idx3-ubyte');
    const decoded = gunzipSync(await readFile(TEST_IMAGES));
    await writeFile(raw, decoded);
    const images = await readIdxImages(raw);
    assert.equal(images.count, 10000);
    assert.equal(sha256Hex(images.data), sha256Hex(decoded.subarray(16)));
  });
});

test('a truncated file names itself and the byte counts', async () => {
  await withTmp(async (dir) => {
    const decoded = gunzipSync(await readFile(TRAIN_IMAGES));
    const raw = join(dir, 'train-images-idx3-ubyte');
    await writeFile(raw, decoded.subarray(0, 3000016));
    await rejectsBadInput(readIdxImages(raw), `IDX file ${raw}: expected 47040016 bytes, found 3000016 (truncated?)`);

    const gz = join(dir, 'train-images-idx3-ubyte.gz');
    await writeFile(gz, gzipSync(decoded.subarray(0, 3000016)));
    await rejectsBadInput(readIdxImages(gz), `IDX file ${gz}: expected 47040016 bytes, found 3000016 (truncated?)`);
  });
});

test('a gzip stream cut short is reported as truncated', async () => {
  await withTmp(async (dir) => {
    const original = await readFile(TRAIN_IMAGES);
    const cut = join(dir, 'cut-images.gz');
    await writeFile(cut, original.subarray(0, 1_000_000));
    await rejectsBadInput(readIdxImages(cut), /^IDX file .*cut-images\.gz: expected 47040016 bytes, found \d+ \(truncated\?\)$/);

    const labels = await readFile(TRAIN_LABELS);
    const noTrailer = join(dir, 'labels-no-trailer.gz');
    await writeFile(noTrailer, labels.subarray(0, labels.length - 4));
    await rejectsBadInput(readIdxLabels(noTrailer), /gzip stream ends before its trailer after 60008 bytes \(truncated\?\)$/);
  });
});

test('wrong magic, wrong type, wrong rank, trailing data, corrupt gzip and missing files', async () => {
  await withTmp(async (dir) => {
    const png = join(dir, 'not-idx');
    await writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    await rejectsBadInput(readIdxImages(png), `IDX file ${png}: not an IDX file: magic bytes are 0x89 0x50 0x4e 0x47, expected 0x00 0x00 <type> <rank>`);

    const floats = join(dir, 'floats');
    await writeFile(floats, Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
    await rejectsBadInput(readIdxLabels(floats), /IDX data type 0x0d \(float32\) is not supported/);

    const labelsRaw = gunzipSync(await readFile(TRAIN_LABELS));
    const labels = join(dir, 'labels');
    await writeFile(labels, labelsRaw);
    await rejectsBadInput(readIdxImages(labels), /expected an image file with dimensions \[count, height, width\], found \[60000\]/);

    const trailing = join(dir, 'labels-trailing');
    await writeFile(trailing, Buffer.concat([labelsRaw, Buffer.from([1, 2, 3])]));
    await rejectsBadInput(readIdxLabels(trailing), `IDX file ${trailing}: expected 60008 bytes, found 60011 (trailing data after the last record)`);

    const corrupt = join(dir, 'corrupt.gz');
    const gz = gzipSync(labelsRaw);
    gz.fill(0xff, 20, 60);
    await writeFile(corrupt, gz);
    await rejectsBadInput(readIdxLabels(corrupt), /corrupt gzip data/);

    await rejectsBadInput(readIdxLabels(join(dir, 'absent')), /absent: no such file$/);
    await rejectsBadInput(readIdxLabels(dir), /is a folder, expected a file$/);
  });
});
