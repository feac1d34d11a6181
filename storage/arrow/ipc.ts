/**
 * Arrow IPC plumbing shared by the shard formats: one record batch per file,
 * columns built straight from typed arrays (no copies), and a parser that
 * turns every way a file can be wrong into a BadInputError naming its URI.
 */
import { Data, DataType, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Type, Vector } from 'apache-arrow';
import { BadInputError } from '../../core/errors.js';

/** Serialises one record batch as an Arrow IPC file; equal inputs give equal bytes. */
export function toIpcFile(schema: Schema, columns: readonly Data[], rows: number): Uint8Array {
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [...columns] });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'file');
}

export function parseIpcFile(bytes: Uint8Array, uri: string): Table {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new BadInputError(uri, `not a readable Arrow IPC file (${(error as Error).message})`, { cause: error });
  }
  if (table.schema.fields.length === 0) throw new BadInputError(uri, 'not an Arrow IPC file with columns (empty or corrupt)');
  return table;
}

export function metadataValue(table: Table, key: string, uri: string): string {
  const value = table.schema.metadata.get(key);
  if (value === undefined) throw new BadInputError(uri, `schema metadata has no "${key}"`);
  return value;
}

export function metadataJson(table: Table, key: string, uri: string): unknown {
  const text = metadataValue(table, key, uri);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadInputError(uri, `schema metadata "${key}" is not JSON: ${text.slice(0, 80)}`);
  }
}

/** The column's values as one contiguous chunk (zero-copy when the file has a single batch). */
export function column<T extends DataType>(table: Table, name: string, uri: string, check: (type: DataType) => type is T, expected: string): Vector<T> {
  const vector = table.getChild(name);
  if (vector === null) throw new BadInputError(uri, `missing column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  if (!check(vector.type)) throw new BadInputError(uri, `column "${name}" has type ${String(vector.type)}, expected ${expected}`);
  return vector as Vector<T>;
}

export function isUint32(type: DataType): type is DataType<Type.Uint32> {
  return DataType.isInt(type) && type.bitWidth === 32 && !type.isSigned;
}

/** A type check for `fixed_size_list<float32>[size]`, the column of one vector per row. */
export function isFloat32List(size: number): (type: DataType) => type is DataType<Type.FixedSizeList> {
  return (t): t is DataType<Type.FixedSizeList> => DataType.isFixedSizeList(t) && t.listSize === size && DataType.isFloat(t.children[0]!.type) && t.children[0]!.type.precision === 1;
}

export function isInt16(type: DataType): type is DataType<Type.Int16> {
  return DataType.isInt(type) && type.bitWidth === 16 && type.isSigned;
}

/** Plain numbers of an integer column, copied only when it spans several batches. */
export function intValues<A extends Uint32Array | Int16Array>(vector: Vector, make: new (length: number) => A): A {
  if (vector.data.length === 1) {
    const data = vector.data[0]!;
    return (data.values as A).subarray(data.offset, data.offset + data.length) as A;
  }
  const out = new make(vector.length);
  let at = 0;
  for (const data of vector.data) {
    out.set((data.values as A).subarray(data.offset, data.offset + data.length), at);
    at += data.length;
  }
  return out;
}

/** Validity of each row (1 = present), or undefined when no row is null. */
export function validity(vector: Vector): Uint8Array | undefined {
  if (vector.nullCount === 0) return undefined;
  const out = new Uint8Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector.isValid(i) ? 1 : 0;
  return out;
}

/** Bytes of a fixed-size binary column, rows back to back (zero-copy for a single batch). */
export function fixedBinaryBytes(vector: Vector, rowBytes: number): Uint8Array {
  const parts = vector.data.map((data) => (data.values as Uint8Array).subarray(data.offset * rowBytes, (data.offset + data.length) * rowBytes));
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(vector.length * rowBytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
