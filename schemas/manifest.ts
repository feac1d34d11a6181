/**
 * The dataset manifest (`datasets/<datasetId>/manifest.json`) and the
 * ingestion options it records.
 *
 * `datasetId` is the sha256 of the manifest's canonical JSON with the id
 * itself and the shard digests left out: every shard embeds the id in its
 * metadata, so the id has to be known before the shard bytes exist. It
 * still pins the content, because it covers the source files' hashes, the
 * options, the writer format and every row count, and the shard bytes are
 * a deterministic function of those. Same source + same options = same id
 * and byte-identical shards.
 */
import { z } from 'zod';

/** Format names stamped in shard metadata (storage/arrow/schemas.ts holds the Arrow schemas). */
export const IMAGE_SHARD_FORMAT = 'w2s.image-shard/1';
export const SOFT_LABEL_SHARD_FORMAT = 'w2s.soft-labels/1';
/** Shards of a dataset whose examples are vectors (embeddings computed elsewhere): storage/arrow/embedding-shard.ts. */
export const EMBEDDING_SHARD_FORMAT = 'w2s.embedding-shard/1';

export type ImageShape = readonly [height: number, width: number, channels: number];

/** Source formats ingestion reads; `embeddings`: an Arrow IPC or Parquet file of vectors computed elsewhere (`index`, `label`, `embedding`). */
export const DATA_FORMATS = ['idx', 'cifar', 'folder', 'embeddings'] as const;
/** The formats whose examples are images (what pretraining and backbones read). */
export const IMAGE_DATA_FORMATS = ['idx', 'cifar', 'folder'] as const satisfies ReadonlyArray<(typeof DATA_FORMATS)[number]>;

/**
 * `pool`: training images set apart for pretraining, the only split whose
 * labels a pretraining may read (a stand-in for the data a foundation model
 * learned from elsewhere); teacher and students never see it. It exists only
 * where `splits.pool` asks for it, so datasets without one keep their ids.
 */
