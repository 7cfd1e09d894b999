import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CheckpointFormatError } from '../errors/checkpoint-format-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { TensorRecord } from './safetensors.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, readSafetensorsHeader, safetensorsDataBuffer } from './safetensors.js';

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Raw file bytes from a header (object or exact JSON text, unpadded) and a data buffer. */
function buildFile(header: unknown, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function decodeError(bytes: Uint8Array): CheckpointFormatError {
  try {
    decodeSafetensors(bytes, 'model.safetensors');
  } catch (error) {
    if (error instanceof CheckpointFormatError) return error;
    throw error;
  }
  throw new Error('decodeSafetensors accepted a malformed file');
}

const plain = (record: TensorRecord | undefined) => record && { dtype: record.dtype, shape: record.shape, values: Array.from(record.data) };

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'umd-safetensors-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('encodeSafetensors', () => {
  // Written by Python: safetensors.numpy.save({"b": np.array([0.5], np.float32),
  //   "a": np.array([[1, 2], [3, 4]], np.float32)}, metadata={"format": "pt"})  (safetensors 0.8.0)
  const pythonFile =
    '9000000000000000' +
    '7b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2261223a7b226474797065223a22463332222c2273686170' +
    '65223a5b322c325d2c22646174615f6f666673657473223a5b302c31365d7d2c2262223a7b226474797065223a22463332222c2273686170' +
    '65223a5b315d2c22646174615f6f666673657473223a5b31362c32305d7d7d20' +
    '0000803f0000004000004040000080400000003f';

  it('writes the same bytes as the Python reference implementation', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'float32', shape: [1], data: new Float32Array([0.5]) },
        a: { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      },
      { format: 'pt' },
    );
    expect(Buffer.from(bytes).toString('hex')).toBe(pythonFile);
  });

  it('lays out a known file exactly: u64 header length, padded JSON header, contiguous little-endian data', () => {
    const bytes = encodeSafetensors({
      weight: { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) },
      flag: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      index: { dtype: 'int32', shape: [], data: new Int32Array([-1]) },
    });
    const header =
      '{"flag":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]},' +
      '"index":{"dtype":"I32","shape":[],"data_offsets":[3,7]},' +
      '"weight":{"dtype":"F32","shape":[2],"data_offsets":[7,15]}}';
    expect(header.length).toBe(173); // padded with 3 spaces to 176 = 22 × 8
    const expected = [
      ...[176, 0, 0, 0, 0, 0, 0, 0],
      ...new TextEncoder().encode(`${header}   `),
      ...[1, 0, 1],
      ...[0xff, 0xff, 0xff, 0xff],
      ...[0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0],
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('is deterministic: tensors are sorted by name whatever the insertion order', () => {
    const x: TensorRecord = { dtype: 'float32', shape: [1], data: new Float32Array([1]) };
    const y: TensorRecord = { dtype: 'int32', shape: [1], data: new Int32Array([2]) };
    expect(encodeSafetensors({ x, y })).toEqual(encodeSafetensors({ y, x }));
  });

  it('writes a data view with a byte offset correctly', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const bytes = encodeSafetensors({ v: { dtype: 'float32', shape: [2], data: backing.subarray(1, 3) } });
    expect(plain(decodeSafetensors(bytes, 'view').tensors['v'])).toEqual({ dtype: 'float32', shape: [2], values: [1, 2] });
  });

  it('rejects data whose length is not the product of the shape', () => {
    const call = () => encodeSafetensors({ w: { dtype: 'float32', shape: [2, 3], data: new Float32Array(5) } });
    expect(call).toThrow(ShapeMismatchError);
    expect(call).toThrow('tensors["w"].data: expected shape [6], got [5]');
  });

  it('rejects a dtype that does not match the data, a bad shape and the reserved name __metadata__', () => {
    const int: TensorRecord = { dtype: 'float32', shape: [1], data: new Int32Array([1]) };
    expect(() => encodeSafetensors({ w: int })).toThrow(InvalidConfigError);
    expect(() => encodeSafetensors({ w: { dtype: 'float32', shape: [-1], data: new Float32Array(1) } })).toThrow('tensors["w"].shape');
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'bool', shape: [], data: new Uint8Array(1) } })).toThrow('__metadata__');
    expect(() => encodeSafetensors({}, { step: 3 as unknown as string })).toThrow('metadata["step"]');
  });
});

