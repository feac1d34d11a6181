/**
 * The byte layout of saved weights and checkpoints: a small JSON header
 * followed by raw float32 tensors, so storage can hold it as one object and
 * any language can read it without tfjs.
 *
 *   bytes 0..7      magic, ASCII "W2SBNDL1"
 *   bytes 8..11     header length H, uint32 little-endian
 *   bytes 12..12+H  header, UTF-8 JSON: { "meta": {...}, "tensors": [{ "name", "shape", "offset", "length" }] }
 *   then            zero padding up to a multiple of 8 bytes: the data section starts at D
 *   D + offset ..   each tensor's values, float32 little-endian, row-major; `offset` and `length` in bytes
 */
import { endianness } from 'node:os';
import { BadInputError } from '../../core/errors.js';

const MAGIC = 'W2SBNDL1';
const PREAMBLE = MAGIC.length + 4;

export interface TensorRecord {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export interface TensorFile<Meta> {
  readonly meta: Meta;
  readonly tensors: ReadonlyMap<string, TensorRecord>;
}

interface TensorEntry {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('tensor files are little-endian and this host is big-endian');
}

export function encodeTensorFile(meta: unknown, tensors: readonly TensorRecord[]): Uint8Array {
  assertLittleEndian();
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    if (shape.reduce((a, b) => a * b, 1) !== values.length) throw new Error(`tensor ${name}: shape [${shape.join(', ')}] does not hold ${values.length} values`);
    entries.push({ name, shape: [...shape], offset, length: values.byteLength });
    offset += values.byteLength;
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const dataStart = align8(PREAMBLE + header.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, PREAMBLE);
  tensors.forEach(({ values }, i) => {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataStart + entries[i]!.offset);
  });
  return out;
}

/** Parses and checks a tensor file; `where` names the object in errors. Values are copies, safe to keep. */
export function decodeTensorFile(bytes: Uint8Array, where: string): TensorFile<unknown> {
  assertLittleEndian();
  if (bytes.length < PREAMBLE || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new BadInputError(where, `not a w2s tensor file (expected the magic ${MAGIC} at byte 0)`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (PREAMBLE + headerLength > bytes.length) throw new BadInputError(where, `header of ${headerLength} bytes runs past the end (${bytes.length} bytes; truncated?)`);
  let header: { meta?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength))) as typeof header;
  } catch (error) {
    throw new BadInputError(where, 'header is not valid JSON', { cause: error });
  }
  if (!Array.isArray(header.tensors)) throw new BadInputError(where, 'header has no tensor list');
  const dataStart = align8(PREAMBLE + headerLength);
  const tensors = new Map<string, TensorRecord>();
  for (const entry of header.tensors as TensorEntry[]) {
    const { name, shape, offset, length } = entry;
    const count = Array.isArray(shape) ? shape.reduce((a: number, b: number) => a * b, 1) : NaN;
    if (typeof name !== 'string' || !(count * 4 === length) || !Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new BadInputError(where, `tensor entry ${JSON.stringify(entry)} is malformed`);
    }
    if (dataStart + offset + length > bytes.length) throw new BadInputError(where, `tensor ${name} runs past the end of the file (truncated?)`);
    if (tensors.has(name)) throw new BadInputError(where, `tensor ${name} appears twice`);
    const start = bytes.byteOffset + dataStart + offset;
    const values = new Float32Array(bytes.buffer.slice(start, start + length));
    tensors.set(name, { name, shape, values });
  }
  return { meta: header.meta, tensors };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * A file's bytes as a record, for objects that carry a model in another
 * format (an ONNX file) beside their tensors: the format holds float32 only,
 * so the bytes are padded to a multiple of 4 and viewed as float32, never
 * read as numbers (a view and its copies keep every bit). `fileBytes` takes
 * them back, given the length the caller's header records.
 */
export function bytesRecord(name: string, bytes: Uint8Array): TensorRecord {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return { name, shape: [padded.length / 4], values: new Float32Array(padded.buffer) };
}

export function fileBytes(record: TensorRecord, length: number, where: string): Uint8Array {
  const { values } = record;
  if (length > values.byteLength || length < values.byteLength - 3) throw new BadInputError(where, `${record.name} holds ${values.byteLength} bytes, the header says ${length}`);
  return new Uint8Array(values.buffer, values.byteOffset, length);
}
