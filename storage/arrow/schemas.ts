/**
 * Arrow schemas of the shards w2s writes (Arrow IPC files).
 *
 * Image shard: `index: uint32` (stable example id across the dataset),
 * `label: int16` (nullable: unlabeled examples), `image: fixed_size_binary[H*W*C]`
 * (uint8, HWC), and `clean_label: int16` only in splits whose labels were
 * corrupted on purpose (label-noise transform), so evaluation can tell.
 *
 * Soft-label shard: `index: uint32`, `logits: fixed_size_list<float32>[K]`.
 *
 * Schema metadata (string values, JSON where structured) says what the
 * shard holds, so a shard read on its own can still be checked.
 */
import { Field, FixedSizeBinary, FixedSizeList, Float32, Int16, Schema, Uint32 } from 'apache-arrow';
import type { ImageShape } from '../../schemas/manifest.js';

import { IMAGE_SHARD_FORMAT, SOFT_LABEL_SHARD_FORMAT } from '../../schemas/manifest.js';

export { IMAGE_SHARD_FORMAT, SOFT_LABEL_SHARD_FORMAT };

export const SHARD_METADATA_KEYS = {
  format: 'w2s.format',
  datasetId: 'w2s.dataset_id',
  split: 'w2s.split',
  /** JSON `[height, width, channels]`. */
  shape: 'w2s.shape',
  /** JSON array of class names, index = label. */
  classes: 'w2s.classes',
  /** sha256 of the teacher checkpoint that produced the logits. */
  teacher: 'w2s.teacher_sha256',
  numClasses: 'w2s.num_classes',
} as const;

export const IMAGE_COLUMNS = { index: 'index', label: 'label', image: 'image', cleanLabel: 'clean_label' } as const;
export const SOFT_LABEL_COLUMNS = { index: 'index', logits: 'logits' } as const;

export interface ImageShardMetadata {
  readonly datasetId: string;
  readonly split: string;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
}

export interface SoftLabelShardMetadata {
  readonly teacherSha256: string;
  readonly numClasses: number;
  readonly datasetId: string;
  readonly split: string;
}

export function imageShardSchema(metadata: ImageShardMetadata, withCleanLabels: boolean): Schema {
  const [height, width, channels] = metadata.shape;
  const fields = [
    new Field(IMAGE_COLUMNS.index, new Uint32(), false),
    new Field(IMAGE_COLUMNS.label, new Int16(), true),
    new Field(IMAGE_COLUMNS.image, new FixedSizeBinary(height * width * channels), false),
    ...(withCleanLabels ? [new Field(IMAGE_COLUMNS.cleanLabel, new Int16(), true)] : []),
  ];
  return new Schema(
    fields,
    new Map([
      [SHARD_METADATA_KEYS.format, IMAGE_SHARD_FORMAT],
      [SHARD_METADATA_KEYS.datasetId, metadata.datasetId],
      [SHARD_METADATA_KEYS.split, metadata.split],
      [SHARD_METADATA_KEYS.shape, JSON.stringify(metadata.shape)],
      [SHARD_METADATA_KEYS.classes, JSON.stringify(metadata.classNames)],
    ]),
  );
}

export function softLabelShardSchema(metadata: SoftLabelShardMetadata): Schema {
  const fields = [
    new Field(SOFT_LABEL_COLUMNS.index, new Uint32(), false),
    new Field(SOFT_LABEL_COLUMNS.logits, new FixedSizeList(metadata.numClasses, new Field('item', new Float32(), false)), false),
  ];
  return new Schema(
    fields,
    new Map([
      [SHARD_METADATA_KEYS.format, SOFT_LABEL_SHARD_FORMAT],
      [SHARD_METADATA_KEYS.datasetId, metadata.datasetId],
      [SHARD_METADATA_KEYS.split, metadata.split],
      [SHARD_METADATA_KEYS.teacher, metadata.teacherSha256],
      [SHARD_METADATA_KEYS.numClasses, String(metadata.numClasses)],
    ]),
  );
}