describe('decodeSafetensors', () => {
  it('round-trips float32, int32 and bool with metadata', () => {
    const tensors: Record<string, TensorRecord> = {
      'blocks.0.attn.qkv.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([0.1, -2, 3e-8, Infinity, -0, 7]) },
      'optimizer/step': { dtype: 'int32', shape: [], data: new Int32Array([2147483647]) },
      mask: { dtype: 'bool', shape: [2, 1], data: new Uint8Array([0, 1]) },
      empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
    };
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { note: 'ü ✓' }), 'round-trip');
    expect(decoded.metadata).toEqual({ note: 'ü ✓' });
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, record] of Object.entries(tensors)) {
      const got = decoded.tensors[name];
      expect(got?.data).toBeInstanceOf(record.data.constructor);
      expect(got).toEqual(record);
    }
  });

  it('decodes F16, F64, I64, I16, I8, U8 and BOOL written by Python', () => {
    // safetensors.numpy.save({"half": np.array([1, -2, 65504, 2**-24, -0.0, np.inf], np.float16),
    //   "double": np.array([0.1, -1e-3], np.float64), "long": np.array([[2**31 - 1], [-2**31]], np.int64),
    //   "short": np.array([-32768, 32767], np.int16), "byte": np.array([-128, 127], np.int8),
    //   "ubyte": np.array([0, 255], np.uint8), "mask": np.array([True, False, True])})
    const file = fromHex(
      'a001000000000000' +
        Buffer.from(
          '{"long":{"dtype":"I64","shape":[2,1],"data_offsets":[0,16]},"double":{"dtype":"F64","shape":[2],"data_offsets":[16,32]},' +
            '"half":{"dtype":"F16","shape":[6],"data_offsets":[32,44]},"short":{"dtype":"I16","shape":[2],"data_offsets":[44,48]},' +
            '"byte":{"dtype":"I8","shape":[2],"data_offsets":[48,50]},"ubyte":{"dtype":"U8","shape":[2],"data_offsets":[50,52]},' +
            '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[52,55]}}     ',
        ).toString('hex') +
        'ffffff7f0000000000000080ffffffff9a9999999999b93ffca9f1d24d6250bf003c00c0ff7b01000080007c0080ff7f807f00ff010001',
    );
    const { tensors, metadata } = decodeSafetensors(file, 'python.safetensors');
    expect(metadata).toEqual({});
    expect(plain(tensors['half'])).toEqual({ dtype: 'float32', shape: [6], values: [1, -2, 65504, 2 ** -24, -0, Infinity] });
    expect(Object.is(tensors['half']?.data[4], -0)).toBe(true);
    expect(plain(tensors['double'])).toEqual({ dtype: 'float32', shape: [2], values: [Math.fround(0.1), Math.fround(-1e-3)] });
    expect(plain(tensors['long'])).toEqual({ dtype: 'int32', shape: [2, 1], values: [2147483647, -2147483648] });
    expect(plain(tensors['short'])).toEqual({ dtype: 'int32', shape: [2], values: [-32768, 32767] });
    expect(plain(tensors['byte'])).toEqual({ dtype: 'int32', shape: [2], values: [-128, 127] });
    expect(plain(tensors['ubyte'])).toEqual({ dtype: 'int32', shape: [2], values: [0, 255] });
    expect(plain(tensors['mask'])).toEqual({ dtype: 'bool', shape: [3], values: [1, 0, 1] });
  });

  it('decodes hand-computed F16 and BF16 bit patterns', () => {
    const half = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const brain = [0x3f80, 0xc040, 0x3e20, 0x4049, 0x0001, 0x7f80, 0xff80];
    const data = new Uint8Array(2 * (half.length + brain.length));
    const view = new DataView(data.buffer);
    [...half, ...brain].forEach((bits, i) => view.setUint16(2 * i, bits, true));
    const file = buildFile(
      {
        h: { dtype: 'F16', shape: [half.length], data_offsets: [0, 2 * half.length] },
        b: { dtype: 'BF16', shape: [brain.length], data_offsets: [2 * half.length, data.length] },
      },
      data,
    );
    const { tensors } = decodeSafetensors(file, 'half.safetensors');
    // 0x3555 = (1 + 341/1024) / 4; 0x7bff = the largest half, 65504; 0x0001 = the smallest subnormal, 2^-24
    expect(Array.from(tensors['h']?.data ?? [])).toEqual([1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, NaN]);
    // bf16 is the top half of a float32: 0x4049 → 0x40490000 = 3.140625; 0x0001 → 2^-133 (subnormal)
    expect(Array.from(tensors['b']?.data ?? [])).toEqual([1, -3, 0.15625, 3.140625, 2 ** -133, Infinity, -Infinity]);
  });

  it('writes float32 as F16 on request: exact halves stay exact, others round to nearest even, ints untouched', () => {
    const values = [1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0, Infinity, -Infinity, 1e6, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1];
    const records: Record<string, TensorRecord> = {
      w: { dtype: 'float32', shape: [values.length], data: Float32Array.from(values) },
      n: { dtype: 'int32', shape: [2], data: Int32Array.from([7, -7]) },
    };
    const bytes = encodeSafetensors(records, undefined, { float16: true });
    const { tensors } = decodeSafetensors(bytes, 'half.safetensors');
    // 1e6 is beyond the largest half → Infinity; 2^-26 is below half the smallest subnormal → 0; 1 + 2^-11 is a tie → 1
    // (even); 1 + 3·2^-11 is a tie → 1 + 2^-9 (even); 0.1 → 0.0999755859375, the nearest half.
    expect(Array.from(tensors['w']!.data)).toEqual([
      1,
      -2,
      0.333251953125,
      65504,
      2 ** -24,
      2 ** -14,
      -0,
      Infinity,
      -Infinity,
      Infinity,
      0,
      1,
      1 + 2 ** -9,
      0.0999755859375,
    ]);
    expect(Array.from(tensors['n']!.data)).toEqual([7, -7]);
    expect(safetensorsDataBuffer(bytes, 'half').byteLength).toBe(2 * values.length + 4 * 2);
    expect(safetensorsDataBuffer(encodeSafetensors(records), 'full').byteLength).toBe(4 * values.length + 4 * 2);
  });

  it('copies data at unaligned offsets into fresh aligned arrays', () => {
    // An unpadded 3-byte-odd header puts the data buffer at an odd file offset; the input itself is a subarray.
    const header = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
    const data = new Uint8Array(12);
    new DataView(data.buffer).setFloat32(0, 1.5, true);
    new DataView(data.buffer).setFloat32(4, -0.25, true);
    new DataView(data.buffer).setInt32(8, -7, true);
    const file = buildFile(header, data);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const input = shifted.subarray(1);
    const { tensors } = decodeSafetensors(input, 'unaligned.safetensors');
    expect(Array.from(tensors['x']?.data ?? [])).toEqual([1.5, -0.25]);
    expect(Array.from(tensors['i']?.data ?? [])).toEqual([-7]);
    input.fill(0);
    expect(Array.from(tensors['x']?.data ?? [])).toEqual([1.5, -0.25]);
  });

  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const malformed: [string, Uint8Array, string][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), 'file is 5 bytes, shorter than the 8-byte header-length prefix'],
    ['a header length beyond the file', fromHex('e803000000000000' + '7b7d'), 'header length 1000 runs past the end of the file (10 bytes)'],
    ['a header length beyond 2^53', fromHex('ffffffffffffffff' + '7b7d'), 'header length 18446744073709551615 runs past the end'],
    ['bad JSON', buildFile('{"x": '), 'header is not valid UTF-8 JSON'],
    ['invalid UTF-8', buildFile('{"a":1}').map((byte, i) => (i === 10 ? 0xff : byte)), 'header is not valid UTF-8 JSON'],
    ['a header that is not an object', buildFile([1, 2]), 'header must be a JSON object, got [1,2]'],
    ['an entry that is not an object', buildFile({ x: 3 }), 'tensor "x": entry must be an object'],
    [
      'an unknown dtype',
      buildFile({ x: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]),
      'tensor "x": unsupported dtype "U32" (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)',
    ],
    ['a negative dimension', buildFile({ x: f32(0, 4, [-1]) }, [0, 0, 0, 0]), 'tensor "x": shape must be an array of non-negative integers, got [-1]'],
    ['reversed offsets', buildFile({ x: f32(4, 0, [1]) }, [0, 0, 0, 0]), 'tensor "x": data_offsets must be [begin, end] with 0 <= begin <= end, got [4,0]'],
    ['offsets past the data buffer', buildFile({ x: f32(0, 8) }, [0, 0, 0, 0]), 'tensor "x": data_offsets [0, 8] run past the end of the 4-byte data buffer'],
    [
      'offsets that do not match shape × dtype',
      buildFile({ x: f32(0, 4, [2]) }, [0, 0, 0, 0]),
      'tensor "x": data_offsets [0, 4] span 4 bytes but F32 [2] needs 8',
    ],
    ['overlapping tensors', buildFile({ x: f32(0, 8), y: f32(4, 12) }, new Uint8Array(12)), 'tensors "x" [0, 8] and "y" [4, 12] overlap'],
    ['a gap between tensors', buildFile({ x: f32(0, 4), y: f32(8, 12) }, new Uint8Array(12)), 'bytes [4, 8) of the data buffer belong to no tensor'],
    ['trailing bytes', buildFile({ x: f32(0, 4) }, new Uint8Array(6)), 'bytes [4, 6) of the data buffer belong to no tensor'],
    ['non-string metadata', buildFile({ __metadata__: { step: 3 } }), '__metadata__ must map strings to strings, but "step" holds 3'],
    [
      'I64 values outside int32',
      buildFile({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [0, 0, 0, 0x80, 0, 0, 0, 0]),
      'tensor "n": I64 value 2147483648 at index 0 does not fit in int32',
    ],
  ];

  it.each(malformed)('rejects %s, naming the file', (_, bytes, reason) => {
    const error = decodeError(bytes);
    expect(error.path).toBe('model.safetensors');
    expect(error.message).toContain('model.safetensors: not a valid safetensors file: ');
    expect(error.message).toContain(reason);
  });

  it('accepts a null __metadata__ and zero-size tensors anywhere in the layout', () => {
    const file = buildFile({ __metadata__: null, a: f32(0, 0, [0]), b: f32(0, 4), c: f32(4, 4, [2, 0]) }, [0, 0, 0x80, 0x3f]);
    const { tensors, metadata } = decodeSafetensors(file, 'zero.safetensors');
    expect(metadata).toEqual({});
    expect(plain(tensors['b'])?.values).toEqual([1]);
    expect(tensors['c']?.shape).toEqual([2, 0]);
  });
});

