import { describe, expect, it } from 'vitest';

import { MemoryImageCache } from './memory-image-cache.js';

const image = (bytes: number) => ({ width: bytes, height: 1, channels: 1 as const, data: new Uint8Array(bytes) });

describe('MemoryImageCache', () => {
  it('drops the least recently used images beyond its byte budget', () => {
    const cache = new MemoryImageCache(100);
    cache.set('a', image(40));
    cache.set('b', image(40));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', image(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toBe(80);
    cache.set('huge', image(101));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(80);
  });
});
