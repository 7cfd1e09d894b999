/**
 * Writes a minimal DICOM Part 10 file (Explicit VR Little Endian, native pixel data) for tests: preamble, meta
 * header, the image attributes given and the pixels. Not a general writer.
 */
export interface TestDicom {
  readonly rows: number;
  readonly columns: number;
  /** Stored values, frames one after another, 16-bit. */
  readonly pixels: readonly number[];
  readonly signed?: boolean;
  readonly photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  readonly frames?: number;
  readonly window?: { readonly center: number; readonly width: number };
  readonly rescale?: { readonly slope: number; readonly intercept: number };
  /** Transfer syntax UID written into the meta header (the pixels stay native). */
  readonly transferSyntax?: string;
  /** Leave out Pixel Data. */
  readonly withoutPixels?: boolean;
}

export function writeTestDicom(image: TestDicom): Uint8Array {
  const parts: number[] = [];
  const element = (group: number, item: number, vr: string, value: Uint8Array): void => {
    const even = value.length % 2 === 0 ? value : Uint8Array.from([...value, vr === 'UI' ? 0 : 0x20]);
    parts.push(group & 0xff, group >> 8, item & 0xff, item >> 8, vr.charCodeAt(0), vr.charCodeAt(1));
    if (['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr)) parts.push(0, 0, ...uint32(even.length));
    else parts.push(even.length & 0xff, even.length >> 8);
    parts.push(...even);
  };
  const text = (value: string): Uint8Array => new TextEncoder().encode(value);
  const us = (value: number): Uint8Array => Uint8Array.from([value & 0xff, value >> 8]);
  const syntax = image.transferSyntax ?? '1.2.840.10008.1.2.1';
  // Meta header (group 0002), with its group length first.
  const meta: number[] = [];
  const metaElement = (item: number, vr: string, value: Uint8Array): void => {
    const saved = parts.length;
    element(2, item, vr, value);
    meta.push(...parts.splice(saved));
  };
  metaElement(0x0001, 'OB', Uint8Array.from([0, 1]));
  metaElement(0x0002, 'UI', text('1.2.840.10008.5.1.4.1.1.7'));
  metaElement(0x0003, 'UI', text('1.2.3.4'));
  metaElement(0x0010, 'UI', text(syntax));
  element(2, 0x0000, 'UL', Uint8Array.from(uint32(meta.length)));
  parts.push(...meta);
  element(0x0008, 0x0060, 'CS', text('CT'));
  element(0x0028, 0x0002, 'US', us(1));
  element(0x0028, 0x0004, 'CS', text(image.photometric ?? 'MONOCHROME2'));
  if (image.frames) element(0x0028, 0x0008, 'IS', text(String(image.frames)));
  element(0x0028, 0x0010, 'US', us(image.rows));
  element(0x0028, 0x0011, 'US', us(image.columns));
  element(0x0028, 0x0100, 'US', us(16));
  element(0x0028, 0x0101, 'US', us(16));
  element(0x0028, 0x0102, 'US', us(15));
  element(0x0028, 0x0103, 'US', us(image.signed ? 1 : 0));
  if (image.window) {
    element(0x0028, 0x1050, 'DS', text(String(image.window.center)));
    element(0x0028, 0x1051, 'DS', text(String(image.window.width)));
  }
  if (image.rescale) {
    element(0x0028, 0x1052, 'DS', text(String(image.rescale.intercept)));
    element(0x0028, 0x1053, 'DS', text(String(image.rescale.slope)));
  }
  if (!image.withoutPixels) {
    const pixels = new Uint8Array(image.pixels.length * 2);
    const view = new DataView(pixels.buffer);
    image.pixels.forEach((value, i) => (image.signed ? view.setInt16(2 * i, value, true) : view.setUint16(2 * i, value, true)));
    element(0x7fe0, 0x0010, 'OW', pixels);
  }
  const out = new Uint8Array(132 + parts.length);
  out.set(new TextEncoder().encode('DICM'), 128);
  out.set(parts, 132);
  return out;
}

function uint32(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
}
