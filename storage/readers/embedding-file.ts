/**
 * Reads the vectors a user computed elsewhere (DINOv2, CLIP, ...): one Arrow
 * IPC file (file or stream format) or Parquet file in the source folder,
 * with columns
 *
 *   index: any integer type, unique, 0 .. 2^32-1
 *   label: any integer type, 0 .. K-1
 *   embedding: fixed_size_list or list of float32 / float64, every row D values
 *
 * Every check that can fail happens here, before anything is stored, and
 * each error names the file (and the row's index where one row is at fault).
 * Rows come back sorted by `index`, so the dataset does not depend on the
 * order the file happens to list them in.
 */
import { DataType, tableFromIPC, type Data, type Table, type Vector } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';
import { EMBEDDING_FILE_PATTERN, missingColumn, notInteger, nullAt, VECTOR_TYPES, type EmbeddingColumns } from './embedding-columns.js';
import { readParquetColumns } from './embedding-parquet.js';
import type { SourceFile } from './source.js';
import type { SourceTree } from './source-tree.js';

export interface EmbeddingFile {
  readonly file: SourceFile;
  /** The file's `index` values, ascending. */
  readonly index: Uint32Array;
  /** Labels aligned with `index`. */
  readonly labels: Int16Array;
  readonly dim: number;
  /** `index.length * dim` values, row-major, aligned with `index`. */
  readonly vectors: Float32Array;
  readonly sourceDtype: 'float32' | 'float64';
  readonly numClasses: number;
}

/** Labels are stored as int16. */
const MAX_CLASSES = 32_767;

