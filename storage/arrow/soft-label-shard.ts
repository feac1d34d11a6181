/**
 * Soft-label shards: a teacher's logits per example, keyed by the example's
 * index, with the teacher checkpoint's sha256 in the metadata. `joinSoftLabels`
 * lines them up with an image shard and refuses any mismatch, naming both URIs.
 */
import { FixedSizeList, Float32, makeData, Uint32 } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';
import { SHARD_METADATA_KEYS, SOFT_LABEL_COLUMNS, SOFT_LABEL_SHARD_FORMAT, softLabelShardSchema, type SoftLabelShardMetadata } from './schemas.js';
import type { ImageShard } from './image-shard.js';
import { column, isFloat32List, intValues, isUint32, metadataValue, parseIpcFile, toIpcFile } from './ipc.js';

export interface SoftLabelShardInput {
  readonly metadata: SoftLabelShardMetadata;
  readonly index: Uint32Array;
  /** `rows * numClasses` logits, row-major. */
  readonly logits: Float32Array;
}

export interface SoftLabelShard {
  readonly uri: string;
  readonly metadata: SoftLabelShardMetadata;
  readonly rows: number;
  readonly index: Uint32Array;
  readonly logits: Float32Array;
}

export interface SoftLabelExpectation {
  readonly teacherSha256?: string;
  readonly numClasses?: number;
  readonly datasetId?: string;
  readonly rows?: number;
}

export function encodeSoftLabelShard(input: SoftLabelShardInput): Uint8Array {
  const rows = input.index.length;
  const k = input.metadata.numClasses;
  if (input.logits.length !== rows * k) throw new RangeError(`soft-label shard: ${input.logits.length} logits for ${rows} rows of ${k} classes`);
  const schema = softLabelShardSchema(input.metadata);
  const listType = schema.fields[1]!.type as FixedSizeList<Float32>;
  const values = makeData({ type: new Float32(), length: rows * k, nullCount: 0, data: input.logits });
  return toIpcFile(
    schema,
    [makeData({ type: new Uint32(), length: rows, nullCount: 0, data: input.index }), makeData({ type: listType, length: rows, nullCount: 0, child: values })],
    rows,
  );
}

export function decodeSoftLabelShard(bytes: Uint8Array, uri: string, expected: SoftLabelExpectation = {}): SoftLabelShard {
  const table = parseIpcFile(bytes, uri);
  const format = metadataValue(table, SHARD_METADATA_KEYS.format, uri);
  if (format !== SOFT_LABEL_SHARD_FORMAT) throw new BadInputError(uri, `is a "${format}" file, expected a soft-label shard (${SOFT_LABEL_SHARD_FORMAT})`);
  const numClasses = Number(metadataValue(table, SHARD_METADATA_KEYS.numClasses, uri));
  const metadata: SoftLabelShardMetadata = {
    teacherSha256: metadataValue(table, SHARD_METADATA_KEYS.teacher, uri),
    numClasses,
    datasetId: metadataValue(table, SHARD_METADATA_KEYS.datasetId, uri),
    split: metadataValue(table, SHARD_METADATA_KEYS.split, uri),
  };
  if (expected.teacherSha256 !== undefined && metadata.teacherSha256 !== expected.teacherSha256) {
    throw new BadInputError(uri, `holds logits of teacher ${metadata.teacherSha256}, expected ${expected.teacherSha256}`);
  }
  if (expected.datasetId !== undefined && metadata.datasetId !== expected.datasetId) throw new BadInputError(uri, `belongs to dataset ${metadata.datasetId}, expected ${expected.datasetId}`);
  if (expected.numClasses !== undefined && numClasses !== expected.numClasses) throw new BadInputError(uri, `holds ${numClasses} logits per row, expected ${expected.numClasses}`);
  const index = column(table, SOFT_LABEL_COLUMNS.index, uri, isUint32, 'uint32');
  const logits = column(
    table,
    SOFT_LABEL_COLUMNS.logits,
    uri,
    isFloat32List(numClasses),
    `fixed_size_list<float32>[${numClasses}]`,
  );
  if (expected.rows !== undefined && table.numRows !== expected.rows) throw new BadInputError(uri, `holds ${table.numRows} rows, expected ${expected.rows}`);
  return { uri, metadata, rows: table.numRows, index: intValues(index, Uint32Array), logits: listValues(logits.data, numClasses, table.numRows) };
}

function listValues(chunks: ReadonlyArray<{ offset: number; length: number; children: ReadonlyArray<{ values: unknown; offset: number }> }>, k: number, rows: number): Float32Array {
  const parts = chunks.map((data) => {
    const child = data.children[0]!;
    const start = child.offset + data.offset * k;
    return (child.values as Float32Array).subarray(start, start + data.length * k);
  });
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(rows * k);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The teacher logits of each row of `images`, in its row order. Refuses a
 * shard pair whose example indices differ or whose dataset differs.
 */
export function joinSoftLabels(images: ImageShard, soft: SoftLabelShard): Float32Array {
  const where = `soft labels ${soft.uri} for image shard ${images.uri}`;
  if (soft.metadata.datasetId !== images.metadata.datasetId) {
    throw new BadInputError(where, `dataset ids differ (${soft.metadata.datasetId} vs ${images.metadata.datasetId})`);
  }
  if (soft.rows !== images.rows) throw new BadInputError(where, `row counts differ (${soft.rows} vs ${images.rows})`);
  const k = soft.metadata.numClasses;
  if (soft.index.every((value, i) => value === images.index[i])) return soft.logits;
  const rowOf = new Map<number, number>();
  soft.index.forEach((value, row) => rowOf.set(value, row));
  const out = new Float32Array(images.rows * k);
  for (let i = 0; i < images.rows; i++) {
    const row = rowOf.get(images.index[i]!);
    if (row === undefined) throw new BadInputError(where, `example index ${images.index[i]} has no logits`);
    out.set(soft.logits.subarray(row * k, row * k + k), i * k);
  }
  return out;
}