describe('readSafetensors and readSafetensorsHeader', () => {
  it('reads a file, or only its header', async () => {
    const path = join(directory, 'weights.safetensors');
    const tensors: Record<string, TensorRecord> = {
      'head.weight': { dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      'head.bias': { dtype: 'float32', shape: [2], data: new Float32Array([5, 6]) },
    };
    await writeFile(path, encodeSafetensors(tensors, { format: 'pt' }));
    expect(await readSafetensors(path)).toEqual({ tensors, metadata: { format: 'pt' } });
    expect(await readSafetensorsHeader(path)).toEqual({
      tensors: {
        'head.bias': { dtype: 'F32', shape: [2], dataOffsets: [0, 8] },
        'head.weight': { dtype: 'F32', shape: [2, 2], dataOffsets: [8, 24] },
      },
      metadata: { format: 'pt' },
    });
  });

  it('validates the header against the file size and names the file', async () => {
    const path = join(directory, 'truncated.safetensors');
    const whole = encodeSafetensors({ w: { dtype: 'float32', shape: [4], data: new Float32Array(4) } });
    await writeFile(path, whole.subarray(0, whole.length - 2));
    await expect(readSafetensorsHeader(path)).rejects.toThrow(`${path}: not a valid safetensors file: tensor "w": data_offsets [0, 16] run past`);
    await writeFile(path, whole.subarray(0, 3));
    await expect(readSafetensorsHeader(path)).rejects.toThrow(`${path}: not a valid safetensors file: file is 3 bytes`);
    await expect(readSafetensors(path)).rejects.toThrow(CheckpointFormatError);
  });
});

const hasPythonSafetensors = spawnSync('python3', ['-c', 'import safetensors.numpy'], { stdio: 'ignore' }).status === 0;

describe('interoperability with Python', () => {
  it.skipIf(!hasPythonSafetensors)(
    `Python's safetensors reads a file we wrote${hasPythonSafetensors ? '' : ' (skipped: python3 cannot import safetensors.numpy)'}`,
    async () => {
      const path = join(directory, 'for-python.safetensors');
      await writeFile(
        path,
        encodeSafetensors(
          {
            'blocks.0.attn.qkv.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([0.5, -1, 2, 3, 4, 1e-30]) },
            'optimizer/blocks.0.attn.qkv.weight/m': { dtype: 'float32', shape: [2, 3], data: new Float32Array(6).fill(0.25) },
            steps: { dtype: 'int32', shape: [1], data: new Int32Array([-5]) },
            mask: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
          },
          { format: 'umd-ts-checkpoint', umd: '{"step":3}' },
        ),
      );
      const script = [
        'import json, sys',
        'from safetensors import safe_open',
        'from safetensors.numpy import load_file',
        'tensors = load_file(sys.argv[1])',
        'with safe_open(sys.argv[1], framework="numpy") as f: metadata = f.metadata()',
        'print(json.dumps({"metadata": metadata, "tensors": {k: [str(v.dtype), list(v.shape), v.ravel().tolist()] for k, v in tensors.items()}}))',
      ].join('\n');
      const result = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        metadata: { format: 'umd-ts-checkpoint', umd: '{"step":3}' },
        tensors: {
          'blocks.0.attn.qkv.weight': ['float32', [2, 3], [0.5, -1, 2, 3, 4, Math.fround(1e-30)]],
          'optimizer/blocks.0.attn.qkv.weight/m': ['float32', [2, 3], [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]],
          steps: ['int32', [1], [-5]],
          mask: ['bool', [3], [true, false, true]],
        },
      });
    },
  );
});