export async function readEmbeddingFile(tree: SourceTree, classNames: readonly string[] | undefined): Promise<EmbeddingFile> {
  const entries = await tree.list('');
  const names = entries.filter((e) => e.kind === 'file' && EMBEDDING_FILE_PATTERN.test(e.name)).map((e) => e.name);
  if (names.length === 0) throw new BadInputError(`${tree.label} ${tree.root}`, 'holds no embeddings file (*.arrow or *.parquet)');
  if (names.length > 1) throw new BadInputError(`${tree.label} ${tree.root}`, `holds ${names.length} embeddings files (${names.join(', ')}); put one in the folder`);
  const path = names[0]!;
  const where = tree.describe(path);
  const bytes = await tree.read(path);
  const hash = await tree.hash(path);
  const columns = /\.parquet$/i.test(path) ? await readParquetColumns(bytes, where) : arrowColumns(bytes, where);
  if (columns.index.length === 0) throw new BadInputError(where, 'holds no rows');
  const { index, labels } = columns;
  const order = Array.from(index.keys()).sort((a, b) => index[a]! - index[b]!);
  for (let i = 1; i < order.length; i++) {
    if (index[order[i]!] === index[order[i - 1]!]) throw new BadInputError(where, `index ${index[order[i]!]} appears more than once; every example needs its own index`);
  }
  for (const [row, value] of index.entries()) {
    if (value < 0 || value > 0xffffffff) throw new BadInputError(where, `index ${value} (row ${row}) is outside 0..${0xffffffff}`);
  }
  const numClasses = classNames?.length ?? labels.reduce((max, label) => Math.max(max, label), -1) + 1;
  if (numClasses > MAX_CLASSES) throw new BadInputError(where, `labels go up to ${numClasses - 1}; at most ${MAX_CLASSES} classes are supported`);
  for (const [row, label] of labels.entries()) {
    if (label < 0 || label >= numClasses) {
      const classes = classNames ? `the ${classNames.length} classes named (classNames)` : `0..${numClasses - 1}`;
      throw new BadInputError(where, `label ${label} of index ${index[row]} is outside ${classes}`);
    }
  }
  if (numClasses < 2) throw new BadInputError(where, `every label is ${labels[0]}; a classification task needs at least two classes`);

  const { dim, values } = packVectors(columns.vectors, index, where);
  const sourceDtype = columns.sourceDtype;
  const vectors = new Float32Array(index.length * dim);
  const sorted = new Uint32Array(index.length);
  const sortedLabels = new Int16Array(index.length);
  order.forEach((row, i) => {
    sorted[i] = index[row]!;
    sortedLabels[i] = labels[row]!;
    vectors.set(values.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  return { file: { path, sha256: hash.sha256, bytes: hash.bytes }, index: sorted, labels: sortedLabels, dim, vectors, sourceDtype, numClasses };
}

function columnOf(table: Table, name: string, where: string): Vector {
  const vector = table.getChild(name);
  if (vector === null) throw new BadInputError(where, missingColumn(name, table.schema.fields.map((f) => f.name)));
  return vector;
}

/** An integer column as plain numbers; nulls refused (a row with no index, or no label, cannot be placed in the task). */
function integers(table: Table, name: string, where: string): number[] {
  const vector = columnOf(table, name, where);
  if (!DataType.isInt(vector.type)) throw new BadInputError(where, notInteger(name, String(vector.type)));
  if (vector.nullCount > 0) {
    const row = Array.from({ length: vector.length }, (_, i) => i).find((i) => !vector.isValid(i))!;
    throw new BadInputError(where, nullAt(name, row));
  }
  return Array.from(vector.toArray() as ArrayLike<number | bigint>, (v) => Number(v));
}

/** The columns of an Arrow IPC file (file or stream format). */
function arrowColumns(bytes: Uint8Array, where: string): EmbeddingColumns {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new BadInputError(where, `not a readable Arrow IPC file (${(error as Error).message})`, { cause: error });
  }
  const index = integers(table, 'index', where);
  const labels = integers(table, 'label', where);
  const vector = columnOf(table, 'embedding', where);
  const type = vector.type as DataType;
  if (!DataType.isFixedSizeList(type) && !DataType.isList(type)) throw new BadInputError(where, `column "embedding" has type ${String(type)}, expected ${VECTOR_TYPES}`);
  const element = type.children[0]!.type as DataType;
  if (!DataType.isFloat(element) || (element.precision !== 1 && element.precision !== 2)) throw new BadInputError(where, `column "embedding" has type ${String(type)}, expected ${VECTOR_TYPES}`);
  if (vector.nullCount > 0) {
    const row = Array.from({ length: vector.length }, (_, i) => i).find((i) => !vector.isValid(i))!;
    throw new BadInputError(where, nullAt('embedding', row));
  }
  const vectors: Array<Float32Array | Float64Array> = [];
  for (const data of vector.data as ReadonlyArray<Data>) {
    const child = data.children[0]!;
    if (child.nullCount > 0) throw new BadInputError(where, 'column "embedding" has null values inside vectors; every value must be a number');
    const raw = child.values as Float32Array | Float64Array;
    for (let r = 0; r < data.length; r++) {
      if (DataType.isFixedSizeList(type)) {
        const start = child.offset + (data.offset + r) * type.listSize;
        vectors.push(raw.subarray(start, start + type.listSize));
      } else {
        const offsets = data.valueOffsets as Int32Array;
        vectors.push(raw.subarray(child.offset + offsets[data.offset + r]!, child.offset + offsets[data.offset + r + 1]!));
      }
    }
  }
  return { index, labels, vectors, sourceDtype: element.precision === 1 ? 'float32' : 'float64' };
}

/** The vectors as one float32 array, checked: one length for every row, none empty, every value finite (also once rounded to float32). */
function packVectors(rows: ReadonlyArray<ArrayLike<number>>, index: readonly number[], where: string): { dim: number; values: Float32Array } {
  const dim = rows[0]!.length;
  if (dim === 0) throw new BadInputError(where, `the vector of index ${index[0]} is empty`);
  const values = new Float32Array(rows.length * dim);
  rows.forEach((row, r) => {
    if (row.length !== dim) throw new BadInputError(where, `vectors differ in length: index ${index[r]} has ${row.length} values, index ${index[0]} has ${dim}; every embedding must have the same length`);
    for (let j = 0; j < dim; j++) {
      const value = Math.fround(row[j]!);
      if (!Number.isFinite(value)) {
        const what = Number.isFinite(row[j]!) ? `${row[j]} (beyond float32's range)` : String(row[j]);
        throw new BadInputError(where, `the vector of index ${index[r]} holds ${what} at position ${j}; every value must be a finite number`);
      }
      values[r * dim + j] = value;
    }
  });
  return { dim, values };
}
