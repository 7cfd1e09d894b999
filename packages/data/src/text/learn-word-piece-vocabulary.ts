/** Options of {@link learnWordPieceVocabulary}. */
export interface LearnWordPieceVocabularyOptions {
  /** Most pieces, alphabet included: merging stops when the vocabulary reaches it. Default: no bound. */
  readonly maxPieces?: number;
  /** Prefix of pieces that continue a word. Default `##`. */
  readonly continuationPrefix?: string;
}

/** A candidate merge: the pair of piece ids (a, b) seen `count` times (weighted by word counts). */
interface Merge {
  readonly count: number;
  readonly a: number;
  readonly b: number;
}

/**
 * Learns WordPiece pieces from word counts the way Hugging Face's WordPiece trainer does (BPE merges with `##`
 * continuations, no minimum frequency), with every tie broken by a rule instead of a hash order, so the same counts
 * always give the same vocabulary:
 *
 * 1. the alphabet: every character, by code point; then every character that occurs inside a word as `##c`, by code point;
 * 2. repeatedly the most frequent adjacent pair of pieces becomes one piece (`a` + `##b` → `ab`, `##a` + `##b` → `##ab`);
 *    among pairs of equal count the one whose first piece has the lower id wins, then the lower second id (the native
 *    trainer's rule, whose ids of `##` pieces follow its hash order);
 * 3. until `maxPieces` or until every word is a single piece.
 *
 * Pair counts are updated per merge (only the words holding the pair are touched), with a max-heap of candidates that
 * are re-checked when they come out: linear in the corpus' distinct words plus the merges.
 *
 * @param wordCounts word → occurrences (normalised and pre-tokenised words; entries with count < 1 are ignored)
 * @returns the pieces, index = rank (alphabet first, then merges in the order learnt)
 */
export function learnWordPieceVocabulary(wordCounts: ReadonlyMap<string, number>, options: LearnWordPieceVocabularyOptions = {}): string[] {
  const { maxPieces = Number.POSITIVE_INFINITY, continuationPrefix = '##' } = options;
  // Words by code unit order: nothing below depends on it for the result, but it keeps every traversal reproducible.
  const words = [...wordCounts].filter(([word, count]) => word !== '' && count >= 1).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const initials = new Set<string>();
  const inner = new Set<string>();
  for (const [word] of words) {
    let first = true;
    for (const character of word) {
      initials.add(character);
      if (!first) inner.add(character);
      first = false;
    }
  }
  const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
  const pieces = [...[...initials].sort(byCodePoint), ...[...inner].sort(byCodePoint).map((character) => continuationPrefix + character)];
  const ids = new Map(pieces.map((piece, id) => [piece, id]));

  // Each word as piece ids: its first character bare, the others with the continuation prefix.
  const symbols = words.map(([word]) => [...word].map((character, i) => ids.get(i === 0 ? character : continuationPrefix + character)!));
  const weights = words.map(([, count]) => count);
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPair = (a: number, b: number, delta: number, word: number): number => {
    const key = pairKey(a, b);
    counts.set(key, (counts.get(key) ?? 0) + delta);
    if (delta > 0) {
      let holders = where.get(key);
      if (!holders) where.set(key, (holders = new Set()));
      holders.add(word);
    }
    return key;
  };
  symbols.forEach((word, w) => {
    for (let i = 0; i + 1 < word.length; i++) addPair(word[i]!, word[i + 1]!, weights[w]!, w);
  });
  const heap = new MergeHeap();
  for (const [key, count] of counts) heap.push({ count, a: Math.floor(key / pairBase), b: key % pairBase });

  while (pieces.length < maxPieces) {
    const top = heap.pop();
    if (top === undefined) break;
    const key = pairKey(top.a, top.b);
    const count = counts.get(key) ?? 0;
    if (count !== top.count) {
      // Stale: the pair's count changed since it was queued. Queue it again with its current count.
      if (count >= 1) heap.push({ count, a: top.a, b: top.b });
      continue;
    }
    const second = pieces[top.b]!;
    const piece = pieces[top.a]! + (second.startsWith(continuationPrefix) ? second.slice(continuationPrefix.length) : second);
    let id = ids.get(piece);
    if (id === undefined) {
      id = pieces.length;
      pieces.push(piece);
      ids.set(piece, id);
    }
    const grown = new Set<number>();
    for (const w of where.get(key)!) {
      const word = symbols[w]!;
      const weight = weights[w]!;
      // Left to right, non-overlapping (`aaa` with the pair (a, a) becomes `aa a`), as the native trainer merges.
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] !== top.a || word[i + 1] !== top.b) continue;
        if (i > 0) {
          addPair(word[i - 1]!, top.a, -weight, w);
          grown.add(addPair(word[i - 1]!, id, weight, w));
        }
        if (i + 2 < word.length) {
          addPair(top.b, word[i + 2]!, -weight, w);
          grown.add(addPair(id, word[i + 2]!, weight, w));
        }
        word.splice(i, 2, id);
      }
    }
    counts.delete(key);
    where.delete(key);
    for (const grownKey of grown) {
      const grownCount = counts.get(grownKey) ?? 0;
      if (grownCount >= 1) heap.push({ count: grownCount, a: Math.floor(grownKey / pairBase), b: grownKey % pairBase });
    }
  }
  return pieces;
}

/** A pair of piece ids (each below 2^22, far above any vocabulary) as one safe integer. */
const pairBase = 2 ** 31;
const pairKey = (a: number, b: number): number => a * pairBase + b;

/** Higher count first; among equal counts the lower first id, then the lower second id. */
function before(x: Merge, y: Merge): boolean {
  return x.count !== y.count ? x.count > y.count : x.a !== y.a ? x.a < y.a : x.b < y.b;
}

/** A binary max-heap of merges ordered by {@link before}. */
class MergeHeap {
  private readonly items: Merge[] = [];

  push(item: Merge): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): Merge | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && before(items[right]!, items[left]!) ? right : left;
      if (!before(items[child]!, last)) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
