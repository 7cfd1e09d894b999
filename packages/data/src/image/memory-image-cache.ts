import type { RawImage } from './raw-image.js';

/**
 * An in-process least-recently-used cache of preprocessed images, bounded in bytes. In front of the disk cache it
 * removes file reads from later epochs entirely (useful when the resized dataset fits in memory).
 */
export class MemoryImageCache {
  private readonly entries = new Map<string, RawImage>();
  private bytes = 0;

  /** @param maxBytes capacity; the least recently used images are dropped beyond it */
  constructor(readonly maxBytes: number) {}

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  get(key: string): RawImage | undefined {
    const image = this.entries.get(key);
    if (image) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, image);
    }
    return image;
  }

  set(key: string, image: RawImage): void {
    if (image.data.byteLength > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.bytes -= previous.data.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, image);
    this.bytes += image.data.byteLength;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.data.byteLength;
    }
  }
}
