/**
 * `ingestDataset`: a source (IDX, CIFAR, image folder; a local folder or a
 * `gs://` prefix, streamed from the bucket) in, a dataset
 * out: `datasets/<datasetId>/{manifest.json, <split>/shard-NNNNN.arrow}`.
 *
 * 1. Scan the source: labels, shape, classes; every check that can fail on
 *    bad input happens here or while decoding, before anything is stored.
 * 2. Plan the splits (plan.ts): a pure function of labels, options and seed.
 * 3. Decode the images in source order into per-split spill files at their
 *    final rows, counting pixel histograms of the training splits.
 * 4. Compute the dataset id from the manifest, write the shards (which carry
 *    the id), then the manifest last: readers only ever find complete datasets.
 *
 * Idempotent: a rerun produces the same bytes, and write-once puts of
 * identical bytes succeed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import {
  IngestOptionsSchema,
  SPLIT_NAMES,
  splitEntries,
  TRAINING_SPLITS,
  type IngestOptions,
  type IngestOptionsInput,
  type Manifest,
  type Transform,
} from '../../schemas/manifest.js';
import type { DATA_FORMATS } from '../../schemas/manifest.js';
import { IMAGE_SHARD_FORMAT } from '../arrow/schemas.js';
import { encodeImageShard } from '../arrow/image-shard.js';
import type { ObjectStore } from '../object-store.js';
import { scanCifarSource } from '../readers/cifar-source.js';
import { scanFolderSource } from '../readers/folder-source.js';
import { scanIdxSource } from '../readers/idx-source.js';
import type { ScannedSource, SourceFile, SourcePart } from '../readers/source.js';
import { openSourceTree, type SourceTree } from '../readers/source-tree.js';
import { ObjectConflictError, ObjectNotFoundError } from '../errors.js';
import { ingestEmbeddings } from './ingest-embeddings.js';
import { parseManifest } from './manifest-io.js';
import { manifestKey } from '../layout.js';
import { planSplits, type Plan } from './plan.js';
import { SpillFile } from './spill.js';
import { ChannelHistogram } from './stats.js';
import { draftSplits, writeDataset } from './write-dataset.js';

export type DataFormat = (typeof DATA_FORMATS)[number];

export interface IngestProgress {
  readonly phase: 'scan' | 'decode' | 'write';
  readonly done: number;
  readonly total: number;
}

export interface IngestRequest {
  /**
   * The source: a folder, `file://` URI or storage URI (`gs://bucket/prefix`,
   * streamed from the bucket), or an already opened tree.
   */
  readonly source: string | SourceTree;
  /** Opens the object store of a storage-URI source (a worker passes its shared, cached stores). */
  readonly openSourceStore?: (uri: string) => ObjectStore;
  readonly format: DataFormat;
  readonly options?: IngestOptionsInput;
  readonly store: ObjectStore;
  readonly seed?: number;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Told about what ingest repaired (a damaged shard or manifest it rewrote). */
  readonly onWarning?: (message: string) => void;
  /** Where decoded images wait before sharding (default: the system temp folder). */
  readonly workDir?: string;
}

/** Source files listed one by one in the manifest up to this many; beyond, only their fingerprint. */
export const LISTED_FILES = 64;