export const SPLIT_NAMES = ['weak', 'transfer', 'validation', 'test', 'pool'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
export const TRAINING_SPLITS: readonly SplitName[] = ['weak', 'transfer'];
/** The splits every dataset has; `pool` is there only when asked for. */
export const REQUIRED_SPLITS = ['weak', 'transfer', 'validation', 'test'] as const satisfies readonly SplitName[];

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex sha256');
const Count = z.number().int().min(0);
/** Largest image side a resize may ask for: one 4096x4096x3 image is 192 MiB as float32, already more than a batch should hold. */
export const MAX_IMAGE_SIDE = 4096;

export const LabelNoiseSchema = z
  .object({
    /** symmetric: a wrong class drawn uniformly; pairwise: class c becomes c+1 (mod K). */
    kind: z.enum(['symmetric', 'pairwise']).describe('symmetric: a wrong class drawn uniformly; pairwise: class c becomes c+1 (mod K)'),
    /** Fraction of each affected split whose label is changed (exactly round(rate * n) examples). */
    rate: z.number().min(0).max(1).describe('fraction of each affected split whose label is changed (exactly round(rate * n) examples)'),
    splits: z.array(z.enum(SPLIT_NAMES)).min(1).default([...TRAINING_SPLITS]).describe('splits whose labels are changed (never test)'),
  })
  .refine((noise) => noise.splits.every((split) => split !== 'test'), 'label noise never touches the test split');

/**
 * How a source becomes a dataset. Accepts the pipeline's `DatasetConfig`
 * as it is (unknown keys such as `source` and `format` are ignored).
 */
export const IngestOptionsSchema = z.object({
  /** Fractions of the source's training examples (the source's own test set is the test split). */
  splits: z
    .object({
      weak: z.number().min(0).max(1).default(0.5).describe('fraction the weak teacher trains on'),
      transfer: z.number().min(0).max(1).default(0.5).describe('fraction the teacher labels and the students train on'),
      validation: z.number().min(0).max(1).default(0).describe('fraction held out to choose sweep points and compare promotions on'),
      /** Set apart for supervised pretraining (`strong.init.pretrain.method: supervised`); absent: no pool. */
      pool: z.number().min(0).max(1).optional().describe('fraction set apart for pretraining (its labels are read only by supervised pretraining; teacher and students never see it)'),
      /** Held out first when the source has no test set of its own (image folders without train/ and test/). */
      test: z.number().min(0).max(1).default(0.2).describe('held out first when the source has no test set of its own (image folders without train/ and test/)'),
    })
    .refine((s) => s.weak + s.transfer + s.validation + (s.pool ?? 0) <= 1 + 1e-9, 'weak + transfer + validation + pool must be at most 1')
    .refine((s) => s.test < 1, 'test fraction must be below 1')
    .default({ weak: 0.5, transfer: 0.5, validation: 0, test: 0.2 })
    .describe("fractions of the source's training examples (weak + transfer + validation + pool at most 1; the source's own test set is the test split)"),
  /** Rows per shard file. */
  shardSize: z.number().int().positive().max(1_000_000).default(4096).describe('rows per shard file'),
  /** Use only the first N examples of the source's train and test sets. */
  limit: z
    .object({ train: z.number().int().positive().optional().describe('first N training examples'), test: z.number().int().positive().optional().describe('first N test examples') })
    .strict()
    .optional()
    .describe("use only the first N examples of the source's train and test sets"),
  /** Resize every image to this size (stretching, as torchvision's Resize((h, w)) does); required for folders of mixed sizes. */
  resize: z
    .object({ height: z.number().int().positive().max(MAX_IMAGE_SIDE).describe('pixels'), width: z.number().int().positive().max(MAX_IMAGE_SIDE).describe('pixels') })
    .strict()
    .optional()
    .describe("resize every image to this size (stretching, as torchvision's Resize((h, w)) does); required for folders of mixed sizes"),
  labelNoise: LabelNoiseSchema.optional().describe('change a fraction of the training labels, to study noisy supervision'),
  /**
   * Few-shot: keep N examples per class in each training split, or only in the
   * ones named (`splits: [weak]`: a teacher that sees few labels, students that see many images).
   */
  fewShot: z
    .object({
      perClass: z.number().int().positive().describe('examples kept per class'),
      splits: z
        .array(z.enum(['weak', 'transfer']))
        .min(1)
        .optional()
        .describe('the training splits it applies to (default both)'),
    })
    .strict()
    .optional()
    .describe('few-shot: keep N examples per class in each training split, or only in the ones named'),
  /** Image folders: 1 (grayscale) or 3 (RGB); by default 1 when every image is grayscale, else 3. */
  channels: z.union([z.literal(1), z.literal(3)]).optional().describe('image folders: 1 (grayscale) or 3 (RGB); by default 1 when every image is grayscale, else 3'),
  /** IDX: transpose each image (EMNIST stores them column-major); by default on for files named emnist-*. */
  transpose: z.boolean().optional().describe('IDX: transpose each image (EMNIST stores them column-major); by default on for files named emnist-*'),
  /** IDX: which file set to read when the folder holds several (`emnist-balanced-`). */
  idxPrefix: z.string().optional().describe('IDX: which file set to read when the folder holds several (emnist-balanced-)'),
  /** CIFAR-100: fine (100) or coarse (20) labels. */
  cifarLabels: z.enum(['fine', 'coarse']).default('fine').describe('CIFAR-100: fine (100) or coarse (20) labels'),
  /**
   * Keep only the examples of these classes (the source's label ids), relabelled
   * 0..k-1 in the order given: a task on part of a source's classes, or a
   * backbone pretrained on the others.
   */
  classes: z
    .array(z.number().int().min(0))
    .min(2, 'name at least two classes to tell apart')
    .refine((ids) => new Set(ids).size === ids.length, 'each class at most once')
    .optional()
    .describe("keep only the examples of these classes (the source's label ids), relabelled 0..k-1 in the order given"),
  /** Class names in label order, when the source does not name its classes. */
  classNames: z.array(z.string().min(1)).min(1).optional().describe('class names in label order, when the source does not name its classes'),
});
export type IngestOptions = z.infer<typeof IngestOptionsSchema>;
export type IngestOptionsInput = z.input<typeof IngestOptionsSchema>;

export const SourceFileSchema = z.object({ path: z.string(), sha256: Sha256, bytes: Count }).strict();

const TransformSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('limit'), train: Count.optional(), test: Count.optional() }).strict(),
  z.object({ kind: z.literal('transpose') }).strict(),
  z.object({ kind: z.literal('resize'), height: Count, width: Count, fit: z.literal('fill'), kernel: z.string() }).strict(),
  z.object({ kind: z.literal('channels'), channels: z.union([z.literal(1), z.literal(3)]) }).strict(),
  /** Only these source classes were kept; the one at position i is label i. */
  z.object({ kind: z.literal('classes'), keep: z.array(Count) }).strict(),
  z.object({ kind: z.literal('subsample'), perClass: Count, splits: z.array(z.enum(SPLIT_NAMES)) }).strict(),
  z
    .object({
      kind: z.literal('label-noise'),
      noise: z.enum(['symmetric', 'pairwise']),
      rate: z.number(),
      /** Labels changed per split; the originals are in each shard's `clean_label` column. */
      flipped: z.record(z.string(), Count),
    })
    .strict(),
]);
export type Transform = z.infer<typeof TransformSchema>;

