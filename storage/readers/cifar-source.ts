/**
 * CIFAR-10/100 binary batches as a dataset source. CIFAR-10: `data_batch_1.bin`
 * … `data_batch_5.bin` and `test_batch.bin`, records of 1 label byte + 3072
 * image bytes, class names in `batches.meta.txt`. CIFAR-100: `train.bin` and
 * `test.bin`, records of coarse label, fine label + 3072 bytes, names in
 * `fine_label_names.txt` / `coarse_label_names.txt`. Images are stored as
 * planes (all red, then green, then blue) and come out as HWC.
 */
import { BadInputError, isBadInputError } from '../../core/errors.js';
import type { IngestOptions } from '../../schemas/manifest.js';
import { ByteReader } from './byte-reader.js';
import { FileBytes } from './file-bytes.js';
import type { SourceTree } from './source-tree.js';
import { resolveClassNames, type ImageChunk, type ScannedSource, type SourceFile, type SourcePart } from './source.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const IMAGE_BYTES = PIXELS * 3;
const CHUNK_RECORDS = 1024;

interface Layout {
  readonly variant: 'cifar-10' | 'cifar-100';
  readonly train: readonly string[];
  readonly test: string;
  /** Bytes before the image in each record, and which of them is the label. */
  readonly labelBytes: number;
  readonly labelOffset: number;
  readonly numClasses: number;
  readonly namesFile: string;
}

export async function scanCifarSource(tree: SourceTree, options: IngestOptions): Promise<ScannedSource> {
  const where = `CIFAR source ${tree.root}`;
  const names = new Set((await tree.list('')).filter((entry) => entry.kind === 'file').map((entry) => entry.name));
  const layout = detectLayout(where, names, options);
  const recordBytes = layout.labelBytes + IMAGE_BYTES;
  const files: SourceFile[] = [];
  const labelsOf = async (fileNames: readonly string[]): Promise<Int16Array> => {
    const parts: Int16Array[] = [];
    for (const name of fileNames) {
      parts.push(await scanLabels(tree, name, recordBytes, layout));
      files.push({ path: name, ...(await tree.hash(name)) });
    }
    return concat(parts);
  };
  const train = await labelsOf(layout.train);
  const test = await labelsOf([layout.test]);
  const ownNames = names.has(layout.namesFile) ? await readClassNames(tree, layout.namesFile, layout.numClasses) : undefined;
  const classNames = resolveClassNames(where, layout.numClasses, ownNames, options.classNames);

  return {
    shape: [SIDE, SIDE, 3],
    classNames,
    labels: { train, test },
    transforms: [],
    files: () => files,
    async *images(part: SourcePart, count: number): AsyncGenerator<ImageChunk> {
      let start = 0;
      for (const name of part === 'train' ? layout.train : [layout.test]) {
        const reader = new ByteReader(await FileBytes.open(tree, name, `CIFAR file ${tree.describe(name)}`));
        try {
          const records = new Uint8Array(CHUNK_RECORDS * recordBytes);
          for (;;) {
            if (start >= count) return;
            const got = await reader.readInto(records, 0, records.length);
            const n = Math.min(Math.floor(got / recordBytes), count - start);
            if (n > 0) yield { start, count: n, data: planesToHwc(records, n, recordBytes, layout.labelBytes) };
            start += n;
            if (got < records.length) break;
          }
        } finally {
          await reader.close();
        }
      }
    },
  };
}

function detectLayout(where: string, names: ReadonlySet<string>, options: IngestOptions): Layout {
  const batches = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
  if (names.has('test_batch.bin') || batches.some((b) => names.has(b))) {
    const missing = [...batches, 'test_batch.bin'].filter((b) => !names.has(b));
    if (missing.length > 0) throw new BadInputError(where, `CIFAR-10 batches missing: ${missing.join(', ')}`);
    return { variant: 'cifar-10', train: batches, test: 'test_batch.bin', labelBytes: 1, labelOffset: 0, numClasses: 10, namesFile: 'batches.meta.txt' };
  }
  if (names.has('train.bin') || names.has('test.bin')) {
    const missing = ['train.bin', 'test.bin'].filter((b) => !names.has(b));
    if (missing.length > 0) throw new BadInputError(where, `CIFAR-100 files missing: ${missing.join(', ')}`);
    const fine = options.cifarLabels === 'fine';
    return {
      variant: 'cifar-100',
      train: ['train.bin'],
      test: 'test.bin',
      labelBytes: 2,
      labelOffset: fine ? 1 : 0,
      numClasses: fine ? 100 : 20,
      namesFile: fine ? 'fine_label_names.txt' : 'coarse_label_names.txt',
    };
  }
  throw new BadInputError(where, 'no CIFAR binary batches (expected data_batch_1..5.bin + test_batch.bin, or train.bin + test.bin)');
}

/** Reads every record's label, checking the file holds whole records and labels in range. */
async function scanLabels(tree: SourceTree, path: string, recordBytes: number, layout: Layout): Promise<Int16Array> {
  const where = `CIFAR file ${tree.describe(path)}`;
  const bytes = await FileBytes.open(tree, path, where);
  const reader = new ByteReader(bytes);
  const labels: number[] = [];
  const records = new Uint8Array(CHUNK_RECORDS * recordBytes);
  try {
    for (;;) {
      const got = await reader.readInto(records, 0, records.length);
      const whole = Math.floor(got / recordBytes);
      for (let r = 0; r < whole; r++) {
        const label = records[r * recordBytes + layout.labelOffset]!;
        if (label >= layout.numClasses) {
          throw new BadInputError(where, `record ${labels.length} has label ${label}, but ${layout.variant} has ${layout.numClasses} classes (wrong file or corrupt?)`);
        }
        labels.push(label);
      }
      if (got < records.length) {
        if (got % recordBytes !== 0) {
          throw new BadInputError(where, `${reader.consumed} bytes is not a whole number of ${recordBytes}-byte records (truncated?)`);
        }
        break;
      }
    }
  } finally {
    await reader.close();
  }
  if (bytes.truncated) throw new BadInputError(where, `gzip stream ends before its trailer after ${reader.consumed} bytes (truncated?)`);
  if (labels.length === 0) throw new BadInputError(where, 'holds no records');
  return Int16Array.from(labels);
}

/** The names file, when it can be read (it is optional: labels are numbers without it). */
async function readClassNames(tree: SourceTree, path: string, numClasses: number): Promise<string[] | undefined> {
  let text: string;
  try {
    text = Buffer.from(await tree.read(path)).toString('utf8');
  } catch (error) {
    if (isBadInputError(error)) return undefined;
    throw error;
  }
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (names.length !== numClasses) throw new BadInputError(`CIFAR class names ${tree.describe(path)}`, `lists ${names.length} names, expected ${numClasses}`);
  return names;
}

function planesToHwc(records: Uint8Array, count: number, recordBytes: number, labelBytes: number): Uint8Array {
  const out = new Uint8Array(count * IMAGE_BYTES);
  for (let n = 0; n < count; n++) {
    const src = n * recordBytes + labelBytes;
    const dst = n * IMAGE_BYTES;
    for (let p = 0; p < PIXELS; p++) {
      out[dst + p * 3] = records[src + p]!;
      out[dst + p * 3 + 1] = records[src + PIXELS + p]!;
      out[dst + p * 3 + 2] = records[src + 2 * PIXELS + p]!;
    }
  }
  return out;
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
