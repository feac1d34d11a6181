/**
 * Image shards: writing them from typed arrays and reading them back as
 * zero-copy views, checked against what the caller (the manifest) expects.
 * Every error names the shard's URI.
 */
import { DataType, FixedSizeBinary, Int16, makeData, Uint32, type Type } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';
import type { ImageShape } from '../../schemas/manifest.js';
import { IMAGE_COLUMNS, IMAGE_SHARD_FORMAT, imageShardSchema, SHARD_METADATA_KEYS, type ImageShardMetadata } from './schemas.js';
import { column, fixedBinaryBytes, intValues, isInt16, isUint32, metadataJson, metadataValue, parseIpcFile, toIpcFile, validity } from './ipc.js';

export interface ImageShardInput {
  readonly metadata: ImageShardMetadata;
  readonly index: Uint32Array;
  /** One label per row; `undefined` writes an unlabeled shard (all labels null). */
  readonly labels?: Int16Array;
  /** HWC uint8 images, rows back to back. */
  readonly images: Uint8Array;
  /** Original labels of a split whose `labels` were corrupted on purpose. */
  readonly cleanLabels?: Int16Array;
}

export interface ImageShard {
  readonly uri: string;
  readonly metadata: ImageShardMetadata;
  readonly rows: number;
  readonly index: Uint32Array;
  /** Labels (-1 where null), or undefined when the shard has none. */
  readonly labels: Int16Array | undefined;
  readonly cleanLabels: Int16Array | undefined;
  /** All images, `rows * H * W * C` bytes, a view of the file's bytes. */
  readonly images: Uint8Array;
  readonly imageBytes: number;
}

export interface ImageShardExpectation {
  readonly datasetId?: string;
  readonly split?: string;
  readonly shape?: ImageShape;
  readonly rows?: number;
  readonly numClasses?: number;
}

export function encodeImageShard(input: ImageShardInput): Uint8Array {
  const rows = input.index.length;
  const [height, width, channels] = input.metadata.shape;
  const imageBytes = height * width * channels;
  const where = `image shard ${input.metadata.datasetId}/${input.metadata.split}`;
  if (input.images.length !== rows * imageBytes) throw new RangeError(`${where}: ${input.images.length} image bytes for ${rows} rows of ${imageBytes}`);
  if (input.labels && input.labels.length !== rows) throw new RangeError(`${where}: ${input.labels.length} labels for ${rows} rows`);
  if (input.cleanLabels && input.cleanLabels.length !== rows) throw new RangeError(`${where}: ${input.cleanLabels.length} clean labels for ${rows} rows`);
  const schema = imageShardSchema(input.metadata, input.cleanLabels !== undefined);
  const columns = [
    makeData({ type: new Uint32(), length: rows, nullCount: 0, data: input.index }),
    input.labels
      ? makeData({ type: new Int16(), length: rows, nullCount: 0, data: input.labels })
      : makeData({ type: new Int16(), length: rows, nullCount: rows, data: new Int16Array(rows), nullBitmap: new Uint8Array(Math.ceil(rows / 8)) }),
    makeData({ type: new FixedSizeBinary(imageBytes), length: rows, nullCount: 0, data: input.images }),
    ...(input.cleanLabels ? [makeData({ type: new Int16(), length: rows, nullCount: 0, data: input.cleanLabels })] : []),
  ];
  return toIpcFile(schema, columns, rows);
}

