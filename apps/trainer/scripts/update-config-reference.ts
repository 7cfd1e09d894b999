/**
 * Rewrites the config reference table in apps/trainer/README.md from the schema (between the
 * `config-reference:start` / `config-reference:end` markers):
 *
 *   pnpm --filter @umd/trainer config-reference
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { configReference } from '../src/config/config-reference.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const pattern = /(<!-- config-reference:start -->\n)[\s\S]*?(\n<!-- config-reference:end -->)/;
if (!pattern.test(readme)) throw new Error('README.md has no config-reference markers');
writeFileSync(
  file,
  readme.replace(pattern, (_, start: string, end: string) => `${start}${configReference()}${end}`),
);
console.log(`updated ${file.pathname}`);
