/**
 * Reads the vectors a user computed elsewhere (DINOv2, CLIP, ...): one Arrow
 * IPC file (file or stream format) in the source folder, with columns
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
import type { SourceFile } from './source.js';
import type { SourceTree } from './source-tree.js';

/** What an embeddings file is recognised by in its folder. */
export const EMBEDDING_FILE_PATTERN = /\.(arrow|feather|ipc)$/i;

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
  if (names.length === 0) throw new BadInputError(`${tree.label} ${tree.root}`, 'holds no Arrow IPC file (*.arrow) of embeddings');
  if (names.length > 1) throw new BadInputError(`${tree.label} ${tree.root}`, `holds ${names.length} Arrow files (${names.join(', ')}); put one embeddings file in the folder`);
  const path = names[0]!;
  const where = tree.describe(path);
  const bytes = await tree.read(path);
  const hash = await tree.hash(path);
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new BadInputError(where, `not a readable Arrow IPC file (${(error as Error).message})`, { cause: error });
  }
  if (table.numRows === 0) throw new BadInputError(where, 'holds no rows');

  const index = integers(table, 'index', where);
  const labels = integers(table, 'label', where);
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

  const { dim, values, sourceDtype } = embeddings(table, where, index);
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
  if (vector === null) throw new BadInputError(where, `missing column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(', ')}); an embeddings file has index, label and embedding`);
  return vector;
}

/** An integer column as plain numbers; nulls refused (a row with no index, or no label, cannot be placed in the task). */
function integers(table: Table, name: string, where: string): number[] {
  const vector = columnOf(table, name, where);
  if (!DataType.isInt(vector.type)) throw new BadInputError(where, `column "${name}" has type ${String(vector.type)}, expected an integer type`);
  if (vector.nullCount > 0) {
    const row = Array.from({ length: vector.length }, (_, i) => i).find((i) => !vector.isValid(i))!;
    const what = name === 'label' ? 'unlabelled examples are not supported: every split needs its ground truth (accuracy, the ceiling)' : 'every example needs an index';
    throw new BadInputError(where, `column "${name}" is null at row ${row}; ${what}`);
  }
  return Array.from(vector.toArray() as ArrayLike<number | bigint>, (v) => Number(v));
}

/** The `embedding` column as float32, checked: one length for every row, no nulls, every value finite. */
function embeddings(table: Table, where: string, index: readonly number[]): { dim: number; values: Float32Array; sourceDtype: 'float32' | 'float64' } {
  const vector = columnOf(table, 'embedding', where);
  const type = vector.type as DataType;
  const expected = 'a fixed_size_list or list of float32 or float64';
  if (!DataType.isFixedSizeList(type) && !DataType.isList(type)) throw new BadInputError(where, `column "embedding" has type ${String(type)}, expected ${expected}`);
  const element = type.children[0]!.type as DataType;
  if (!DataType.isFloat(element) || (element.precision !== 1 && element.precision !== 2)) throw new BadInputError(where, `column "embedding" has type ${String(type)}, expected ${expected}`);
  const sourceDtype = element.precision === 1 ? 'float32' : 'float64';
  if (vector.nullCount > 0) {
    const row = Array.from({ length: vector.length }, (_, i) => i).find((i) => !vector.isValid(i))!;
    throw new BadInputError(where, `column "embedding" is null for index ${index[row]}; every example needs a vector`);
  }
  let dim: number | undefined = DataType.isFixedSizeList(type) ? type.listSize : undefined;
  let values: Float32Array | undefined;
  let row = 0;
  for (const data of vector.data as ReadonlyArray<Data>) {
    const child = data.children[0]!;
    if (child.nullCount > 0) throw new BadInputError(where, 'column "embedding" has null values inside vectors; every value must be a number');
    const raw = child.values as Float32Array | Float64Array;
    for (let r = 0; r < data.length; r++, row++) {
      let start: number;
      let length: number;
      if (DataType.isFixedSizeList(type)) {
        start = child.offset + (data.offset + r) * type.listSize;
        length = type.listSize;
      } else {
        const offsets = data.valueOffsets as Int32Array;
        start = child.offset + offsets[data.offset + r]!;
        length = offsets[data.offset + r + 1]! - offsets[data.offset + r]!;
      }
      dim ??= length;
      if (length !== dim) throw new BadInputError(where, `vectors differ in length: index ${index[row]} has ${length} values, index ${index[0]} has ${dim}; every embedding must have the same length`);
      if (dim === 0) throw new BadInputError(where, `the vector of index ${index[row]} is empty`);
      values ??= new Float32Array(vector.length * dim);
      for (let j = 0; j < length; j++) {
        const value = Math.fround(raw[start + j]!);
        if (!Number.isFinite(value)) {
          const what = Number.isFinite(raw[start + j]!) ? `${raw[start + j]} (beyond float32's range)` : String(raw[start + j]);
          throw new BadInputError(where, `the vector of index ${index[row]} holds ${what} at position ${j}; every value must be a finite number`);
        }
        values[row * dim + j] = value;
      }
    }
  }
  return { dim: dim!, values: values!, sourceDtype };
}