export async function ingestDataset(request: IngestRequest): Promise<Manifest> {
  if (request.format === 'embeddings') return ingestEmbeddings(request);
  const options = parseOptions(request.options ?? {});
  const seed = request.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new BadInputError('seed', `must be a non-negative integer, got ${seed}`);
  const progress = request.onProgress ?? (() => undefined);

  progress({ phase: 'scan', done: 0, total: 1 });
  const source = await scanSource(request.format, request.source, options, request.openSourceStore);
  progress({ phase: 'scan', done: 1, total: 1 });
  const trainCount = Math.min(source.labels.train.length, options.limit?.train ?? Infinity);
  const testCount = source.labels.test ? Math.min(source.labels.test.length, options.limit?.test ?? Infinity) : 0;
  const numClasses = source.classNames.length;
  const plan = planSplits({
    trainLabels: source.labels.train.subarray(0, trainCount),
    ...(source.labels.test ? { testLabels: source.labels.test.subarray(0, testCount) } : {}),
    numClasses,
    options,
    seed,
  });

  const work = await mkdtemp(join(request.workDir ?? tmpdir(), 'w2s-ingest-'));
  const imageBytes = source.shape[0] * source.shape[1] * source.shape[2];
  const spills = SPLIT_NAMES.map((name) => new SpillFile(work, `${name}.bin`, imageBytes));
  try {
    const histogram = new ChannelHistogram(source.shape[2]);
    const statSplits = new Set(TRAINING_SPLITS.map((name) => SPLIT_NAMES.indexOf(name)));
    const decodeTotal = trainCount + testCount;
    let decoded = 0;
    const parts: Array<[SourcePart, number, number]> = [['train', trainCount, 0]];
    if (source.labels.test) parts.push(['test', testCount, trainCount]);
    for (const [part, count, base] of parts) {
      for await (const chunk of source.images(part, count)) {
        for (let j = 0; j < chunk.count; j++) {
          const index = base + chunk.start + j;
          const split = plan.splitOf[index]!;
          if (split < 0) continue;
          const image = chunk.data.subarray(j * imageBytes, (j + 1) * imageBytes);
          spills[split]!.write(plan.positionOf[index]!, image);
          if (statSplits.has(split)) histogram.add(image);
        }
        decoded += chunk.count;
        progress({ phase: 'decode', done: decoded, total: decodeTotal });
      }
    }

    // The classes the dataset keeps (all of the source's unless `classes` names some), named in label order.
    const classNames = plan.classes.map((c) => source.classNames[c]!);
    const draft = draftManifest(request.format, source, classNames, options, seed, plan, histogram);
    return await writeDataset(request, draft, (datasetId, name, start, end) => {
      const split = plan.splits[name];
      return encodeImageShard({
        metadata: { datasetId, split: name, shape: source.shape, classNames },
        index: split.indices.subarray(start, end),
        labels: split.labels.subarray(start, end),
        images: spills[SPLIT_NAMES.indexOf(name)]!.read(start, end - start),
        ...(split.cleanLabels ? { cleanLabels: split.cleanLabels.subarray(start, end) } : {}),
      });
    });
  } finally {
    for (const spill of spills) spill.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** Shard path to the sha256 the dataset's stored manifest records (empty when there is none, or it is unreadable). */
export async function recordedShards(store: ObjectStore, datasetId: string): Promise<Map<string, string>> {
  let manifest: Manifest;
  try {
    manifest = parseManifest(await store.get(manifestKey(datasetId)), store.uriOf(manifestKey(datasetId)), datasetId);
  } catch (error) {
    if (error instanceof ObjectNotFoundError || error instanceof BadInputError) return new Map();
    throw error;
  }
  return new Map(splitEntries(manifest).flatMap(([, split]) => split.shards.map((shard) => [shard.path, shard.sha256] as const)));
}

/** Why the stored manifest of `datasetId` is damaged (it no longer parses, or hashes to another id), or undefined when it is a manifest of its own. */
export async function manifestDamage(store: ObjectStore, datasetId: string, uri: string): Promise<string | undefined> {
  try {
    parseManifest(await store.get(manifestKey(datasetId)), uri, datasetId);
    return undefined;
  } catch (error) {
    if (error instanceof BadInputError) return error.message.slice(uri.length + 2);
    throw error;
  }
}

/**
 * A write-once put that repairs damage: a rerun writes the same bytes, so an
 * existing object with other bytes is either damaged (`damage` says how it
 * no longer matches what the dataset recorded) or a writer that disagrees
 * (the conflict stands). A damaged object is named and rewritten, as the
 * stage cache does with its objects.
 */
export async function putRepairing(
  request: IngestRequest,
  key: string,
  bytes: Uint8Array | string,
  contentType: string,
  damage: (conflict: ObjectConflictError) => string | undefined | Promise<string | undefined>,
): Promise<{ sha256: string; size: number }> {
  try {
    return await request.store.put(key, bytes, { contentType });
  } catch (error) {
    if (!(error instanceof ObjectConflictError)) throw error;
    const why = await damage(error);
    if (why === undefined) throw error;
    request.onWarning?.(`${error.uri}: damaged (its sha256 is ${error.existingSha256}; ${why}); rewriting it`);
    await request.store.delete(key);
    return request.store.put(key, bytes, { contentType });
  }
}

export function parseOptions(input: IngestOptionsInput): IngestOptions {
  const parsed = IngestOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadInputError(`ingest option ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  return parsed.data;
}

/** How each format names its source in messages. */
const SOURCE_LABELS: Record<DataFormat, string> = { idx: 'IDX source', cifar: 'CIFAR source', folder: 'image folder', embeddings: 'embeddings source' };

async function scanSource(format: DataFormat, source: string | SourceTree, options: IngestOptions, open?: (uri: string) => ObjectStore): Promise<ScannedSource> {
  if (!(format in SOURCE_LABELS)) throw new BadInputError('format', `unknown source format "${String(format)}"; use idx, cifar, folder or embeddings`);
  const tree = typeof source === 'string' ? await openSourceTree(source, { label: SOURCE_LABELS[format], ...(open ? { open } : {}) }) : source;
  switch (format) {
    case 'idx':
      return scanIdxSource(tree, options);
    case 'cifar':
      return scanCifarSource(tree, options);
    case 'folder':
      return scanFolderSource(tree, options);
    default:
      throw new BadInputError('format', `unknown source format "${String(format)}"; use idx, cifar, folder or embeddings`);
  }
}

function draftManifest(
  format: DataFormat,
  source: ScannedSource,
  classNames: readonly string[],
  options: IngestOptions,
  seed: number,
  plan: Plan,
  histogram: ChannelHistogram,
): Omit<Manifest, 'datasetId'> {
  const files = source.files();
  const transforms: Transform[] = [];
  if (options.limit) transforms.push({ kind: 'limit', ...options.limit });
  transforms.push(...source.transforms, ...plan.transforms);
  const splits = draftSplits(plan, classNames, options);
  const { mean, std } = histogram.meanStd();
  return {
    version: 1,
    writer: IMAGE_SHARD_FORMAT,
    source: {
      format,
      examples: { train: source.labels.train.length, test: source.labels.test?.length ?? 0 },
      ownTestSet: source.labels.test !== undefined,
      ...(files.length <= LISTED_FILES ? { files: [...files] } : {}),
      fileCount: files.length,
      fingerprint: fingerprintOf(files),
    },
    seed,
    options,
    shape: [...source.shape] as [number, number, number],
    classes: [...classNames],
    normalization: { mean, std, splits: [...TRAINING_SPLITS] },
    transforms,
    splits,
  };
}

export function fingerprintOf(files: readonly SourceFile[]): string {
  return sha256Hex(files.map((f) => `${f.path}\t${f.sha256}\n`).join(''));
}
