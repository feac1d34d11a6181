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
import { sha256Hex } from '../../core/hash.js';
import { EMBEDDING_SHARD_FORMAT, ManifestSchema, SPLIT_NAMES, TRAINING_SPLITS, type IngestOptions, type Manifest, type SplitEntry, type SplitName, type Transform } from '../../schemas/manifest.js';
import { encodeEmbeddingShard } from '../arrow/embedding-shard.js';
import { manifestKey, shardKey, shardPath } from '../layout.js';
import { readEmbeddingFile, type EmbeddingFile } from '../readers/embedding-file.js';
import { resolveClassNames } from '../readers/source.js';
import { openSourceTree } from '../readers/source-tree.js';
import { datasetIdOf } from './dataset-id.js';
import { fingerprintOf, LISTED_FILES, manifestDamage, parseOptions, putRepairing, recordedShards, type IngestRequest } from './ingest.js';
import { serializeManifest } from './manifest-io.js';
import { planSplits, type Plan } from './plan.js';

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
  const datasetId = datasetIdOf(draft);
  const recorded = await recordedShards(request.store, datasetId);
  const totalShards = SPLIT_NAMES.reduce((n, name) => n + (draft.splits[name]?.shards.length ?? 0), 0);
  let written = 0;
  const splits = {} as Record<SplitName, SplitEntry>;
  for (const name of SPLIT_NAMES) {
    const entry = draft.splits[name];
    if (!entry) continue;
    const split = plan.splits[name];
    const shards = [];
    let start = 0;
    for (const shard of entry.shards) {
      const end = start + shard.rows;
      // The plan's indices are positions in the (index-sorted) file; the shards carry the file's own index.
      const rows = split.indices.subarray(start, end);
      const vectors = new Float32Array(rows.length * source.dim);
      rows.forEach((row, i) => vectors.set(source.vectors.subarray(row * source.dim, (row + 1) * source.dim), i * source.dim));
      const bytes = encodeEmbeddingShard({
        metadata: { datasetId, split: name, dim: source.dim, classNames },
        index: Uint32Array.from(rows, (row) => source.index[row]!),
        labels: split.labels.slice(start, end),
        vectors,
        ...(split.cleanLabels ? { cleanLabels: split.cleanLabels.slice(start, end) } : {}),
      });
      const info = await putRepairing(request, shardKey(datasetId, shard.path), bytes, 'application/vnd.apache.arrow.file', (conflict) => {
        const sha256 = recorded.get(shard.path);
        return sha256 === sha256Hex(bytes) && conflict.existingSha256 !== sha256 ? `its manifest records sha256 ${sha256}` : undefined;
      });
      shards.push({ path: shard.path, rows: shard.rows, sha256: info.sha256, bytes: info.size });
      start = end;
      progress({ phase: 'write', done: ++written, total: totalShards });
    }
    splits[name] = { ...entry, shards };
  }
  const manifest = ManifestSchema.parse({ ...draft, datasetId, splits });
  await putRepairing(request, manifestKey(datasetId), serializeManifest(manifest), 'application/json', (conflict) => manifestDamage(request.store, datasetId, conflict.uri));
  return manifest;
}

function draftManifest(source: EmbeddingFile, classNames: readonly string[], options: IngestOptions, seed: number, plan: Plan): Omit<Manifest, 'datasetId'> {
  const files = [source.file];
  const transforms: Transform[] = [];
  if (options.limit) transforms.push({ kind: 'limit', ...options.limit });
  transforms.push(...plan.transforms);
  const splits = {} as Record<SplitName, SplitEntry>;
  for (const name of SPLIT_NAMES) {
    if (name === 'pool' && options.splits.pool === undefined) continue;
    const split = plan.splits[name];
    const classCounts = new Array<number>(classNames.length).fill(0);
    for (const label of split.labels) classCounts[label]!++;
    const shards = [];
    for (let start = 0, n = 0; start < split.indices.length; start += options.shardSize, n++) {
      shards.push({ path: shardPath(name, n), rows: Math.min(options.shardSize, split.indices.length - start), sha256: '', bytes: 0 });
    }
    splits[name] = { rows: split.indices.length, classCounts, cleanLabels: split.cleanLabels !== undefined, shards };
  }
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
