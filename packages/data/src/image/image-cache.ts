import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { ImageCacheError } from './image-cache-error.js';
import type { RawImage } from './raw-image.js';

const magic = [0x55, 0x4d, 0x44, 0x49]; // "UMDI"
const formatVersion = 1;
const headerBytes = 16;

/**
 * A directory of preprocessed 8-bit images, one file per key: `<directory>/<key[0..2]>/<key>.raw`, holding a
 * 16-byte header ("UMDI", format version, channels, width and height as little-endian uint32) and the [H, W, C] bytes.
 *
 * Writes go to a temp file renamed into place, so readers (other workers, other processes) never see a torn file.
 * An entry that is malformed anyway (wrong magic, version or length: e.g. written by another version) counts as a
 * miss and is overwritten by the next `put`. Entries are never evicted: delete the directory to reclaim space.
 */
export class ImageCache {
  /** Sub-directories already created by this instance (saves a mkdir per write). */
  private readonly created = new Set<string>();

  /** @param directory created on the first `put` */
  constructor(readonly directory: string) {}

  /** The file that holds `key`. */
  pathFor(key: string): string {
    return join(this.directory, key.slice(0, 2), `${key}.raw`);
  }

  /**
   * @param expectedBytes the pixel bytes (H*W*C) the entry must hold, when known: read in one go (faster than an
   *   open-ended read); an entry of another size is a miss
   * @returns the cached image, or `undefined` on a miss
   * @throws ImageCacheError when the file exists but cannot be read
   */
  async get(key: string, expectedBytes?: number): Promise<RawImage | undefined> {
    const path = this.pathFor(key);
    let bytes: Buffer;
    try {
      if (expectedBytes === undefined) {
        bytes = await readFile(path);
      } else {
        // A synchronous read: an entry is one small file in the page cache after its first epoch (about 0.05 ms for
        // 224 px RGB), and three thread-pool round trips (open, read, close) cost more than the copy itself.
        const descriptor = openSync(path, 'r');
        try {
          // One byte more than expected, so a longer (foreign) file is noticed.
          const buffer = Buffer.allocUnsafe(headerBytes + expectedBytes + 1);
          bytes = buffer.subarray(0, readSync(descriptor, buffer, 0, buffer.length, 0));
        } finally {
          closeSync(descriptor);
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ImageCacheError(path, 'read', { cause: error });
    }
    return parseEntry(bytes);
  }

  /**
   * Stores `image` under `key` (atomically: temp file + rename; no fsync, since a lost entry is only recomputed).
   *
   * @throws ImageCacheError when the directory or file cannot be written
   */
  async put(key: string, image: RawImage): Promise<void> {
    const path = this.pathFor(key);
    const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const header = Buffer.alloc(headerBytes);
    header.set(magic, 0);
    header[4] = formatVersion;
    header[5] = image.channels;
    header.writeUInt32LE(image.width, 8);
    header.writeUInt32LE(image.height, 12);
    try {
      const folder = dirname(path);
      if (!this.created.has(folder)) {
        await mkdir(folder, { recursive: true });
        this.created.add(folder);
      }
      await writeFile(temp, Buffer.concat([header, image.data]));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined); // best effort: the error that matters is rethrown
      throw new ImageCacheError(path, 'write', { cause: error });
    }
  }
}

/** A stable cache key: SHA-256 over the image's content hash and a description of the deterministic transform. */
export function imageCacheKey(contentHash: string, transform: Readonly<Record<string, string | number>>): string {
  const description = Object.keys(transform)
    .sort()
    .map((name) => `${name}=${transform[name]}`)
    .join(';');
  return createHash('sha256').update(`${contentHash}|${description}`).digest('hex').slice(0, 40);
}

/** SHA-256 (hex) of bytes: the content hash of an image file or of in-memory pixels. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function parseEntry(bytes: Buffer): RawImage | undefined {
  if (bytes.length < headerBytes || magic.some((value, i) => bytes[i] !== value) || bytes[4] !== formatVersion) return undefined;
  const channels = bytes[5];
  const width = bytes.readUInt32LE(8);
  const height = bytes.readUInt32LE(12);
  if ((channels !== 1 && channels !== 3) || bytes.length !== headerBytes + width * height * channels) return undefined;
  return { width, height, channels, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, width * height * channels) };
}
