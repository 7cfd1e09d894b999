import { describe, expect, it } from 'vitest';

import { confusionMatrixSvg } from './confusion-matrix-svg.js';
import { assertWellFormed, coordinates } from '../../test/svg-structure.js';

/** The (x, y) of the `<text>` holding `content`. */
function textAt(svg: string, content: string): [number, number] {
  const match = svg.match(new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)"[^>]*>${content}</text>`));
  if (match === null) throw new Error(`no text ${content}`);
  return [Number(match[1]), Number(match[2])];
}

describe('confusionMatrixSvg', () => {
  const matrix = [
    [11, 0, 13],
    [0, 22, 0],
    [31, 0, 33],
  ];

  it('is well-formed, with one cell and one count per entry and finite coordinates', () => {
    const svg = confusionMatrixSvg(matrix, ['a', 'b', 'c'], { title: 'Confusion' });
    assertWellFormed(svg);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    expect(svg.match(/<rect class="cell"/g)).toHaveLength(9);
    expect(svg.match(/<g class="counts">[\s\S]*?<\/g>/)?.[0].match(/<text/g)).toHaveLength(9);
    expect(coordinates(svg).every(Number.isFinite)).toBe(true);
    expect(svg).toContain('>Predicted</text>');
    expect(svg).toContain('>True</text>');
  });

  it('puts true classes on rows and predictions on columns', () => {
    const svg = confusionMatrixSvg(matrix, ['a', 'b', 'c'], { title: 't' });
    const [x11, y11] = textAt(svg, '11'); // true 0, predicted 0
    const [x13, y13] = textAt(svg, '13'); // true 0, predicted 2: same row, right
    const [x31, y31] = textAt(svg, '31'); // true 2, predicted 0: same column, below
    expect(y13).toBe(y11);
    expect(x13).toBeGreaterThan(x11);
    expect(x31).toBe(x11);
    expect(y31).toBeGreaterThan(y11);
  });

  it('shades by row fraction: a full row is darker than a split one', () => {
    const svg = confusionMatrixSvg(matrix, ['a', 'b', 'c'], { title: 't' });
    const fills = [...svg.matchAll(/<rect class="cell"[^>]* fill="#([0-9a-f]{6})"/g)].map((m) => parseInt((m[1] as string).slice(0, 2), 16));
    // Row-major cells: [1][1] = 22/22 (darkest), [0][0] = 11/24, [0][1] = 0 (white).
    expect(fills[4]).toBeLessThan(fills[0] as number);
    expect(fills[1]).toBe(255);
  });

  it('escapes class labels and tooltips', () => {
    const svg = confusionMatrixSvg(
      [
        [1, 0],
        [0, 1],
      ],
      ['<left> & right', "it's"],
      { title: 'A & B' },
    );
    assertWellFormed(svg);
    expect(svg).toContain('&lt;left&gt; &amp; right');
    expect(svg).not.toContain('<left>');
  });

  it('drops counts and tooltips for many classes, and zero cells', () => {
    const k = 60;
    const big = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, c) => (r === c ? 5 : 0)));
    const svg = confusionMatrixSvg(big, undefined, { title: 'big' });
    assertWellFormed(svg);
    expect(svg.match(/<rect class="cell"/g)).toHaveLength(k);
    expect(svg).not.toContain('<title>true');
    expect(svg.length).toBeLessThan(40_000);
  });

  it('rejects a non-square matrix, negative counts and the wrong number of labels', () => {
    expect(() => confusionMatrixSvg([[1, 2]], undefined, { title: 't' })).toThrow(/matrix\[0\]\.length/);
    expect(() => confusionMatrixSvg([[-1]], undefined, { title: 't' })).toThrow(/matrix\[0\]\[0\]/);
    expect(() => confusionMatrixSvg([[1]], ['a', 'b'], { title: 't' })).toThrow(/labels\.length/);
  });
});