export const ShardEntrySchema = z
  .object({
    /** Key relative to the dataset folder: `weak/shard-00000.arrow`. */
    path: z.string(),
    rows: Count,
    sha256: Sha256,
    bytes: Count,
  })
  .strict();

export const SplitEntrySchema = z
  .object({
    rows: Count,
    /** Examples per class (observed labels, after any label noise). */
    classCounts: z.array(Count),
    /** True when the shards carry a `clean_label` column (label noise applied). */
    cleanLabels: z.boolean(),
    shards: z.array(ShardEntrySchema),
  })
  .strict();
export type SplitEntry = z.infer<typeof SplitEntrySchema>;

/**
 * What the examples are, where they are not images: vectors (embeddings
 * computed elsewhere), `dim` float32 values each, stored as `shape`
 * [1, 1, dim]. Absent: images, so image datasets keep their ids.
 */
export const ExamplesSchema = z
  .object({
    kind: z.literal('embedding'),
    dim: z.number().int().positive(),
    dtype: z.literal('float32'),
    /** The source column's element type (float64 values are rounded to float32). */
    sourceDtype: z.enum(['float32', 'float64']),
  })
  .strict();
export type Examples = z.infer<typeof ExamplesSchema>;

export const ManifestSchema = z
  .object({
    version: z.literal(1),
    datasetId: Sha256,
    writer: z.enum([IMAGE_SHARD_FORMAT, EMBEDDING_SHARD_FORMAT]),
    examples: ExamplesSchema.optional(),
    source: z
      .object({
        format: z.enum(DATA_FORMATS),
        /** Examples in the source before any transform. */
        examples: z.object({ train: Count, test: Count }).strict(),
        /** Whether the test split is the source's own test set (else held out by `splits.test`). */
        ownTestSet: z.boolean(),
        /** Files read, relative to the source folder (large folders list only the fingerprint). */
        files: z.array(SourceFileSchema).optional(),
        fileCount: Count,
        /** sha256 over the sorted `path\tsha256` lines of every file read. */
        fingerprint: Sha256,
      })
      .strict(),
    seed: z.number().int().min(0),
    /** The resolved ingestion options. */
    options: IngestOptionsSchema,
    /** [height, width, channels] of every image. */
    shape: z.tuple([Count, Count, Count]),
    classes: z.array(z.string()),
    /** Per-channel mean and std of pixel values scaled to [0, 1], over the training splits. */
    normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()), splits: z.array(z.enum(SPLIT_NAMES)) }).strict(),
    transforms: z.array(TransformSchema),
    splits: z
      .object({ weak: SplitEntrySchema, transfer: SplitEntrySchema, validation: SplitEntrySchema, test: SplitEntrySchema, pool: SplitEntrySchema.optional() })
      .strict(),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

/** The splits a dataset has with their entries, in SPLIT_NAMES order (`pool` only where it was asked for). */
export function splitEntries(manifest: Pick<Manifest, 'splits'>): Array<readonly [SplitName, SplitEntry]> {
  return SPLIT_NAMES.flatMap((name) => {
    const entry = manifest.splits[name];
    return entry ? [[name, entry] as const] : [];
  });
}