export function decodeImageShard(bytes: Uint8Array, uri: string, expected: ImageShardExpectation = {}): ImageShard {
  const table = parseIpcFile(bytes, uri);
  const format = metadataValue(table, SHARD_METADATA_KEYS.format, uri);
  if (format !== IMAGE_SHARD_FORMAT) throw new BadInputError(uri, `is a "${format}" file, expected an image shard (${IMAGE_SHARD_FORMAT})`);
  const metadata = readMetadata(table, uri);
  checkExpected(metadata, expected, uri);

  const [height, width, channels] = metadata.shape;
  const imageBytes = height * width * channels;
  const index = column(table, IMAGE_COLUMNS.index, uri, isUint32, 'uint32');
  const label = column(table, IMAGE_COLUMNS.label, uri, isInt16, 'int16');
  const image = column(table, IMAGE_COLUMNS.image, uri, (t): t is DataType<Type.FixedSizeBinary> => DataType.isFixedSizeBinary(t), `fixed_size_binary[${imageBytes}]`);
  if ((image.type as FixedSizeBinary).byteWidth !== imageBytes) {
    throw new BadInputError(uri, `image column holds ${(image.type as FixedSizeBinary).byteWidth} bytes per row, but the shape ${JSON.stringify(metadata.shape)} needs ${imageBytes}`);
  }
  const rows = table.numRows;
  if (expected.rows !== undefined && rows !== expected.rows) throw new BadInputError(uri, `holds ${rows} rows, the manifest says ${expected.rows}`);

  const cleanVector = table.schema.fields.some((f) => f.name === IMAGE_COLUMNS.cleanLabel) ? column(table, IMAGE_COLUMNS.cleanLabel, uri, isInt16, 'int16') : undefined;
  const labels = label.nullCount === rows ? undefined : withNulls(intValues(label, Int16Array), validity(label));
  return {
    uri,
    metadata,
    rows,
    index: intValues(index, Uint32Array),
    labels,
    cleanLabels: cleanVector ? withNulls(intValues(cleanVector, Int16Array), validity(cleanVector)) : undefined,
    images: fixedBinaryBytes(image, imageBytes),
    imageBytes,
  };
}

function readMetadata(table: ReturnType<typeof parseIpcFile>, uri: string): ImageShardMetadata {
  const shape = metadataJson(table, SHARD_METADATA_KEYS.shape, uri);
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new BadInputError(uri, `schema metadata "${SHARD_METADATA_KEYS.shape}" must be [height, width, channels], found ${JSON.stringify(shape)}`);
  }
  const classNames = metadataJson(table, SHARD_METADATA_KEYS.classes, uri);
  if (!Array.isArray(classNames) || !classNames.every((c) => typeof c === 'string')) {
    throw new BadInputError(uri, `schema metadata "${SHARD_METADATA_KEYS.classes}" must be a list of names`);
  }
  return {
    datasetId: metadataValue(table, SHARD_METADATA_KEYS.datasetId, uri),
    split: metadataValue(table, SHARD_METADATA_KEYS.split, uri),
    shape: shape as unknown as ImageShape,
    classNames: classNames as string[],
  };
}

function checkExpected(metadata: ImageShardMetadata, expected: ImageShardExpectation, uri: string): void {
  if (expected.datasetId !== undefined && metadata.datasetId !== expected.datasetId) {
    throw new BadInputError(uri, `belongs to dataset ${metadata.datasetId}, expected ${expected.datasetId}`);
  }
  if (expected.split !== undefined && metadata.split !== expected.split) throw new BadInputError(uri, `belongs to split "${metadata.split}", expected "${expected.split}"`);
  if (expected.shape !== undefined && JSON.stringify(metadata.shape) !== JSON.stringify(expected.shape)) {
    throw new BadInputError(uri, `holds images of shape ${JSON.stringify(metadata.shape)}, expected ${JSON.stringify(expected.shape)}`);
  }
  if (expected.numClasses !== undefined && metadata.classNames.length !== expected.numClasses) {
    throw new BadInputError(uri, `names ${metadata.classNames.length} classes, expected ${expected.numClasses}`);
  }
}

/** Marks null rows with -1 (copying only when there are nulls). */
function withNulls(values: Int16Array, valid: Uint8Array | undefined): Int16Array {
  if (!valid) return values;
  const out = Int16Array.from(values);
  for (let i = 0; i < out.length; i++) if (!valid[i]) out[i] = -1;
  return out;
}
