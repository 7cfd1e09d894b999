#!/usr/bin/env node
// What a publish would get wrong, per package, after `pnpm build`: the metadata fields a registry page shows
// (description, license, keywords, engines) and the LICENSE file; publint (the package.json against the files a pack
// holds: exports, bins, types); and Are the Types Wrong (`attw --pack`: whether each entry point's types resolve under
// TypeScript's node16 (from ESM and from CommonJS) and bundler resolution).
//
// One rule is ignored, on purpose: `cjs-resolves-to-esm`. The packages are ESM only; Node >= 20.19 (our `engines`)
// loads them with require(), and TypeScript >= 5.8 accepts that under `module: node20` / `nodenext`, but a CommonJS
// file compiled with `module: node16` must still `await import()` them (TypeScript's rule, not Node's). node10
// resolution (no `exports`) is out of scope (attw's `node16` profile).
//   node tooling/ci/package-lint.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tools = { publint: 'publint@0.3.25', attw: '@arethetypeswrong/cli@0.18.5' };
const failures = [];

for (const folder of ['packages', 'apps'].flatMap((parent) => readdirSync(path.join(root, parent)).map((name) => path.join(parent, name)))) {
  const dir = path.join(root, folder);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    continue; // not a package
  }
  if (manifest.private) continue;
  // The metadata a registry page and `npm install` show: each field a stranger expects, and the licence file itself.
  const absent = ['description', 'license', 'keywords', 'engines'].filter((field) => !manifest[field]);
  if (!existsSync(path.join(dir, 'LICENSE'))) absent.push('LICENSE (file)');
  if (absent.length > 0) failures.push(`${manifest.name} lacks ${absent.join(', ')}`);
  console.log(`  ${absent.length === 0 ? 'ok     ' : 'FAILED '} ${manifest.name} metadata (description, license, keywords, engines, LICENSE)`);
  const checks = [['publint', ['-y', tools.publint, '--strict']]];
  // attw reads type declarations: only for packages with an exports map (the apps are bins).
  if (manifest.exports) {
    checks.push(['attw', ['-y', tools.attw, '--pack', '.', '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii']]);
  }
  for (const [name, args] of checks) {
    const result = spawnSync('npx', args, { cwd: dir, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    if (result.status === 0) {
      console.log(`  ok      ${manifest.name} ${name}`);
    } else {
      failures.push(`${manifest.name} ${name} exited ${result.status}:\n    ${output.split('\n').slice(-20).join('\n    ')}`);
      console.log(`  FAILED  ${manifest.name} ${name}`);
    }
  }
}
if (failures.length > 0) {
  console.error(`\n${failures.join('\n')}`);
  process.exit(1);
}
console.log('package lint passed (publint --strict; attw, node16 profile, cjs-resolves-to-esm ignored)');
