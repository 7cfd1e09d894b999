import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { InvalidConfigError } from '@umd/core';
import type * as NativeTokenizers from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultCacheDir } from './default-cache-dir.js';
import { TokenizerFileError } from './tokenizer-file-error.js';
import { loadWordPieceTokenizer, type WordPieceTokenizer } from './word-piece-tokenizer.js';

let cacheDir: string;
let tokenizer: WordPieceTokenizer;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'umd-tokenizer-'));
  tokenizer = await loadWordPieceTokenizer({ cacheDir });
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('loadWordPieceTokenizer (bert-base-uncased)', () => {
  it('builds tokenizer.json in the cache directory at first use and reads it back later', async () => {
    const path = join(cacheDir, 'tokenizers', 'bert-base-uncased', 'tokenizer.json');
    expect(existsSync(path)).toBe(true);
    const json = JSON.parse(await readFile(path, 'utf8')) as { model: { type: string; vocab: Record<string, number> } };
    expect(json.model.type).toBe('WordPiece');
    expect(json.model.vocab['##s']).toBe(2015);
    const again = await loadWordPieceTokenizer({ cacheDir });
    expect(again.vocabSize).toBe(30522);
    expect(again.specialIds).toEqual({ pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
  });

  it('tells whole-word tokens (what word vectors attach to) from pieces and special tokens', () => {
    expect(tokenizer.wordOf(tokenizer.tokenToId('brain')!)).toBe('brain');
    expect(tokenizer.wordOf(tokenizer.tokenToId('##ion')!)).toBeUndefined();
    expect(tokenizer.wordOf(tokenizer.specialIds.cls)).toBeUndefined();
    expect(tokenizer.wordOf(1)).toBeUndefined(); // [unused0]
    expect(tokenizer.wordOf(tokenizer.vocabSize)).toBeUndefined();
  });

  it('matches known bert-base-uncased tokenisations', () => {
    const question = tokenizer.encode('Is there a lesion?');
    expect(question.tokens.join(' ')).toBe('[CLS] is there a les ##ion ? [SEP]');
    expect(question.ids).toEqual([101, 2003, 2045, 1037, 4649, 3258, 1029, 102]);
    expect(tokenizer.tokenize('pneumothorax')).toEqual(['p', '##ne', '##um', '##otho', '##ra', '##x']);
    // The Hugging Face tokenizer docs' example for bert-base-uncased.
    expect(tokenizer.tokenize('I have a new GPU!')).toEqual(['i', 'have', 'a', 'new', 'gp', '##u', '!']);
    expect(tokenizer.encode('Hello world').ids).toEqual([101, 7592, 2088, 102]);
    expect(tokenizer.tokenize('Café NAÏVE left lung')).toEqual(['cafe', 'naive', 'left', 'lung']);
    expect(tokenizer.encode('left lung').ids).toEqual([101, 2187, 11192, 102]);
  });

  it('gives each token the index of its word (whole-word boundaries), -1 for specials', () => {
    const encoded = tokenizer.encode('Pneumothorax, left lung.');
    expect(encoded.tokens).toEqual(['[CLS]', 'p', '##ne', '##um', '##otho', '##ra', '##x', ',', 'left', 'lung', '.', '[SEP]']);
    expect(encoded.wordIds).toEqual([-1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, -1]);
  });

  it('decodes back to text', () => {
    expect(tokenizer.decode(tokenizer.encode('Is there a pneumothorax?').ids)).toBe('is there a pneumothorax?');
  });

  it('pads to the longest text with attention masks and word ids, [B, T] int32', () => {
    const batch = tokenizer.encodeBatch(['is there a lesion?', 'yes', '']);
    expect(batch.inputIds.shape).toEqual([3, 8]);
    expect(batch.inputIds.data).toBeInstanceOf(Int32Array);
    expect(Array.from(batch.inputIds.data.subarray(0, 8))).toEqual([101, 2003, 2045, 1037, 4649, 3258, 1029, 102]);
    expect(Array.from(batch.inputIds.data.subarray(8, 16))).toEqual([101, 2748, 102, 0, 0, 0, 0, 0]);
    expect(Array.from(batch.attentionMask.data.subarray(8, 16))).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(batch.attentionMask.data.subarray(16, 24))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(batch.wordIds.data.subarray(0, 8))).toEqual([-1, 0, 1, 2, 3, 3, 4, -1]);
    expect(Array.from(batch.wordIds.data.subarray(8, 16))).toEqual([-1, 0, -1, -1, -1, -1, -1, -1]);
    expect(batch.truncated).toEqual([false, false, false]);
  });

  it('truncates to maxLength keeping [CLS] and [SEP], and pads to maxLength on request', () => {
    const batch = tokenizer.encodeBatch(['is there a lesion in the left lung?', 'no'], { maxLength: 6, padding: 'max-length' });
    expect(batch.inputIds.shape).toEqual([2, 6]);
    expect(Array.from(batch.inputIds.data.subarray(0, 6))).toEqual([101, 2003, 2045, 1037, 4649, 102]);
    expect(Array.from(batch.attentionMask.data)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(batch.truncated).toEqual([true, false]);
    expect(() => tokenizer.encode('x', { maxLength: 1 })).toThrow(InvalidConfigError);
  });

  it('agrees with the Rust tokenizers library on the same tokenizer.json', async () => {
    const native = createRequire(import.meta.url)('tokenizers') as typeof NativeTokenizers;
    const reference = native.Tokenizer.fromFile(join(cacheDir, 'tokenizers', 'bert-base-uncased', 'tokenizer.json'));
    const texts = [
      'Is there evidence of a pneumothorax in the right hemithorax?',
      'CT abdomen: 3.5 cm hypodense lesion in segment VII of the liver; no ascites.',
      "MRI brain (T2/FLAIR) shows periventricular white-matter hyperintensities — Dawson's fingers.",
      'Which organ is abnormal?  Ünïcödé   spacing\tand\ttabs',
    ];
    for (const text of texts) {
      const expected = await reference.encode(text);
      expect(tokenizer.encode(text).ids).toEqual(expected.getIds());
    }
  });

  it('rejects a missing or non-WordPiece tokenizer.json with a typed error naming the file', async () => {
    const missing = join(cacheDir, 'nope.json');
    await expect(loadWordPieceTokenizer({ path: missing })).rejects.toThrow(TokenizerFileError);
    await expect(loadWordPieceTokenizer({ path: missing })).rejects.toThrow(missing);
    const bpe = join(cacheDir, 'bpe.json');
    await writeFile(bpe, JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
    await expect(loadWordPieceTokenizer({ path: bpe })).rejects.toThrow(/"BPE"/);
  });
});

describe('defaultCacheDir', () => {
  it('prefers UMD_CACHE_DIR, then XDG_CACHE_HOME/umd, then ~/.cache/umd', () => {
    expect(defaultCacheDir({ UMD_CACHE_DIR: '/a', XDG_CACHE_HOME: '/b' })).toBe('/a');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/b' })).toBe(join('/b', 'umd'));
    expect(defaultCacheDir({})).toMatch(/\.cache[/\\]umd$/);
  });
});

const dataDir = process.env.UMD_DATA_DIR ?? resolve(import.meta.dirname, '../../../../../shared/data');
const descriptions = join(dataDir, 'medpix-2.0', 'Descriptions.json');

describe.skipIf(!existsSync(descriptions))(`tokenising real MedPix captions (skipped: no ${descriptions}; set UMD_DATA_DIR)`, () => {
  it('encodes every caption with almost no [UNK] and consistent masks', () => {
    const records = JSON.parse(readFileSync(descriptions, 'utf8')) as { Description?: { Caption?: string | null } }[];
    const captions = records.map((record) => record.Description?.Caption ?? '').filter((caption) => caption.length > 0);
    expect(captions.length).toBeGreaterThan(2000);
    const batch = tokenizer.encodeBatch(captions, { maxLength: 128 });
    const [B, T] = batch.inputIds.shape;
    expect(B).toBe(captions.length);
    let unknown = 0;
    let real = 0;
    let paddingNotPad = 0;
    for (let i = 0; i < B! * T!; i++) {
      if (batch.attentionMask.data[i] === 1) real++;
      else if (batch.inputIds.data[i] !== tokenizer.specialIds.pad) paddingNotPad++;
      if (batch.inputIds.data[i] === tokenizer.specialIds.unk) unknown++;
    }
    expect(paddingNotPad).toBe(0);
    expect(unknown / real).toBeLessThan(0.001);
  });
});
