import { open, readFile } from 'node:fs/promises';

import { CheckpointFormatError } from '../errors/checkpoint-format-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';

/**
 * One tensor as plain data (no tfjs): row-major values whose length is the product of `shape`.
 * `float32` holds a Float32Array, `int32` an Int32Array, `bool` a Uint8Array of 0/1.
 */
export interface TensorRecord {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** Element size in bytes of each safetensors dtype this module reads, and the record dtype it decodes to. */
const DTYPES = {
  F64: { size: 8, record: 'float32' },
  F32: { size: 4, record: 'float32' },
  F16: { size: 2, record: 'float32' },
  BF16: { size: 2, record: 'float32' },
  I64: { size: 8, record: 'int32' },
  I32: { size: 4, record: 'int32' },
  I16: { size: 2, record: 'int32' },
  I8: { size: 1, record: 'int32' },
  U8: { size: 1, record: 'int32' },
  BOOL: { size: 1, record: 'bool' },
} as const satisfies Record<string, { size: number; record: TensorRecord['dtype'] }>;

/** The safetensors dtypes this module reads (it writes only F32, I32 and BOOL). */
export type SafetensorsDtype = keyof typeof DTYPES;

const WRITTEN_DTYPE = { float32: 'F32', int32: 'I32', bool: 'BOOL' } as const;
const DATA_CLASS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** One tensor's entry in a safetensors header; `dataOffsets` are [begin, end) bytes into the data buffer. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  dataOffsets: [number, number];
}

/** A parsed safetensors header: tensor entries in file order, and the string→string `__metadata__` ({} if absent). */
export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialises tensors to the safetensors format (byte-compatible with Hugging Face's `safetensors`): tensors sorted
 * by name, laid out contiguously in that order, header padded with spaces to a multiple of 8 bytes.
 * Record dtypes map to F32, I32 and BOOL; with `options.float16`, float32 records are written as F16 (rounded to the
 * nearest half, ties to even; beyond ±65,504 they become ±Infinity). Inputs are read, never modified.
 *
 * @throws InvalidConfigError for a reserved name, a bad shape or a dtype/data mismatch;
 *   ShapeMismatchError when `data.length` is not the product of `shape`.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorRecord>,
  metadata?: Record<string, string>,
  options: { readonly float16?: boolean } = {},
): Uint8Array {
  const names = Object.keys(tensors).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries: [string, unknown][] = [];
  if (metadata !== undefined) entries.push([METADATA_KEY, checkMetadata(metadata)]);
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const record = tensors[name] as TensorRecord;
    checkRecord(name, record);
    const half = options.float16 === true && record.dtype === 'float32';
    const bytes = half ? halfBytes(record.data as Float32Array) : littleEndianBytes(record.data);
    entries.push([name, { dtype: half ? 'F16' : WRITTEN_DTYPE[record.dtype], shape: record.shape, data_offsets: [offset, offset + bytes.byteLength] }]);
    payloads.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(entries)));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength); // space padding keeps the data buffer 8-byte aligned
  let position = 8 + headerLength;
  for (const bytes of payloads) {
    out.set(bytes, position);
    position += bytes.byteLength;
  }
  return out;
}

/**
 * Parses a whole safetensors file held in memory. F32/F16/BF16/F64 decode to float32, I32/I64/I16/I8/U8 to int32
 * (I64 values must fit in int32), BOOL to bool. The returned arrays are fresh copies, independent of `bytes`.
 *
 * @param source the file name used in error messages
 * @throws CheckpointFormatError naming `source` and the problem, for any malformed or unsupported content
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): { tensors: Record<string, TensorRecord>; metadata: Record<string, string> } {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source);
  const dataStart = 8 + headerLength;
  const header = parseHeader(bytes.subarray(8, dataStart), bytes.byteLength - dataStart, source);
  const tensors = Object.entries(header.tensors).map(([name, entry]): [string, TensorRecord] => {
    const [begin, end] = entry.dataOffsets;
    const data = decodeData(entry.dtype, bytes.subarray(dataStart + begin, dataStart + end), source, name);
    return [name, { dtype: DTYPES[entry.dtype].record, shape: entry.shape, data }];
  });
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}

/**
 * Reads and decodes a safetensors file (the whole file is held in memory while decoding).
 * @throws CheckpointFormatError for malformed content; the file system's error when the file cannot be read
 */
