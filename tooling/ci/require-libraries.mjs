// CommonJS consumers: each library's built entry points load with require() (Node >= 20.19 loads the ESM build
// through the `default` export condition) and export what their ESM import exports. Run after `pnpm build`.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let failures = 0;
for (const folder of readdirSync(path.join(root, 'packages'))) {
  const dir = path.join(root, 'packages', folder);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const [subpath, entry] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json' || typeof entry !== 'object') continue;
    const specifier = `${manifest.name}${subpath.slice(1)}`;
    try {
      // Through the package's own exports map (a self-reference), with the conditions require() uses.
      const names = Object.keys(createRequire(path.join(dir, 'package.json'))(specifier));
      if (names.length === 0) throw new Error('require() gave an empty module');
      console.log(`require('${specifier}'): ${names.length} exports`);
    } catch (error) {
      failures += 1;
      console.error(`require('${specifier}') failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
process.exit(failures === 0 ? 0 : 1);
