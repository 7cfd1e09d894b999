#!/usr/bin/env node
// The README examples, run as a consumer runs them: every ```ts or ```js block of each library's README is written out
// as a JavaScript module (types stripped by esbuild, nothing else changed) and run with plain `node` inside a project
// that installed the packages, once as ESM (.mjs) and once as CommonJS (.cjs: imports turned into require() calls, the
// body in an async function). The blocks of one README run in order in one fresh working folder, so a later block may
// read what an earlier one wrote (`runs/…`).
//
// Fence info words after the language:
//   needs-data  runs only where the real datasets are (UMD_DATA_DIR, or ../shared/data beside the checkout), linked as
//               `data/` in the working folder; elsewhere it is skipped and counted, with the reason printed
//   esm-only    not run as CommonJS (e.g. an example about an ESM-only API)
//   fragment    a piece of a larger program, shown and never run (counted and printed, so it stays rare)
//
//   node tooling/ci/readme-examples.mjs --project DIR [--packages core,gm-coord] [--formats esm,cjs]
// DIR must have installed every @umd library the examples import, their third-party imports and tsx (whose esbuild
// strips the types; `registry-check.mjs` builds such a project from the local registry). Exit code 1 when one fails.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The code blocks of a README in order: `{ line, language, flags, code }` for each ```ts / ```js fence (1-based line of
 * the fence; flags are the info words after the language).
 */
export function extractExamples(markdown) {
  const examples = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(ts|js)((?:\s+[\w-]+)*)\s*$/.exec(lines[index]);
    if (!fence) continue;
    const start = index;
    const body = [];
    for (index++; index < lines.length && lines[index] !== '```'; index++) body.push(lines[index]);
    if (index === lines.length) throw new Error(`README line ${start + 1}: a code block that never closes`);
    examples.push({ line: start + 1, language: fence[1], flags: fence[2].trim().split(/\s+/).filter(Boolean), code: body.join('\n') + '\n' });
  }
  return examples;
}