export async function readSafetensors(path: string): Promise<{ tensors: Record<string, TensorRecord>; metadata: Record<string, string> }> {
  return decodeSafetensors(await readFile(path), path);
}

/**
 * Reads only the header of a safetensors file: names, dtypes, shapes and metadata, without loading the data, so a
 * multi-GB weight file can be listed cheaply. The header is fully validated against the file size.
 * @throws CheckpointFormatError for a malformed header
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const readExactly = async (position: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new CheckpointFormatError(path, 'file changed size while its header was read');
      return buffer;
    };
    const headerLength = readHeaderLength(await readExactly(0, Math.min(8, size)), size, path);
    return parseHeader(await readExactly(8, headerLength), size - 8 - headerLength, path);
  } finally {
    await handle.close();
  }
}

/**
 * The data buffer of a safetensors file held in memory (everything after the header): a view, not a copy.
 * @throws CheckpointFormatError when the header length does not fit the file
 */
export function safetensorsDataBuffer(bytes: Uint8Array, source: string): Uint8Array {
  return bytes.subarray(8 + readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source));
}

/** Reads the u64 little-endian header length and checks it against the file length. */
function readHeaderLength(prefix: Uint8Array, fileLength: number, source: string): number {
  if (fileLength < 8) {
    throw new CheckpointFormatError(source, `file is ${fileLength} bytes, shorter than the 8-byte header-length prefix`);
  }
  const headerLength = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(fileLength - 8)) {
    throw new CheckpointFormatError(source, `header length ${headerLength} runs past the end of the file (${fileLength} bytes)`);
  }
  return Number(headerLength);
}

/** Parses and validates the JSON header; `dataLength` is the size of the data buffer that follows it. */
function parseHeader(bytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  const fail = (reason: string, cause?: unknown): never => {
    throw new CheckpointFormatError(source, reason, { cause });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return fail(`header is not valid UTF-8 JSON (${(error as Error).message})`, error);
  }
  if (!isObject(parsed)) return fail(`header must be a JSON object, got ${JSON.stringify(parsed)?.slice(0, 40)}`);

  const tensors: [string, SafetensorsEntry][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else tensors.push([name, parseEntry(name, value, dataLength, fail)]);
  }
  checkLayout(tensors, dataLength, fail);
  return { tensors: Object.fromEntries(tensors), metadata };
}

