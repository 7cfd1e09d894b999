// Structural checks for SVG text (no XML parser in this package), shared by the SVG tests in src/svg.

/** Checks that tags nest properly, every attribute value is quoted and every `&` starts an entity; throws otherwise. */
export function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let position = 0;
  for (let match = tag.exec(svg); match !== null; match = tag.exec(svg)) {
    const between = svg.slice(position, match.index);
    if (between.includes('<') || between.includes('>')) throw new Error(`stray < or > near ${JSON.stringify(between.slice(0, 60))}`);
    position = match.index + match[0].length;
    const [, closing, name, , selfClosing] = match;
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (selfClosing !== '/') stack.push(name as string);
  }
  if (svg.slice(position).trim() !== '') throw new Error(`trailing text ${JSON.stringify(svg.slice(position, position + 60))}`);
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  const badAmpersand = svg.match(/&(?!(amp|lt|gt|quot|#39);)/);
  if (badAmpersand !== null) throw new Error(`unescaped & at ${badAmpersand.index}`);
}

/** Every number in every path `d`, `x`, `y`, `width`, `height` attribute. */
export function coordinates(svg: string): number[] {
  const values: number[] = [];
  for (const match of svg.matchAll(/\s(?:d|x|y|x1|y1|x2|y2|width|height)="([^"]*)"/g)) {
    const attribute = match[1] ?? '';
    if (attribute.endsWith('%')) continue;
    for (const token of attribute.match(/-?[\d.]+(?:e-?\d+)?|NaN|Infinity/g) ?? []) values.push(Number(token));
  }
  return values;
}