/** The packages an example imports (bare specifiers, Node's own `node:` modules left out), e.g. `@umd/core`. */
export function importedPackages(code) {
  const names = new Set();
  for (const match of code.matchAll(/^\s*import\s+(?:[^'";]+?\s+from\s+)?['"]([^'".][^'"]*)['"]/gm)) {
    if (match[1].startsWith('node:')) continue; // Node's own modules
    const parts = match[1].split('/');
    names.add(match[1].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names];
}

/**
 * The CommonJS form of an ESM example: each static import becomes a require() (named imports destructured, `type`
 * imports dropped, side-effect imports kept), the rest runs inside an async function (top-level await stays legal), and
 * an error exits 1 with its message.
 */
export function toCommonJs(code) {
  const requires = [];
  const rest = code.replace(/^import\s+([^;'"]*?)\s*from\s*(['"][^'"]+['"]);?[ \t]*(\/\/.*)?$|^import\s+(['"][^'"]+['"]);?[ \t]*(\/\/.*)?$/gm, (...match) => {
    const [, clause, from, , bare] = match;
    if (bare) {
      requires.push(`require(${bare});`);
      return '';
    }
    if (/^type\s/.test(clause)) return '';
    const namespace = /^\*\s+as\s+(\w+)$/.exec(clause);
    if (namespace) {
      requires.push(`const ${namespace[1]} = require(${from});`);
      return '';
    }
    const named = /^(?:(\w+)\s*,\s*)?\{([\s\S]*)\}$/.exec(clause);
    const fallback = named ? named[1] : clause;
    if (fallback && /^\w+$/.test(fallback)) requires.push(`const ${fallback} = require(${from}).default ?? require(${from});`);
    if (named) {
      const bindings = named[2]
        .split(',')
        .map((binding) => binding.trim())
        .filter((binding) => binding !== '' && !binding.startsWith('type '))
        .map((binding) => binding.replace(/^(\w+)\s+as\s+(\w+)$/, '$1: $2'));
      if (bindings.length > 0) requires.push(`const { ${bindings.join(', ')} } = require(${from});`);
    }
    return '';
  });
  return `${requires.join('\n')}\n(async () => {\n${rest}\n})().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n`;
}

/** Where the real datasets are, or undefined. */
export function dataDirectory() {
  const candidates = [process.env.UMD_DATA_DIR, path.resolve(root, '..', 'shared', 'data')].filter(Boolean);
  return candidates.find((candidate) => existsSync(candidate));
}

/** The libraries whose READMEs hold examples: folder name → package name. */
export function libraryReadmes(only) {
  return readdirSync(path.join(root, 'packages'))
    .filter((folder) => !only || only.includes(folder))
    .map((folder) => ({ folder, file: path.join(root, 'packages', folder, 'README.md') }))
    .filter(({ file }) => existsSync(file))
    .map(({ folder, file }) => ({ folder, name: JSON.parse(readFileSync(path.join(root, 'packages', folder, 'package.json'), 'utf8')).name, file }));
}

/**
 * Runs the examples of `readmes` in `project` (a folder with node_modules). Prints one line per example; returns the
 * counts and the failures.
 */
export function runExamples(project, { readmes = libraryReadmes(), formats = ['esm', 'cjs'], log = console.log } = {}) {
  const data = dataDirectory();
  const tsxManifest = path.join(project, 'node_modules', 'tsx', 'package.json');
  if (!existsSync(tsxManifest)) throw new Error(`${project} has no tsx installed (node_modules/tsx): install it beside the packages`);
  const esbuild = createRequire(realpathSync(tsxManifest))('esbuild'); // tsx's own, so the project needs nothing else
  const javascript = (code, format) => esbuild.transformSync(code, { loader: 'ts', format, target: 'node20' }).code;
  const counts = { passed: 0, failed: 0, skipped: 0, fragments: 0 };
  const failures = [];
  const scratch = path.join(project, 'readme-examples');
  for (const { folder, name, file } of readmes) {
    const examples = extractExamples(readFileSync(file, 'utf8'));
    for (const format of formats) {
      const work = mkdtempSync(path.join(tmpdir(), `umd-example-${folder}-${format}-`));
      if (data) symlinkSync(data, path.join(work, 'data'));
      mkdirSync(scratch, { recursive: true });
      for (const [index, example] of examples.entries()) {
        const label = `${name} README line ${example.line} (${format})`;
        if (example.flags.includes('fragment')) {
          if (format === formats[0]) counts.fragments += 1;
          if (format === formats[0]) log(`  fragment  ${name} README line ${example.line}: shown, not run`);
          continue;
        }
        if (format === 'cjs' && example.flags.includes('esm-only')) continue;
        if (example.flags.includes('needs-data') && !data) {
          counts.skipped += 1;
          log(`  skipped   ${label}: needs the real datasets (set UMD_DATA_DIR)`);
          continue;
        }
        const script = path.join(scratch, `${folder}-${index + 1}.${format === 'esm' ? 'mjs' : 'cjs'}`);
        writeFileSync(script, format === 'esm' ? javascript(example.code, 'esm') : javascript(toCommonJs(example.code), 'cjs'));
        const started = Date.now();
        const result = spawnSync(process.execPath, [script], { cwd: work, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 10 * 60_000 });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if (result.status === 0) {
          counts.passed += 1;
          const last = (result.stdout ?? '').trim().split('\n').at(-1) ?? '';
          log(`  ok        ${label} ${seconds} s${last ? `: ${last.slice(0, 100)}` : ''}`);
        } else {
          counts.failed += 1;
          const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-12).join('\n    ');
          failures.push(`${label}: exit ${result.status ?? result.signal}\n    ${output}`);
          log(`  FAILED    ${label} ${seconds} s`);
        }
      }
      rmSync(work, { recursive: true, force: true });
    }
  }
  return { counts, failures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { project: { type: 'string' }, packages: { type: 'string' }, formats: { type: 'string' } } });
  if (!values.project) {
    console.error('usage: node tooling/ci/readme-examples.mjs --project DIR [--packages core,gm-coord] [--formats esm,cjs]');
    process.exit(2);
  }
  const { counts, failures } = runExamples(path.resolve(values.project), {
    readmes: libraryReadmes(values.packages?.split(',')),
    formats: values.formats?.split(',') ?? ['esm', 'cjs'],
  });
  console.log(`README examples: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.fragments} fragments`);
  if (failures.length > 0) {
    console.error(`\n${failures.join('\n')}`);
    process.exit(1);
  }
}
