/**
 * Embedding shards: the shards of a dataset whose examples are vectors
 * (embeddings computed elsewhere), one row per example.
 *
 *   index: uint32, label: int16, embedding: fixed_size_list<float32>[D]
 *   (+ clean_label: int16 where label noise was injected)
 *   metadata: w2s.format = w2s.embedding-shard/1, w2s.dataset_id, w2s.split,
 *             w2s.embedding_dim, w2s.classes
 *
 * The feature-shard layout (index + fixed-size float32 list) with the
 * labels an image shard carries: a dataset's shards hold its ground truth,
 * a feature shard does not. The reader checks the schema and the expected
 * dataset, split, dimension and row count, and names the URI in every error.
 */
import { Field, FixedSizeList, Float32, Int16, makeData, Schema, Uint32 } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';
import { EMBEDDING_SHARD_FORMAT } from '../../schemas/manifest.js';
import { column, isFloat32List, intValues, isInt16, isUint32, metadataJson, metadataValue, parseIpcFile, toIpcFile } from './ipc.js';
import { SHARD_METADATA_KEYS } from './schemas.js';

export const EMBEDDING_COLUMNS = { index: 'index', label: 'label', embedding: 'embedding', cleanLabel: 'clean_label' } as const;
export const EMBEDDING_DIM_KEY = 'w2s.embedding_dim';

export interface EmbeddingShardMetadata {
  readonly datasetId: string;
  readonly split: string;
  readonly dim: number;
  readonly classNames: readonly string[];
}

export interface EmbeddingShardInput {
  readonly metadata: EmbeddingShardMetadata;
  readonly index: Uint32Array;
  readonly labels: Int16Array;
  /** `rows * dim` values, row-major. */
  readonly vectors: Float32Array;
  /** The labels before injected label noise. */
  readonly cleanLabels?: Int16Array;
}

export interface EmbeddingShard {
  readonly uri: string;
  readonly metadata: EmbeddingShardMetadata;
  readonly rows: number;
  readonly index: Uint32Array;
  readonly labels: Int16Array;
  readonly vectors: Float32Array;
}

export interface EmbeddingShardExpectation {
  readonly datasetId?: string;
  readonly split?: string;
  readonly dim?: number;
  readonly rows?: number;
}

function embeddingShardSchema(metadata: EmbeddingShardMetadata, withCleanLabels: boolean): Schema {
  return new Schema(
    [
      new Field(EMBEDDING_COLUMNS.index, new Uint32(), false),
      new Field(EMBEDDING_COLUMNS.label, new Int16(), false),
      new Field(EMBEDDING_COLUMNS.embedding, new FixedSizeList(metadata.dim, new Field('item', new Float32(), false)), false),
      ...(withCleanLabels ? [new Field(EMBEDDING_COLUMNS.cleanLabel, new Int16(), false)] : []),
    ],
    new Map([
      [SHARD_METADATA_KEYS.format, EMBEDDING_SHARD_FORMAT],
      [SHARD_METADATA_KEYS.datasetId, metadata.datasetId],
      [SHARD_METADATA_KEYS.split, metadata.split],
      [EMBEDDING_DIM_KEY, String(metadata.dim)],
      [SHARD_METADATA_KEYS.classes, JSON.stringify(metadata.classNames)],
    ]),
  );
}

export function encodeEmbeddingShard(input: EmbeddingShardInput): Uint8Array {
  const rows = input.index.length;
  const d = input.metadata.dim;
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`embedding shard: dimension must be a positive integer, got ${d}`);
  if (input.vectors.length !== rows * d) throw new RangeError(`embedding shard: ${input.vectors.length} values for ${rows} rows of ${d}`);
  if (input.labels.length !== rows || (input.cleanLabels && input.cleanLabels.length !== rows)) throw new RangeError(`embedding shard: labels for ${input.labels.length} rows, index for ${rows}`);
  const schema = embeddingShardSchema(input.metadata, input.cleanLabels !== undefined);
  const listType = schema.fields[2]!.type as FixedSizeList<Float32>;
  const int16 = (values: Int16Array) => makeData({ type: new Int16(), length: rows, nullCount: 0, data: values });
  return toIpcFile(
    schema,
    [
      makeData({ type: new Uint32(), length: rows, nullCount: 0, data: input.index }),
      int16(input.labels),
      makeData({ type: listType, length: rows, nullCount: 0, child: makeData({ type: new Float32(), length: rows * d, nullCount: 0, data: input.vectors }) }),
      ...(input.cleanLabels ? [int16(input.cleanLabels)] : []),
    ],
    rows,
  );
}

export function decodeEmbeddingShard(bytes: Uint8Array, uri: string, expected: EmbeddingShardExpectation = {}): EmbeddingShard {
  const table = parseIpcFile(bytes, uri);
  const format = metadataValue(table, SHARD_METADATA_KEYS.format, uri);
  if (format !== EMBEDDING_SHARD_FORMAT) throw new BadInputError(uri, `is a "${format}" file, expected an embedding shard (${EMBEDDING_SHARD_FORMAT})`);
  const dim = Number(metadataValue(table, EMBEDDING_DIM_KEY, uri));
  if (!Number.isInteger(dim) || dim < 1) throw new BadInputError(uri, `metadata ${EMBEDDING_DIM_KEY} is not a positive integer`);
  const classNames = metadataJson(table, SHARD_METADATA_KEYS.classes, uri);
  if (!Array.isArray(classNames) || !classNames.every((c) => typeof c === 'string')) throw new BadInputError(uri, `schema metadata "${SHARD_METADATA_KEYS.classes}" must be a list of names`);
  const metadata: EmbeddingShardMetadata = { datasetId: metadataValue(table, SHARD_METADATA_KEYS.datasetId, uri), split: metadataValue(table, SHARD_METADATA_KEYS.split, uri), dim, classNames: classNames as string[] };
  if (expected.datasetId !== undefined && metadata.datasetId !== expected.datasetId) throw new BadInputError(uri, `belongs to dataset ${metadata.datasetId}, expected ${expected.datasetId}`);
  if (expected.split !== undefined && metadata.split !== expected.split) throw new BadInputError(uri, `belongs to split "${metadata.split}", expected "${expected.split}"`);
  if (expected.dim !== undefined && dim !== expected.dim) throw new BadInputError(uri, `holds vectors of ${dim} values, expected ${expected.dim}`);
  const index = column(table, EMBEDDING_COLUMNS.index, uri, isUint32, 'uint32');
  const label = column(table, EMBEDDING_COLUMNS.label, uri, isInt16, 'int16');
  const vectors = column(
    table,
    EMBEDDING_COLUMNS.embedding,
    uri,
    isFloat32List(dim),
    `fixed_size_list<float32>[${dim}]`,
  );
  if (index.nullCount > 0 || label.nullCount > 0 || vectors.nullCount > 0) throw new BadInputError(uri, 'has null rows; every example has an index, a label and a vector');
  if (expected.rows !== undefined && table.numRows !== expected.rows) throw new BadInputError(uri, `holds ${table.numRows} rows, the manifest says ${expected.rows}`);
  const values = new Float32Array(table.numRows * dim);
  let at = 0;
  for (const data of vectors.data) {
    const child = data.children[0]!;
    const start = child.offset + data.offset * dim;
    values.set((child.values as Float32Array).subarray(start, start + data.length * dim), at);
    at += data.length * dim;
  }
  return { uri, metadata, rows: table.numRows, index: intValues(index, Uint32Array), labels: intValues(label, Int16Array), vectors: values };
}
