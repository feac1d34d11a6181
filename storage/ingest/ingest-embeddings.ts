/**
 * Ingest of an embeddings source: vectors computed elsewhere (one Arrow IPC or Parquet
 * file with `index`, `label`, `embedding`) become a dataset whose examples
 * are vectors, with the same splits, manifest and determinism as images.
 *
 * The file is read and checked whole before anything is stored
 * (storage/readers/embedding-file.ts); the splits come from the same pure
 * plan as images (plan.ts), the file has no test set of its own, so
 * `splits.test` is held out first. Shards are embedding shards
 * (storage/arrow/embedding-shard.ts), written before the manifest, as
 * ingestDataset writes images.
 */
import { BadInputError } from '../../core/errors.js';
import { EMBEDDING_SHARD_FORMAT, TRAINING_SPLITS, type IngestOptions, type Manifest, type Transform } from '../../schemas/manifest.js';
import { encodeEmbeddingShard } from '../arrow/embedding-shard.js';
import { readEmbeddingFile, type EmbeddingFile } from '../readers/embedding-file.js';
import { resolveClassNames } from '../readers/source.js';
import { openSourceTree } from '../readers/source-tree.js';
import { fingerprintOf, LISTED_FILES, parseOptions, type IngestRequest } from './ingest.js';
import { planSplits, type Plan } from './plan.js';
import { draftSplits, writeDataset } from './write-dataset.js';

/** Ingest options that only mean something for images. */
const IMAGE_OPTIONS = ['resize', 'channels', 'transpose', 'idxPrefix'] as const;

export async function ingestEmbeddings(request: IngestRequest): Promise<Manifest> {
  const options = parseOptions(request.options ?? {});
  for (const option of IMAGE_OPTIONS) {
    if (options[option] !== undefined) throw new BadInputError(option, 'applies to images; an embeddings dataset holds vectors');
  }
  if (options.limit?.test !== undefined) throw new BadInputError('limit.test', 'an embeddings file has no test set of its own (splits.test holds one out)');
  const seed = request.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new BadInputError('seed', `must be a non-negative integer, got ${seed}`);
  const progress = request.onProgress ?? (() => undefined);

  progress({ phase: 'scan', done: 0, total: 1 });
  const tree = typeof request.source === 'string' ? await openSourceTree(request.source, { label: 'embeddings source', ...(request.openSourceStore ? { open: request.openSourceStore } : {}) }) : request.source;
  const source = await readEmbeddingFile(tree, options.classNames);
  const where = tree.describe(source.file.path);
  const sourceClassNames = resolveClassNames(where, source.numClasses, undefined, options.classNames);
  progress({ phase: 'scan', done: 1, total: 1 });

  const count = Math.min(source.index.length, options.limit?.train ?? Infinity);
  const plan = planSplits({ trainLabels: source.labels.subarray(0, count), numClasses: source.numClasses, options, seed });
  const classNames = plan.classes.map((c) => sourceClassNames[c]!);
  const draft = draftManifest(source, classNames, options, seed, plan);
  return writeDataset(request, draft, (datasetId, name, start, end) => {
    const split = plan.splits[name];
    // The plan's indices are positions in the (index-sorted) file; the shards carry the file's own index.
    const rows = split.indices.subarray(start, end);
    const vectors = new Float32Array(rows.length * source.dim);
    rows.forEach((row, i) => vectors.set(source.vectors.subarray(row * source.dim, (row + 1) * source.dim), i * source.dim));
    return encodeEmbeddingShard({
      metadata: { datasetId, split: name, dim: source.dim, classNames },
      index: Uint32Array.from(rows, (row) => source.index[row]!),
      labels: split.labels.slice(start, end),
      vectors,
      ...(split.cleanLabels ? { cleanLabels: split.cleanLabels.slice(start, end) } : {}),
    });
  });
}

function draftManifest(source: EmbeddingFile, classNames: readonly string[], options: IngestOptions, seed: number, plan: Plan): Omit<Manifest, 'datasetId'> {
  const files = [source.file];
  const transforms: Transform[] = [];
  if (options.limit) transforms.push({ kind: 'limit', ...options.limit });
  transforms.push(...plan.transforms);
  const splits = draftSplits(plan, classNames, options);
  return {
    version: 1,
    writer: EMBEDDING_SHARD_FORMAT,
    examples: { kind: 'embedding', dim: source.dim, dtype: 'float32', sourceDtype: source.sourceDtype },
    source: {
      format: 'embeddings',
      examples: { train: source.index.length, test: 0 },
      ownTestSet: false,
      ...(files.length <= LISTED_FILES ? { files } : {}),
      fileCount: files.length,
      fingerprint: fingerprintOf(files),
    },
    seed,
    options,
    // A vector is a 1x1 "image" of D channels: every model spec built from the shape gets [1, 1, D] inputs.
    shape: [1, 1, source.dim],
    classes: [...classNames],
    // Vectors are used as they are: no per-channel standardisation.
    normalization: { mean: [], std: [], splits: [...TRAINING_SPLITS] },
    transforms,
    splits,
  };
}
