/**
 * A folder of IDX files as a dataset source: `train-images-idx3-ubyte(.gz)`
 * with `train-labels-idx1-ubyte(.gz)`, and optionally `t10k-…` or `test-…`
 * as the source's own test set. A shared prefix names a file set
 * (`emnist-balanced-train-images-idx3-ubyte.gz`); a folder holding several
 * needs `idxPrefix`. EMNIST stores images transposed; they are turned
 * upright (`transpose`, on by default for `emnist-` files).
 */
import { BadInputError } from '../../core/errors.js';
import type { IngestOptions, Transform } from '../../schemas/manifest.js';
import { IdxReader, readIdxLabels } from './idx.js';
import { knownIdxClassNames } from './known-idx.js';
import type { SourceTree } from './source-tree.js';
import { resolveClassNames, type ImageChunk, type ScannedSource, type SourceFile, type SourcePart } from './source.js';

const IDX_NAME = /^(.*?)(train|t10k|test)-(images-idx3|labels-idx1)-ubyte(\.gz)?$/;
const CHUNK_RECORDS = 2048;

interface IdxPair {
  readonly images: string;
  readonly labels: string;
}

export async function scanIdxSource(tree: SourceTree, options: IngestOptions): Promise<ScannedSource> {
  const where = `IDX source ${tree.root}`;
  const names = (await tree.list('')).filter((entry) => entry.kind === 'file').map((entry) => entry.name);
  const sets = new Map<string, Map<string, string>>();
  for (const name of names.sort()) {
    const match = IDX_NAME.exec(name);
    if (!match) continue;
    const [, prefix = '', part = '', kind = ''] = match;
    const role = `${part === 'train' ? 'train' : 'test'}-${kind.startsWith('images') ? 'images' : 'labels'}`;
    const set = sets.get(prefix) ?? new Map<string, string>();
    if (set.has(role)) throw new BadInputError(where, `both ${set.get(role)} and ${name} hold ${role.replace('-', ' ')}; keep one`);
    set.set(role, name);
    sets.set(prefix, set);
  }
  const prefix = choosePrefix(where, sets, options.idxPrefix);
  const set = sets.get(prefix)!;
  const pair = (part: SourcePart): IdxPair | undefined => {
    const images = set.get(`${part}-images`);
    const labels = set.get(`${part}-labels`);
    if (!images && !labels) return undefined;
    if (!images || !labels) throw new BadInputError(where, `${images ?? labels} has no matching ${images ? 'labels' : 'images'} file`);
    return { images, labels };
  };
  const train = pair('train');
  if (!train) throw new BadInputError(where, `no ${prefix}train-images-idx3-ubyte[.gz] / ${prefix}train-labels-idx1-ubyte[.gz] pair`);
  const test = pair('test');

  const trainInfo = await readPair(tree, train);
  const testInfo = test ? await readPair(tree, test) : undefined;
  if (testInfo && (testInfo.height !== trainInfo.height || testInfo.width !== trainInfo.width)) {
    throw new BadInputError(`IDX file ${tree.describe(test!.images)}`, `images are ${testInfo.height}x${testInfo.width}, the train images ${trainInfo.height}x${trainInfo.width}`);
  }
  let maxLabel = 0;
  for (const labels of [trainInfo.labels, testInfo?.labels]) for (const label of labels ?? []) maxLabel = Math.max(maxLabel, label);
  const classNames = resolveClassNames(where, maxLabel + 1, knownIdxClassNames(trainInfo.labels), options.classNames);

  const transpose = options.transpose ?? prefix.startsWith('emnist');
  // Label files were read whole above; image files are hashed once streamed (a bucket's tree then hashes them in passing).
  const hashes = new Map<string, SourceFile>();
  for (const name of [train.labels, ...(test ? [test.labels] : [])]) hashes.set(name, { path: name, ...(await tree.hash(name)) });
  const order = [train.images, train.labels, ...(test ? [test.images, test.labels] : [])];
  const transforms: Transform[] = transpose ? [{ kind: 'transpose' }] : [];
  const { height, width } = trainInfo;

  return {
    shape: transpose ? [width, height, 1] : [height, width, 1],
    classNames,
    labels: { train: trainInfo.labels, ...(testInfo ? { test: testInfo.labels } : {}) },
    transforms,
    files: () => order.flatMap((name) => hashes.get(name) ?? []),
    async *images(part: SourcePart, count: number): AsyncGenerator<ImageChunk> {
      const chosen = part === 'train' ? train : test;
      if (!chosen) throw new Error(`IDX source has no ${part} part`);
      const reader = await IdxReader.openIn(tree, chosen.images);
      // Read to the end even past `count`, so a damaged tail is still reported; chunks past it come out empty, so the caller still reports progress (the stage's heartbeat) while they are read.
      for await (const chunk of reader.chunks(CHUNK_RECORDS)) {
        if (chunk.start >= count) {
          yield { start: chunk.start, count: 0, data: new Uint8Array(0) };
          continue;
        }
        const n = Math.min(chunk.count, count - chunk.start);
        const data = chunk.data.subarray(0, n * height * width);
        yield { start: chunk.start, count: n, data: transpose ? transposeImages(data, n, height, width) : data };
      }
      hashes.set(chosen.images, { path: chosen.images, ...(await tree.hash(chosen.images)) });
    },
  };
}

function choosePrefix(where: string, sets: Map<string, Map<string, string>>, wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!sets.has(wanted)) throw new BadInputError(where, `no IDX files with prefix "${wanted}" (found: ${describePrefixes(sets)})`);
    return wanted;
  }
  if (sets.size === 0) throw new BadInputError(where, 'no IDX files (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])');
  if (sets.size > 1) throw new BadInputError(where, `holds several IDX file sets (${describePrefixes(sets)}); choose one with idxPrefix`);
  return [...sets.keys()][0]!;
}

function describePrefixes(sets: Map<string, Map<string, string>>): string {
  return [...sets.keys()].map((p) => (p === '' ? '(no prefix)' : `"${p}"`)).join(', ') || 'none';
}

async function readPair(tree: SourceTree, pair: IdxPair): Promise<{ labels: Int16Array; height: number; width: number }> {
  const imagesPath = tree.describe(pair.images);
  const reader = await IdxReader.openIn(tree, pair.images);
  await reader.close();
  const dims = reader.header.dims;
  if (dims.length !== 3) throw new BadInputError(`IDX file ${imagesPath}`, `expected images with dimensions [count, height, width], found [${dims.join(', ')}]`);
  const labels = await readIdxLabels(pair.labels, tree);
  if (labels.length !== reader.header.count) {
    throw new BadInputError(`IDX files ${imagesPath} and ${tree.describe(pair.labels)}`, `${reader.header.count} images but ${labels.length} labels; the counts must match`);
  }
  return { labels: Int16Array.from(labels), height: dims[1]!, width: dims[2]! };
}

/** EMNIST images are column-major; this turns each upright. */
function transposeImages(data: Uint8Array, count: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(data.length);
  const size = height * width;
  for (let n = 0; n < count; n++) {
    const base = n * size;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[base + x * height + y] = data[base + y * width + x]!;
  }
  return out;
}
