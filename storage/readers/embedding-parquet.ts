/**
 * The columns of a Parquet embeddings file, read with hyparquet (pure
 * JavaScript, no dependencies; snappy built in, the compression pyarrow and
 * pandas write by default). Arrow's fixed-size lists are stored in Parquet
 * as lists, so `embedding` is a list of FLOAT or DOUBLE; `index` and
 * `label` are INT32 or INT64 columns.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { BadInputError } from '../../core/errors.js';
import { EMBEDDING_COLUMN_NAMES, missingColumn, notInteger, nullAt, VECTOR_TYPES, type EmbeddingColumns } from './embedding-columns.js';

type SchemaTree = ReturnType<typeof parquetSchema>;

const INTEGER_TYPES = new Set(['INT32', 'INT64']);
const FLOAT_TYPES: Readonly<Record<string, 'float32' | 'float64'>> = { FLOAT: 'float32', DOUBLE: 'float64' };

export async function readParquetColumns(bytes: Uint8Array, where: string): Promise<EmbeddingColumns> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (error) {
    throw new BadInputError(where, `not a readable Parquet file (${(error as Error).message})`, { cause: error });
  }
  const root = parquetSchema(metadata);
  const names = root.children.map((c) => c.element.name);
  const columnTree = (name: string): SchemaTree => {
    const column = root.children.find((c) => c.element.name === name);
    if (!column) throw new BadInputError(where, missingColumn(name, names));
    return column;
  };
  for (const name of ['index', 'label']) {
    const column = columnTree(name);
    const type = column.element.type;
    if (column.children.length > 0 || type === undefined || !INTEGER_TYPES.has(type)) throw new BadInputError(where, notInteger(name, describe(column)));
  }
  const embedding = columnTree('embedding');
  // A list: the column's group, its repeated group, then the element (or, in legacy files, a repeated leaf).
  let leaf = embedding;
  let repeated = embedding.element.repetition_type === 'REPEATED';
  while (leaf.children.length === 1) {
    leaf = leaf.children[0]!;
    repeated ||= leaf.element.repetition_type === 'REPEATED';
  }
  const sourceDtype = leaf.children.length === 0 && leaf.element.type !== undefined ? FLOAT_TYPES[leaf.element.type] : undefined;
  if (!repeated || !sourceDtype) throw new BadInputError(where, `column "embedding" has type ${describe(embedding)}, expected ${VECTOR_TYPES}`);

  let rows: Array<Record<string, unknown>>;
  try {
    rows = await parquetReadObjects({ file: buffer, metadata, columns: [...EMBEDDING_COLUMN_NAMES], rowFormat: 'object' });
  } catch (error) {
    throw new BadInputError(where, `not a readable Parquet file (${(error as Error).message})`, { cause: error });
  }
  const integers = (name: string): number[] =>
    rows.map((row, i) => {
      const value = row[name];
      if (value === null || value === undefined) throw new BadInputError(where, nullAt(name, i));
      return Number(value as number | bigint);
    });
  const index = integers('index');
  const labels = integers('label');
  const vectors = rows.map((row, i) => {
    const value = row.embedding;
    if (value === null || value === undefined) throw new BadInputError(where, nullAt('embedding', i));
    const vector = value as ArrayLike<number | null>;
    for (let j = 0; j < vector.length; j++) {
      if (vector[j] === null || vector[j] === undefined) throw new BadInputError(where, 'column "embedding" has null values inside vectors; every value must be a number');
    }
    return vector as ArrayLike<number>;
  });
  return { index, labels, vectors, sourceDtype };
}

/** A column's type as Parquet names it, for messages: `DOUBLE`, or `list<INT32>`. */
function describe(column: SchemaTree): string {
  if (column.children.length === 0) return column.element.type ?? 'group';
  let leaf = column;
  while (leaf.children.length === 1) leaf = leaf.children[0]!;
  return leaf.children.length === 0 ? `list<${leaf.element.type ?? 'group'}>` : 'struct';
}
