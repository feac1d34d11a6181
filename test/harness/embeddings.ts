/**
 * Embeddings files for tests: vectors made from real Fashion-MNIST images
 * (a fixed, seeded Gaussian random projection of the pixels, as a stand-in
 * for a backbone run elsewhere) written as the Arrow IPC file
 * `w2s ingest --format embeddings` reads, and the column builders the
 * refusal tests use to write files that are wrong in one way each.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Data, Field, FixedSizeList, Float32, Float64, Int32, Int64, List, makeData, Schema, type DataType } from 'apache-arrow';
import { Rng } from '../../core/random.js';
import { readIdxImages, readIdxLabels } from '../../storage/readers/idx.js';
import { toIpcFile } from '../../storage/arrow/ipc.js';
import { FASHION_MNIST } from './pipeline.js';

export interface Embeddings {
  /** The example ids written to the `index` column. */
  readonly index: number[];
  readonly labels: number[];
  readonly dim: number;
  /** `index.length * dim` values, row-major. */
  readonly vectors: Float32Array;
}

/** The first `count` Fashion-MNIST training images, projected to `dim` values each; ids are 1000 + the image's position (not 0-based, to show they are kept). */
export async function fashionEmbeddings(count: number, dim: number, seed = 0): Promise<Embeddings> {
  const images = await readIdxImages(join(FASHION_MNIST, 'train-images-idx3-ubyte.gz'));
  const labels = await readIdxLabels(join(FASHION_MNIST, 'train-labels-idx1-ubyte.gz'));
  const pixels = images.height * images.width;
  const rng = Rng.keyed(seed, 'projection');
  const projection = Float32Array.from({ length: pixels * dim }, () => rng.normal() / Math.sqrt(pixels));
  const vectors = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < pixels; p++) {
      const value = images.data[i * pixels + p]! / 255;
      if (value === 0) continue;
      for (let j = 0; j < dim; j++) vectors[i * dim + j]! += value * projection[p * dim + j]!;
    }
  }
  return { index: Array.from({ length: count }, (_, i) => 1000 + i), labels: Array.from(labels.subarray(0, count)), dim, vectors };
}

/** A column: its Arrow data and whether the field is nullable. */
export interface Column {
  readonly data: Data;
  readonly nullable?: boolean;
}

export function int64Column(values: readonly number[], nulls: ReadonlySet<number> = new Set()): Column {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((_, i) => {
    if (!nulls.has(i)) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return {
    data: makeData({ type: new Int64(), length: values.length, nullCount: nulls.size, data: BigInt64Array.from(values, (v) => BigInt(v)), ...(nulls.size ? { nullBitmap: bitmap } : {}) }),
    nullable: nulls.size > 0,
  };
}

export function int32Column(values: readonly number[]): Column {
  return { data: makeData({ type: new Int32(), length: values.length, nullCount: 0, data: Int32Array.from(values) }) };
}

export function float32Column(values: readonly number[]): Column {
  return { data: makeData({ type: new Float32(), length: values.length, nullCount: 0, data: Float32Array.from(values) }) };
}

/** `fixed_size_list<float32 | float64>[dim]`. */
export function fixedListColumn(values: ArrayLike<number>, dim: number, precision: 'float32' | 'float64' = 'float32'): Column {
  const item = precision === 'float32' ? new Float32() : new Float64();
  const child = makeData({ type: item, length: values.length, nullCount: 0, data: precision === 'float32' ? Float32Array.from(values) : Float64Array.from(values) });
  return { data: makeData({ type: new FixedSizeList(dim, new Field('item', item, false)), length: values.length / dim, nullCount: 0, child }) };
}

/** `list<float32 | float64>`: rows may differ in length (ragged, for the refusal). */
export function listColumn(rows: ReadonlyArray<ArrayLike<number>>, precision: 'float32' | 'float64' = 'float64'): Column {
  const item = precision === 'float32' ? new Float32() : new Float64();
  const flat = rows.flatMap((row) => Array.from(row));
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, i) => (offsets[i + 1] = offsets[i]! + row.length));
  const child = makeData({ type: item, length: flat.length, nullCount: 0, data: precision === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat) });
  return { data: makeData({ type: new List(new Field('item', item, false)), length: rows.length, nullCount: 0, valueOffsets: offsets, child }) };
}

/** An Arrow IPC file of the columns given, in order. */
export function embeddingsFileBytes(columns: Readonly<Record<string, Column>>): Uint8Array {
  const entries = Object.entries(columns);
  const schema = new Schema(entries.map(([name, column]) => new Field(name, column.data.type as DataType, column.nullable ?? false)));
  return toIpcFile(schema, entries.map(([, column]) => column.data), entries[0]![1].data.length);
}

/** The usual columns of `embeddings`: int64 index and label, fixed-size float32 vectors. */
export function embeddingColumns(embeddings: Embeddings): Record<string, Column> {
  return { index: int64Column(embeddings.index), label: int64Column(embeddings.labels), embedding: fixedListColumn(embeddings.vectors, embeddings.dim) };
}

/** Writes `embeddings.arrow` into `folder` (made if needed) and returns the folder. */
export async function writeEmbeddingsFolder(folder: string, bytes: Uint8Array, name = 'embeddings.arrow'): Promise<string> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, name), bytes);
  return folder;
}
