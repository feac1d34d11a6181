/**
 * Feature shards: a frozen backbone's feature vector per example, keyed by
 * the example's index, with the backbone's content hash in the metadata, so
 * that students trained in `probe` mode read features instead of images.
 *
 *   index: uint32, features: fixed_size_list<float32>[D]
 *   metadata: w2s.format = w2s.features/1, w2s.backbone_sha256, w2s.feature_dim,
 *             w2s.dataset_id, w2s.split
 *
 * The reader checks the schema and the expected backbone, dimension,
 * dataset and row count, and names the URI in every error.
 */
import { Field, FixedSizeList, Float32, makeData, Schema, Uint32 } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';
import { SHARD_METADATA_KEYS } from './schemas.js';
import { column, isFloat32List, intValues, isUint32, metadataValue, parseIpcFile, toIpcFile } from './ipc.js';

export const FEATURE_SHARD_FORMAT = 'w2s.features/1';
export const FEATURE_COLUMNS = { index: 'index', features: 'features' } as const;
export const FEATURE_METADATA_KEYS = {
  /** Content hash of the backbone that computed the features. */
  backbone: 'w2s.backbone_sha256',
  featureDim: 'w2s.feature_dim',
} as const;

export interface FeatureShardMetadata {
  readonly backboneSha256: string;
  readonly featureDim: number;
  readonly datasetId: string;
  readonly split: string;
}

export interface FeatureShardInput {
  readonly metadata: FeatureShardMetadata;
  readonly index: Uint32Array;
  /** `rows * featureDim` values, row-major. */
  readonly features: Float32Array;
}

export interface FeatureShard {
  readonly uri: string;
  readonly metadata: FeatureShardMetadata;
  readonly rows: number;
  readonly index: Uint32Array;
  readonly features: Float32Array;
}

export interface FeatureShardExpectation {
  readonly backboneSha256?: string;
  readonly featureDim?: number;
  readonly datasetId?: string;
  readonly split?: string;
  readonly rows?: number;
}

export function featureShardSchema(metadata: FeatureShardMetadata): Schema {
  return new Schema(
    [
      new Field(FEATURE_COLUMNS.index, new Uint32(), false),
      new Field(FEATURE_COLUMNS.features, new FixedSizeList(metadata.featureDim, new Field('item', new Float32(), false)), false),
    ],
    new Map([
      [SHARD_METADATA_KEYS.format, FEATURE_SHARD_FORMAT],
      [SHARD_METADATA_KEYS.datasetId, metadata.datasetId],
      [SHARD_METADATA_KEYS.split, metadata.split],
      [FEATURE_METADATA_KEYS.backbone, metadata.backboneSha256],
      [FEATURE_METADATA_KEYS.featureDim, String(metadata.featureDim)],
    ]),
  );
}

export function encodeFeatureShard(input: FeatureShardInput): Uint8Array {
  const rows = input.index.length;
  const d = input.metadata.featureDim;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`feature shard: feature dimension must be a positive integer, got ${d}`);
  if (input.features.length !== rows * d) throw new RangeError(`feature shard: ${input.features.length} values for ${rows} rows of ${d} features`);
  const schema = featureShardSchema(input.metadata);
  const listType = schema.fields[1]!.type as FixedSizeList<Float32>;
  const values = makeData({ type: new Float32(), length: rows * d, nullCount: 0, data: input.features });
  return toIpcFile(
    schema,
    [makeData({ type: new Uint32(), length: rows, nullCount: 0, data: input.index }), makeData({ type: listType, length: rows, nullCount: 0, child: values })],
    rows,
  );
}

export function decodeFeatureShard(bytes: Uint8Array, uri: string, expected: FeatureShardExpectation = {}): FeatureShard {
  const table = parseIpcFile(bytes, uri);
  const format = metadataValue(table, SHARD_METADATA_KEYS.format, uri);
  if (format !== FEATURE_SHARD_FORMAT) throw new BadInputError(uri, `is a "${format}" file, expected a feature shard (${FEATURE_SHARD_FORMAT})`);
  const featureDim = Number(metadataValue(table, FEATURE_METADATA_KEYS.featureDim, uri));
  if (!Number.isInteger(featureDim) || featureDim < 1) throw new BadInputError(uri, `metadata ${FEATURE_METADATA_KEYS.featureDim} is not a positive integer`);
  const metadata: FeatureShardMetadata = {
    backboneSha256: metadataValue(table, FEATURE_METADATA_KEYS.backbone, uri),
    featureDim,
    datasetId: metadataValue(table, SHARD_METADATA_KEYS.datasetId, uri),
    split: metadataValue(table, SHARD_METADATA_KEYS.split, uri),
  };
  if (expected.backboneSha256 !== undefined && metadata.backboneSha256 !== expected.backboneSha256) {
    throw new BadInputError(uri, `holds features of backbone ${metadata.backboneSha256}, expected ${expected.backboneSha256}`);
  }
  if (expected.featureDim !== undefined && featureDim !== expected.featureDim) throw new BadInputError(uri, `holds ${featureDim} features per row, expected ${expected.featureDim}`);
  if (expected.datasetId !== undefined && metadata.datasetId !== expected.datasetId) throw new BadInputError(uri, `belongs to dataset ${metadata.datasetId}, expected ${expected.datasetId}`);
  if (expected.split !== undefined && metadata.split !== expected.split) throw new BadInputError(uri, `belongs to split ${metadata.split}, expected ${expected.split}`);
  const index = column(table, FEATURE_COLUMNS.index, uri, isUint32, 'uint32');
  const features = column(
    table,
    FEATURE_COLUMNS.features,
    uri,
    isFloat32List(featureDim),
    `fixed_size_list<float32>[${featureDim}]`,
  );
  if (features.nullCount > 0 || index.nullCount > 0) throw new BadInputError(uri, 'has null rows; every example has an index and a feature vector');
  if (expected.rows !== undefined && table.numRows !== expected.rows) throw new BadInputError(uri, `holds ${table.numRows} rows, expected ${expected.rows}`);
  return { uri, metadata, rows: table.numRows, index: intValues(index, Uint32Array), features: listValues(features.data, featureDim, table.numRows) };
}

function listValues(chunks: ReadonlyArray<{ offset: number; length: number; children: ReadonlyArray<{ values: unknown; offset: number }> }>, d: number, rows: number): Float32Array {
  const out = new Float32Array(rows * d);
  let at = 0;
  for (const data of chunks) {
    const child = data.children[0]!;
    const start = child.offset + data.offset * d;
    out.set((child.values as Float32Array).subarray(start, start + data.length * d), at);
    at += data.length * d;
  }
  return out;
}
