/**
 * The decoders of compressed DICOM pixel data that ship as JavaScript without types, loaded on first use: JPEG
 * Lossless (`jpeg-lossless-decoder-js`), JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG), the last two WebAssembly builds
 * of the @cornerstonejs codecs. Each module name is a variable so that the compiler does not look for their types.
 */

/** A JPEG Lossless decoder: the whole stream in, samples (8- or 16-bit, components interleaved) out. */
export interface JpegLosslessDecoder {
  decode(buffer: ArrayBufferLike, offset?: number, length?: number): ArrayBuffer;
}

/** One Emscripten decoder instance: write the encoded bytes into its buffer, decode, read the decoded bytes. */
export interface WasmImageDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): {
    readonly width: number;
    readonly height: number;
    readonly bitsPerSample: number;
    readonly componentCount: number;
    readonly isSigned?: boolean;
  };
  delete(): void;
}

const modules = {
  jpegLossless: 'jpeg-lossless-decoder-js',
  charls: '@cornerstonejs/codec-charls/decodewasmjs',
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasmjs',
};
/** The codecs print progress to stdout by default. */
const quiet = { print: () => undefined, printErr: () => undefined };

type WasmFactory = (options: typeof quiet) => Promise<Record<string, new () => WasmImageDecoder>>;
let charlsModule: Promise<() => WasmImageDecoder> | undefined;
let openjpegModule: Promise<() => WasmImageDecoder> | undefined;

export async function jpegLosslessDecoder(): Promise<JpegLosslessDecoder> {
  const { Decoder } = (await import(modules.jpegLossless)) as { Decoder: new () => JpegLosslessDecoder };
  return new Decoder();
}

/** A new JPEG-LS decoder (the WebAssembly module is instantiated once). */
export async function jpegLsDecoder(): Promise<WasmImageDecoder> {
  charlsModule ??= wasmDecoder(modules.charls, 'JpegLSDecoder');
  return (await charlsModule)();
}

/** A new JPEG 2000 decoder (the WebAssembly module is instantiated once). */
export async function jpeg2000Decoder(): Promise<WasmImageDecoder> {
  openjpegModule ??= wasmDecoder(modules.openjpeg, 'J2KDecoder');
  return (await openjpegModule)();
}

async function wasmDecoder(specifier: string, name: string): Promise<() => WasmImageDecoder> {
  const { default: factory } = (await import(specifier)) as { default: WasmFactory };
  const module = await factory(quiet);
  const Decoder = module[name]!;
  return () => new Decoder();
}
