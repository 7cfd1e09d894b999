import { stat } from 'node:fs/promises';
import path from 'node:path';

import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import type { ImageSource } from '../sample.js';

/** A resolved image: the source for the image pipeline and a stable id for counting distinct images. */
export interface ResolvedImage {
  readonly image: ImageSource;
  /** The path below the image folder without its extension, `/`-separated (`synpic100132`, `xmlab1/source`). */
  readonly imageId: string;
}

const imageExtensions = ['.jpg', '.jpeg', '.png'];

/**
 * Turns the image paths written in dataset records into absolute file paths, safely: a path that is absolute or that
 * leaves the dataset root through `..` is rejected (`unsafe-image-path`), and a file that does not exist is reported
 * (`missing-image`). Existence checks are cached, since many questions share one image. The bytes are not read here:
 * truncated or corrupt images are detected by the image pipeline when it decodes them.
 */
export class ImageResolver {
  private readonly exists = new Map<string, Promise<boolean>>();

  constructor(
    /** Absolute dataset root; no image may resolve outside it. */
    private readonly root: string,
    /** The folder (relative to the root) that record paths are relative to. */
    private readonly base: string,
    /**
     * Extensions to try, in order. A record path without an image extension gets each appended (MedPix stems); a path
     * with one is tried as written, then with each alternative (`x.png` may exist as `x.jpg`).
     */
    private readonly extensions: readonly string[] = [],
  ) {}

  async resolve(recordPath: string, location: RecordLocation, field: string): Promise<ResolvedImage> {
    if (recordPath.includes('\0') || path.isAbsolute(recordPath) || path.win32.isAbsolute(recordPath)) {
      throw new InvalidRecordError(location, 'unsafe-image-path', `image path ${JSON.stringify(recordPath)} in field '${field}' is absolute`, field);
    }
    const baseDir = path.resolve(this.root, this.base);
    const written = path.resolve(baseDir, recordPath);
    const fromRoot = path.relative(this.root, written);
    if (fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
      throw new InvalidRecordError(
        location,
        'unsafe-image-path',
        `image path ${JSON.stringify(recordPath)} in field '${field}' leaves the dataset root`,
        field,
      );
    }
    for (const candidate of this.candidates(written)) {
      if (await this.isFile(candidate)) {
        const below = path.relative(baseDir, candidate).split(path.sep).join('/');
        return { image: { kind: 'file', path: candidate }, imageId: below.slice(0, below.length - path.extname(below).length) };
      }
    }
    const shown = path.relative(this.root, written).split(path.sep).join('/');
    const tried = this.extensions.length > 0 ? ` (tried ${this.extensions.join(', ')})` : '';
    throw new InvalidRecordError(location, 'missing-image', `image ${shown}${tried} does not exist under ${this.root}`, field);
  }

  private candidates(written: string): string[] {
    if (this.extensions.length === 0) return [written];
    const extension = path.extname(written);
    if (!imageExtensions.includes(extension.toLowerCase())) return this.extensions.map((entry) => written + entry);
    const stem = written.slice(0, written.length - extension.length);
    return [written, ...this.extensions.map((entry) => stem + entry).filter((entry) => entry !== written)];
  }

  private isFile(candidate: string): Promise<boolean> {
    let known = this.exists.get(candidate);
    if (known === undefined) {
      known = stat(candidate).then(
        (info) => info.isFile(),
        () => false,
      );
      this.exists.set(candidate, known);
    }
    return known;
  }
}
