// Bundles the `umd-train serve` page into dist/web (part of `pnpm build`).
import { buildPage } from '../src/serve/build-page.js';

const started = performance.now();
const dir = await buildPage();
console.log(`page built into ${dir} in ${(performance.now() - started).toFixed(0)} ms`);
