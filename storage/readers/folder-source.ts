/**
 * A folder of images as a dataset source: one sub-folder per class
 * (`<source>/<class>/*.png`), or `train/<class>/…` and `test/<class>/…` when
 * the source brings its own test set. Images (PNG, JPEG, anything sharp
 * decodes) are turned upright by their EXIF orientation, optionally resized
 * (stretched to `resize`, as torchvision's Resize((h, w))), and converted to
 * grayscale or RGB. Hidden files are skipped; everything else must decode.
 *
 * Examples are ordered round-robin over the classes (first image of each
 * class, then the second…), so a `limit` keeps the classes balanced.
 */
import sharp from 'sharp';
import { BadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import type { IngestOptions, Transform } from '../../schemas/manifest.js';
import type { SourceEntry, SourceTree } from './source-tree.js';
import { resolveClassNames, type ImageChunk, type ScannedSource, type SourceFile, type SourcePart } from './source.js';

/** Images decoded at once: enough to keep libvips' threads busy, few enough to bound memory. */
const DECODE_CONCURRENCY = 8;
const CHUNK_IMAGES = 256;
const RESIZE_KERNEL = 'lanczos3';

interface Example {
  /** Relative to the source, `/`-separated. */
  readonly path: string;
  readonly label: number;
}

export async function scanFolderSource(tree: SourceTree, options: IngestOptions): Promise<ScannedSource> {
  const where = `image folder ${tree.root}`;
  const top = await visibleEntries(tree, '');
  const splitLayout = top.some((e) => e.name === 'train' && e.kind === 'folder') && top.some((e) => e.name === 'test' && e.kind === 'folder');

  const trainClasses = await classFolders(tree, splitLayout ? 'train' : '');
  const classNames = resolveClassNames(where, trainClasses.length, trainClasses.map((c) => c.name), options.classNames);
  const parts: Record<SourcePart, Example[] | undefined> = { train: examplesOf(tree, trainClasses, trainClasses), test: undefined };
  if (splitLayout) parts.test = examplesOf(tree, await classFolders(tree, 'test'), trainClasses);

  const all = [...parts.train!, ...(parts.test ?? [])];
  const metas = await mapLimited(all, DECODE_CONCURRENCY, async (example) => describeImage(tree, example.path));
  let shape: [number, number, number];
  const transforms: Transform[] = [];
  const channels = options.channels ?? (metas.every((m) => m.gray) ? 1 : 3);
  if (options.resize) {
    shape = [options.resize.height, options.resize.width, channels];
    transforms.push({ kind: 'resize', height: options.resize.height, width: options.resize.width, fit: 'fill', kernel: RESIZE_KERNEL });
  } else {
    const common = mostCommonSize(metas);
    metas.forEach((meta, i) => {
      if (meta.height !== common.height || meta.width !== common.width) {
        throw new BadInputError(
          `image ${tree.describe(all[i]!.path)}`,
          `is ${meta.height}x${meta.width}, but ${common.count} of ${metas.length} images are ${common.height}x${common.width} ` +
            `(e.g. ${tree.describe(all[common.example]!.path)}); give a resize setting for folders of mixed sizes`,
        );
      }
    });
    shape = [common.height, common.width, channels];
  }
  transforms.push({ kind: 'channels', channels });

  const files = new Map<string, SourceFile>();
  return {
    shape,
    classNames,
    labels: { train: labelsOf(parts.train!), ...(parts.test ? { test: labelsOf(parts.test) } : {}) },
    transforms,
    files: () => [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    async *images(part: SourcePart, count: number): AsyncGenerator<ImageChunk> {
      const examples = (parts[part] ?? []).slice(0, count);
      const imageBytes = shape[0] * shape[1] * shape[2];
      for (let start = 0; start < examples.length; start += CHUNK_IMAGES) {
        const batch = examples.slice(start, start + CHUNK_IMAGES);
        const data = new Uint8Array(batch.length * imageBytes);
        await mapLimited(batch, DECODE_CONCURRENCY, async (example, i) => {
          const bytes = await tree.read(example.path);
          files.set(example.path, { path: example.path, sha256: sha256Hex(bytes), bytes: bytes.length });
          data.set(await decode(tree.describe(example.path), bytes, shape, options.resize !== undefined), i * imageBytes);
        });
        yield { start, count: batch.length, data };
      }
    },
  };
}

/** Entries of a folder in the tree, hidden ones (`.DS_Store`, `.git`) left out. */
async function visibleEntries(tree: SourceTree, folder: string): Promise<SourceEntry[]> {
  return (await tree.list(folder)).filter((e) => !e.name.startsWith('.'));
}

interface ClassFolder {
  readonly name: string;
  /** Paths relative to the source. */
  readonly files: readonly string[];
}

async function classFolders(tree: SourceTree, folder: string): Promise<ClassFolder[]> {
  const classes: ClassFolder[] = [];
  const within = (name: string): string => (folder === '' ? name : `${folder}/${name}`);
  for (const entry of await visibleEntries(tree, folder)) {
    const path = within(entry.name);
    if (entry.kind !== 'folder') {
      throw new BadInputError(`image folder ${tree.describe(folder)}`, `holds a file "${entry.name}"; expected only one sub-folder per class`);
    }
    const files: string[] = [];
    for (const child of await visibleEntries(tree, path)) {
      if (child.kind === 'folder') throw new BadInputError(`class folder ${tree.describe(path)}`, `holds a folder "${child.name}"; expected image files only`);
      files.push(`${path}/${child.name}`);
    }
    if (files.length === 0) throw new BadInputError(`class folder ${tree.describe(path)}`, 'is empty; every class needs at least one image');
    classes.push({ name: entry.name, files });
  }
  if (classes.length === 0) throw new BadInputError(`image folder ${tree.describe(folder)}`, 'has no class sub-folders');
  return classes;
}

/** Round-robin over classes; labels follow the train classes' order. */
function examplesOf(tree: SourceTree, classes: readonly ClassFolder[], trainClasses: readonly ClassFolder[]): Example[] {
  const labelOf = new Map(trainClasses.map((c, i) => [c.name, i]));
  for (const c of classes) {
    if (!labelOf.has(c.name)) throw new BadInputError(`image folder ${tree.root}`, `test class "${c.name}" is not among the train classes`);
  }
  const examples: Example[] = [];
  const longest = Math.max(...classes.map((c) => c.files.length));
  for (let i = 0; i < longest; i++) {
    for (const c of classes) {
      const path = c.files[i];
      if (path !== undefined) examples.push({ path, label: labelOf.get(c.name)! });
    }
  }
  return examples;
}

function labelsOf(examples: readonly Example[]): Int16Array {
  return Int16Array.from(examples, (e) => e.label);
}

/** Size and colour of an image: from its header alone where the file is local, else from its bytes. */
async function describeImage(tree: SourceTree, path: string): Promise<{ height: number; width: number; gray: boolean }> {
  const where = `image ${tree.describe(path)}`;
  let meta;
  try {
    meta = await sharp(tree.localPath ? tree.localPath(path) : await tree.read(path)).metadata();
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(where, `is not a readable image (${(error as Error).message})`, { cause: error });
  }
  if (!meta.width || !meta.height) throw new BadInputError(where, 'has no size; not an image?');
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height };
  return { height: upright.height, width: upright.width, gray: (meta.channels ?? 3) <= 2 };
}

async function decode(path: string, bytes: Uint8Array, shape: readonly [number, number, number], resize: boolean): Promise<Uint8Array> {
  const [height, width, channels] = shape;
  try {
    let image = sharp(bytes, { autoOrient: true, failOn: 'warning' });
    if (resize) image = image.resize({ width, height, fit: 'fill', kernel: RESIZE_KERNEL });
    image = image.removeAlpha().toColourspace(channels === 1 ? 'b-w' : 'srgb');
    const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== channels) {
      throw new BadInputError(`image ${path}`, `decoded to ${info.height}x${info.width}x${info.channels}, expected ${height}x${width}x${channels}`);
    }
    return data;
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`image ${path}`, `cannot be decoded (${(error as Error).message})`, { cause: error });
  }
}

/** The size most images have (the first seen wins a tie), to name the odd ones out. */
function mostCommonSize(metas: ReadonlyArray<{ height: number; width: number }>): { height: number; width: number; count: number; example: number } {
  const counts = new Map<string, { height: number; width: number; count: number; example: number }>();
  metas.forEach((meta, i) => {
    const key = `${meta.height}x${meta.width}`;
    const entry = counts.get(key) ?? { height: meta.height, width: meta.width, count: 0, example: i };
    entry.count++;
    counts.set(key, entry);
  });
  return [...counts.values()].reduce((best, entry) => (entry.count > best.count ? entry : best));
}

/** Maps with at most `limit` calls in flight, results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
