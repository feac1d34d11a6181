import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isBadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { decodeImageShard, encodeImageShard, type ImageShardInput } from '../../storage/arrow/image-shard.js';
import { decodeSoftLabelShard, encodeSoftLabelShard, joinSoftLabels } from '../../storage/arrow/soft-label-shard.js';

const run = promisify(execFile);
const DATASET = 'a'.repeat(64);
const TEACHER = 'b'.repeat(64);

function sampleInput(rows: number, withClean = false): ImageShardInput {
  const images = new Uint8Array(rows * 4 * 3 * 2);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7 + 3) & 255;
  return {
    metadata: { datasetId: DATASET, split: 'weak', shape: [4, 3, 2], classNames: ['cat', 'dog', 'emu'] },
    index: Uint32Array.from({ length: rows }, (_, i) => 1000 + i * 3),
    labels: Int16Array.from({ length: rows }, (_, i) => i % 3),
    images,
    ...(withClean ? { cleanLabels: Int16Array.from({ length: rows }, (_, i) => (i + 1) % 3) } : {}),
  };
}

function rejectsBadInput(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isBadInputError(error), `expected BadInputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('image shards round-trip as zero-copy views and encode deterministically', () => {
  const input = sampleInput(37, true);
  const bytes = encodeImageShard(input);
  assert.equal(sha256Hex(encodeImageShard(sampleInput(37, true))), sha256Hex(bytes));
  const shard = decodeImageShard(bytes, 'mem://weak/0', { datasetId: DATASET, split: 'weak', shape: [4, 3, 2], rows: 37, numClasses: 3 });
  assert.equal(shard.rows, 37);
  assert.deepEqual(shard.index, input.index);
  assert.deepEqual(shard.labels, input.labels);
  assert.deepEqual(shard.cleanLabels, input.cleanLabels);
  assert.deepEqual(shard.images, input.images);
  assert.equal(shard.images.buffer, bytes.buffer, 'image bytes are a view of the file, not a copy');
  assert.deepEqual(shard.metadata.classNames, ['cat', 'dog', 'emu']);
});

test('unlabeled shards read back without labels', () => {
  const shard = decodeImageShard(encodeImageShard({ ...sampleInput(5), labels: undefined }), 'mem://x');
  assert.equal(shard.labels, undefined);
  assert.equal(shard.cleanLabels, undefined);
});

test('readers check the shard against the manifest and name the URI', () => {
  const bytes = encodeImageShard(sampleInput(8));
  const uri = 'gs://bucket/datasets/x/weak/shard-00000.arrow';
  rejectsBadInput(() => decodeImageShard(bytes, uri, { rows: 9 }), /^gs:\/\/bucket\/datasets\/x\/weak\/shard-00000\.arrow: holds 8 rows, the manifest says 9$/);
  rejectsBadInput(() => decodeImageShard(bytes, uri, { shape: [28, 28, 1] }), /shard-00000\.arrow: holds images of shape \[4,3,2\], expected \[28,28,1\]/);
  rejectsBadInput(() => decodeImageShard(bytes, uri, { datasetId: 'c'.repeat(64) }), /belongs to dataset a+, expected c+/);
  rejectsBadInput(() => decodeImageShard(bytes, uri, { split: 'test' }), /belongs to split "weak", expected "test"/);
  rejectsBadInput(() => decodeImageShard(bytes, uri, { numClasses: 10 }), /names 3 classes, expected 10/);
  rejectsBadInput(() => decodeImageShard(new TextEncoder().encode('not arrow at all'), uri), /shard-00000\.arrow: not a readable Arrow IPC file|not an Arrow IPC file/);
  rejectsBadInput(() => decodeImageShard(bytes.subarray(0, bytes.length - 40), uri), /shard-00000\.arrow: /);
  const soft = encodeSoftLabelShard({ metadata: { teacherSha256: TEACHER, numClasses: 3, datasetId: DATASET, split: 'weak' }, index: new Uint32Array(2), logits: new Float32Array(6) });
  rejectsBadInput(() => decodeImageShard(soft, uri), /is a "w2s\.soft-labels\/1" file, expected an image shard/);
});

test('soft-label shards round-trip and join with image shards by index', () => {
  const images = decodeImageShard(encodeImageShard(sampleInput(6)), 'mem://images');
  const order = [5, 3, 1, 0, 2, 4];
  const index = Uint32Array.from(order, (row) => images.index[row]!);
  const logits = new Float32Array(6 * 3);
  order.forEach((row, i) => logits.set([row, row + 0.25, -row], i * 3));
  const bytes = encodeSoftLabelShard({ metadata: { teacherSha256: TEACHER, numClasses: 3, datasetId: DATASET, split: 'weak' }, index, logits });
  const soft = decodeSoftLabelShard(bytes, 'mem://soft', { teacherSha256: TEACHER, numClasses: 3, rows: 6 });
  assert.deepEqual(soft.logits, logits);
  const joined = joinSoftLabels(images, soft);
  for (let row = 0; row < 6; row++) assert.deepEqual(Array.from(joined.subarray(row * 3, row * 3 + 3)), [row, row + 0.25, -row]);

  rejectsBadInput(() => decodeSoftLabelShard(bytes, 'mem://soft', { teacherSha256: 'c'.repeat(64) }), /mem:\/\/soft: holds logits of teacher b+, expected c+/);
  rejectsBadInput(() => decodeSoftLabelShard(bytes, 'mem://soft', { numClasses: 10 }), /holds 3 logits per row, expected 10/);
  const shifted = encodeSoftLabelShard({
    metadata: { teacherSha256: TEACHER, numClasses: 3, datasetId: DATASET, split: 'weak' },
    index: Uint32Array.from(index, (v) => v + 1),
    logits,
  });
  rejectsBadInput(() => joinSoftLabels(images, decodeSoftLabelShard(shifted, 'mem://other-soft')), /^soft labels mem:\/\/other-soft for image shard mem:\/\/images: example index \d+ has no logits$/);
});

test('a shard written by w2s opens in pyarrow with the expected columns and values', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'w2s-pyarrow-'));
  try {
    const input = sampleInput(11, true);
    await writeFile(join(dir, 'images.arrow'), encodeImageShard(input));
    const logits = Float32Array.from({ length: 11 * 3 }, (_, i) => i / 4 - 2);
    await writeFile(join(dir, 'soft.arrow'), encodeSoftLabelShard({ metadata: { teacherSha256: TEACHER, numClasses: 3, datasetId: DATASET, split: 'weak' }, index: input.index, logits }));
    const script = `
import json, sys, pyarrow as pa, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1] + '/images.arrow').read_all()
s = ipc.open_file(sys.argv[1] + '/soft.arrow').read_all()
print(json.dumps({
  'schema': [[f.name, str(f.type), f.nullable] for f in t.schema],
  'meta': {k.decode(): v.decode() for k, v in t.schema.metadata.items()},
  'index': t.column('index').to_pylist(),
  'label': t.column('label').to_pylist(),
  'clean': t.column('clean_label').to_pylist(),
  'image_hex': b''.join(t.column('image').to_pylist()).hex(),
  'soft_schema': [[f.name, str(f.type)] for f in s.schema],
  'logits': s.column('logits').to_pylist(),
  'teacher': s.schema.metadata[b'w2s.teacher_sha256'].decode(),
}))`;
    const { stdout } = await run('python3', ['-c', script, dir]);
    const seen = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(seen.schema, [
      ['index', 'uint32', false],
      ['label', 'int16', true],
      ['image', 'fixed_size_binary[24]', false],
      ['clean_label', 'int16', true],
    ]);
    assert.deepEqual(seen.meta, {
      'w2s.format': 'w2s.image-shard/1',
      'w2s.dataset_id': DATASET,
      'w2s.split': 'weak',
      'w2s.shape': '[4,3,2]',
      'w2s.classes': '["cat","dog","emu"]',
    });
    assert.deepEqual(seen.index, Array.from(input.index));
    assert.deepEqual(seen.label, Array.from(input.labels!));
    assert.deepEqual(seen.clean, Array.from(input.cleanLabels!));
    assert.equal(seen.image_hex, Buffer.from(input.images).toString('hex'));
    assert.deepEqual(seen.soft_schema, [['index', 'uint32'], ['logits', 'fixed_size_list<item: float not null>[3]']]);
    assert.deepEqual((seen.logits as number[][]).flat(), Array.from(logits));
    assert.equal(seen.teacher, TEACHER);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