function parseEntry(name: string, value: unknown, dataLength: number, fail: (reason: string) => never): SafetensorsEntry {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isObject(value)) return fail(`${where}: entry must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPES, dtype)) {
    return fail(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!isIndexArray(shape)) return fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!isIndexArray(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
    return fail(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    return fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data buffer`);
  }
  const expected = shape.reduce((product, dimension) => product * dimension, 1) * DTYPES[dtype as SafetensorsDtype].size;
  if (end - begin !== expected) {
    return fail(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`);
  }
  return { dtype: dtype as SafetensorsDtype, shape, dataOffsets: [begin, end] };
}

/** Like the reference implementation, requires the tensors to tile the data buffer exactly: no overlap, no gap. */
function checkLayout(tensors: [string, SafetensorsEntry][], dataLength: number, fail: (reason: string) => never): void {
  const sorted = [...tensors].sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let previous: [string, SafetensorsEntry] | undefined;
  let covered = 0;
  for (const current of sorted) {
    const [begin, end] = current[1].dataOffsets;
    if (previous !== undefined && begin < covered) {
      const [before, beforeEntry] = previous;
      fail(`tensors ${JSON.stringify(before)} [${beforeEntry.dataOffsets.join(', ')}] and ${JSON.stringify(current[0])} [${begin}, ${end}] overlap`);
    }
    if (begin > covered) fail(`bytes [${covered}, ${begin}) of the data buffer belong to no tensor`);
    covered = end;
    previous = current;
  }
  if (covered !== dataLength) fail(`bytes [${covered}, ${dataLength}) of the data buffer belong to no tensor`);
}

function parseMetadata(value: unknown, fail: (reason: string) => never): Record<string, string> {
  if (value === null) return {};
  if (!isObject(value)) return fail(`__metadata__ must be an object mapping strings to strings, got ${JSON.stringify(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      fail(`__metadata__ must map strings to strings, but ${JSON.stringify(key)} holds ${JSON.stringify(entry)}`);
    }
  }
  return { ...(value as Record<string, string>) };
}

/** Copies one tensor's bytes (little-endian, any alignment) into a fresh, aligned typed array. */
function decodeData(dtype: SafetensorsDtype, bytes: Uint8Array, source: string, name: string): TensorRecord['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / DTYPES[dtype].size;
  const fill = <T extends Float32Array | Int32Array>(out: T, read: (index: number) => number): T => {
    for (let index = 0; index < count; index++) out[index] = read(index);
    return out;
  };
  switch (dtype) {
    case 'F32':
      return littleEndianHost ? new Float32Array(copyBytes(bytes).buffer) : fill(new Float32Array(count), (i) => view.getFloat32(4 * i, true));
    case 'F64':
      return fill(new Float32Array(count), (i) => view.getFloat64(8 * i, true));
    case 'F16':
      return fill(new Float32Array(count), (i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'BF16': {
      // bfloat16 is the upper half of a float32's bits.
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I32':
      return littleEndianHost ? new Int32Array(copyBytes(bytes).buffer) : fill(new Int32Array(count), (i) => view.getInt32(4 * i, true));
    case 'I64':
      return fill(new Int32Array(count), (i) => {
        const value = view.getBigInt64(8 * i, true);
        if (value < -2147483648n || value > 2147483647n) {
          throw new CheckpointFormatError(source, `tensor ${JSON.stringify(name)}: I64 value ${value} at index ${i} does not fit in int32`);
        }
        return Number(value);
      });
    case 'I16':
      return fill(new Int32Array(count), (i) => view.getInt16(2 * i, true));
    case 'I8':
      return fill(new Int32Array(count), (i) => view.getInt8(i));
    case 'U8':
      return Int32Array.from(bytes);
    case 'BOOL':
      return copyBytes(bytes);
  }
}

/** A fresh Uint8Array copy (`bytes.slice()` would not copy when `bytes` is a Node Buffer). */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** IEEE 754 binary16 bits → number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** float32 values as little-endian IEEE half floats (round to nearest, ties to even; subnormals kept). */
function halfBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  const bits = new Uint32Array(1);
  const float = new Float32Array(bits.buffer);
  for (let i = 0; i < data.length; i++) {
    float[0] = data[i]!;
    view.setUint16(2 * i, floatBitsToHalf(bits[0]!), true);
  }
  return out;
}

function floatBitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Infinity, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    if (e < -10) return sign; // below half's smallest subnormal: ±0
    const m = mantissa | 0x800000; // the implicit 1
    const shift = 14 - e;
    const half = m >> shift;
    const rest = m & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  // Rounding may carry into the exponent (and up to Infinity), which is the right result.
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** The record's values as little-endian bytes (a view when the host is little-endian, else a converted copy). */
function littleEndianBytes(data: TensorRecord['data']): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndianHost || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((value, i) => (data instanceof Float32Array ? view.setFloat32(4 * i, value, true) : view.setInt32(4 * i, value, true)));
  return out;
}

function checkRecord(name: string, record: TensorRecord): void {
  const where = `tensors[${JSON.stringify(name)}]`;
  if (name === METADATA_KEY) throw new InvalidConfigError('tensors', name, 'any tensor name except "__metadata__", which safetensors reserves');
  if (!Object.hasOwn(DATA_CLASS, record.dtype) || !(record.data instanceof DATA_CLASS[record.dtype])) {
    throw new InvalidConfigError(`${where}.dtype`, record.dtype, "'float32' with a Float32Array, 'int32' with an Int32Array or 'bool' with a Uint8Array");
  }
  if (!isIndexArray(record.shape)) throw new InvalidConfigError(`${where}.shape`, record.shape, 'an array of non-negative integers');
  const size = record.shape.reduce((product, dimension) => product * dimension, 1);
  if (record.data.length !== size) {
    throw new ShapeMismatchError(`${where}.data`, [size], [record.data.length], `Data must hold product(shape [${record.shape.join(', ')}]) values.`);
  }
}

function checkMetadata(metadata: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string')
      throw new InvalidConfigError(`metadata[${JSON.stringify(key)}]`, value, 'a string (safetensors metadata maps strings to strings)');
  }
  return metadata;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && item >= 0);
}
