/**
 * Decodes one frame of DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header (segment count, then up to 15 segment
 * offsets, uint32 little-endian), each segment PackBits-compressed and holding one byte plane — for each sample, its
 * most significant byte first. Returns the planes' bytes reassembled into `bytesPerSample`-byte little-endian values,
 * samples interleaved per pixel.
 *
 * @throws RangeError naming what is wrong in a malformed frame
 */
export function decodeRleFrame(frame: Uint8Array, pixels: number, samplesPerPixel: number, bytesPerSample: number): Uint8Array {
  if (frame.length < 64) throw new RangeError(`RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  const header = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== samplesPerPixel * bytesPerSample) {
    throw new RangeError(`RLE frame has ${segments} segments, expected ${samplesPerPixel * bytesPerSample} (samples × bytes per sample)`);
  }
  const offsets = Array.from({ length: segments }, (_, i) => header.getUint32(4 + 4 * i, true));
  const out = new Uint8Array(pixels * samplesPerPixel * bytesPerSample);
  for (let segment = 0; segment < segments; segment++) {
    const sample = Math.floor(segment / bytesPerSample);
    const byteOfSample = bytesPerSample - 1 - (segment % bytesPerSample); // MSB plane first → little-endian slot
    const start = offsets[segment]!;
    const end = segment + 1 < segments ? offsets[segment + 1]! : frame.length;
    if (start < 64 || start > end || end > frame.length) throw new RangeError(`RLE segment ${segment} offsets ${start}–${end} lie outside the frame`);
    const stride = samplesPerPixel * bytesPerSample;
    let target = sample * bytesPerSample + byteOfSample;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++]! << 24) >> 24; // signed byte
      if (n >= 0) {
        for (let k = 0; k <= n && i < end && written < pixels; k++, written++, target += stride) out[target] = frame[i++]!;
      } else if (n !== -128) {
        const value = frame[i++]!;
        for (let k = 0; k <= -n && written < pixels; k++, written++, target += stride) out[target] = value;
      }
    }
    if (written < pixels) throw new RangeError(`RLE segment ${segment} holds ${written} of ${pixels} values`);
  }
  return out;
}
