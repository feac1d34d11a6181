import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBadInputError } from '../../core/errors.js';
import { decodeFeatureShard, encodeFeatureShard, FEATURE_SHARD_FORMAT } from '../../storage/arrow/feature-shard.js';
import { encodeSoftLabelShard } from '../../storage/arrow/soft-label-shard.js';

const BACKBONE = 'b'.repeat(64);
const DATASET = 'd'.repeat(64);

function shard(rows: number, dim: number): { index: Uint32Array; features: Float32Array; bytes: Uint8Array } {
  const index = Uint32Array.from({ length: rows }, (_, i) => 1000 + 7 * i);
  const features = Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i) * 3);
  const bytes = encodeFeatureShard({ metadata: { backboneSha256: BACKBONE, featureDim: dim, datasetId: DATASET, split: 'transfer' }, index, features });
  return { index, features, bytes };
}

function rejectsBadInput(run: () => unknown, message: RegExp, uri: string): void {
  assert.throws(run, (e: unknown) => isBadInputError(e) && message.test((e as Error).message) && (e as Error).message.includes(uri));
}

test('a feature shard round-trips its index, vectors and metadata, and the same input gives the same bytes', () => {
  const { index, features, bytes } = shard(37, 24);
  const decoded = decodeFeatureShard(bytes, 'gs://b/features/transfer/shard-00000.arrow', { backboneSha256: BACKBONE, featureDim: 24, datasetId: DATASET, split: 'transfer', rows: 37 });
  assert.equal(decoded.rows, 37);
  assert.deepEqual(decoded.index, index);
  assert.deepEqual(decoded.features, features);
  assert.deepEqual(decoded.metadata, { backboneSha256: BACKBONE, featureDim: 24, datasetId: DATASET, split: 'transfer' });
  assert.deepEqual(shard(37, 24).bytes, bytes);
  assert.equal(FEATURE_SHARD_FORMAT, 'w2s.features/1');
});

test('the reader refuses another backbone, dimension, dataset, split, row count or file kind, naming the URI', () => {
  const uri = 'file:///tmp/features/shard-00003.arrow';
  const { bytes } = shard(5, 8);
  rejectsBadInput(() => decodeFeatureShard(bytes, uri, { backboneSha256: 'c'.repeat(64) }), /features of backbone b+, expected c+/, uri);
  rejectsBadInput(() => decodeFeatureShard(bytes, uri, { featureDim: 16 }), /8 features per row, expected 16/, uri);
  rejectsBadInput(() => decodeFeatureShard(bytes, uri, { datasetId: 'e'.repeat(64) }), /belongs to dataset d+, expected e+/, uri);
  rejectsBadInput(() => decodeFeatureShard(bytes, uri, { split: 'weak' }), /split transfer, expected weak/, uri);
  rejectsBadInput(() => decodeFeatureShard(bytes, uri, { rows: 6 }), /holds 5 rows, expected 6/, uri);
  rejectsBadInput(() => decodeFeatureShard(bytes.subarray(0, 40), uri, {}), /not a readable Arrow IPC file|not an Arrow IPC file/, uri);
  const soft = encodeSoftLabelShard({ metadata: { teacherSha256: BACKBONE, numClasses: 3, datasetId: DATASET, split: 'weak' }, index: new Uint32Array(2), logits: new Float32Array(6) });
  rejectsBadInput(() => decodeFeatureShard(soft, uri), /expected a feature shard/, uri);
  assert.throws(() => encodeFeatureShard({ metadata: { backboneSha256: BACKBONE, featureDim: 4, datasetId: DATASET, split: 'x' }, index: new Uint32Array(3), features: new Float32Array(11) }), /11 values for 3 rows of 4 features/);
});
