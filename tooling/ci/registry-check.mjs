#!/usr/bin/env node
// The packages as a stranger gets them: starts a local npm registry (Verdaccio on loopback, proxying the public
// registry for third-party packages), publishes every publishable workspace package to it with `pnpm -r publish`
// (after `pnpm build`), then installs from it into fresh temporary projects with npm and with pnpm and runs small
// consumers there as ESM and as CommonJS, and every library README's examples (readme-examples.mjs) in one project that
// installed them all. Prints what it published (version, tarball and unpacked size) and what each
// project installed (node_modules size). Exit code 1 when any step fails; the registry is stopped either way.
//   node tooling/ci/registry-check.mjs        (UMD_REGISTRY_KEEP=1 keeps the temporary projects and prints where)
/* global fetch, Buffer, setTimeout -- Node's globals */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

import { extractExamples, importedPackages, libraryReadmes, runExamples } from './readme-examples.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const verdaccioVersion = '6.8.0'; // 6.10 wants Node 22; the project supports Node >= 20.19
const pnpm = ['-y', 'pnpm@12.4.2'];
const work = mkdtempSync(path.join(tmpdir(), 'umd-registry-'));
const failures = [];

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const registry = `http://127.0.0.1:${port}/`;
writeFileSync(
  path.join(work, 'config.yaml'),
  [
    `storage: ${path.join(work, 'storage')}`,
    `auth: { htpasswd: { file: ${path.join(work, 'htpasswd')}, max_users: 10 } }`,
    'uplinks: { npmjs: { url: https://registry.npmjs.org/ } }',
    'packages:',
    "  '@umd/*': { access: $all, publish: $authenticated }", // never proxied: only what is published here
    "  '**': { access: $all, publish: $authenticated, proxy: npmjs }",
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n'),
);
const server = spawn('npx', ['-y', `verdaccio@${verdaccioVersion}`, '--config', path.join(work, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
let serverLog = '';
server.stdout.on('data', (chunk) => (serverLog += chunk));
server.stderr.on('data', (chunk) => (serverLog += chunk));
const stop = () => {
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
};
process.on('exit', stop);

try {
  await waitForRegistry();
  console.log(`registry: Verdaccio ${verdaccioVersion} at ${registry}`);
  const token = await createUser();
  const npmrc = path.join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  const env = { ...process.env, NPM_CONFIG_USERCONFIG: npmrc, npm_config_registry: registry };

  // Publish every package that is not private (pnpm rewrites workspace: ranges to versions).
  run('npx', [...pnpm, '-r', 'publish', '--registry', registry, '--no-git-checks', '--access', 'public'], { cwd: root, env });
  const packages = JSON.parse(execFileSync('npx', [...pnpm, 'ls', '-r', '--depth', '-1', '--json'], { cwd: root, encoding: 'utf8' }));
  console.log('\npublished (package, version, tarball KiB, unpacked KiB):');
  for (const { name, version, private: hidden } of packages.filter((entry) => entry.name?.startsWith('@umd/'))) {
    if (hidden) {
      console.log(`  ${name}  not published (private)`);
      continue;
    }
    const metadata = await retried(async () => (await fetch(`${registry}${name.replace('/', '%2f')}`)).json());
    const dist = metadata.versions?.[version]?.dist;
    if (!dist) {
      failures.push(`${name}@${version} is not in the registry after publishing`);
      continue;
    }
    const tarball = await retried(async () => Buffer.from(await (await fetch(dist.tarball)).arrayBuffer()));
    console.log(`  ${name}  ${version}  ${kib(tarball.length)}  ${kib(unpackedBytes(gunzipSync(tarball)))}`);
  }

  // Consumers in fresh projects, with npm and with pnpm, as ESM and as CommonJS.
  const consumers = [
    {
      name: 'npm: @umd/gm-coord with @tensorflow/tfjs-core',
      client: 'npm',
      install: ['@umd/gm-coord', '@tensorflow/tfjs-core@4.22.0'],
      esm: `import { createCoordinator } from '@umd/gm-coord';
const c = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 0.5 } });
const k = c.update({ text: { score: 30 }, vision: { score: 10 } }).coefficients;
if (!(k.text < 1 && k.vision === 1)) throw new Error('unexpected coefficients ' + JSON.stringify(k));
console.log('esm ok', JSON.stringify(k));`,
      cjs: `const { createCoordinator } = require('@umd/gm-coord');
const c = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 0.5, noise: false } });
console.log('cjs ok', JSON.stringify(c.update({ text: { score: 1 }, vision: { score: 1 } }).coefficients));`,
    },
    {
      name: 'pnpm: @umd/evaluation',
      client: 'pnpm',
      install: ['@umd/evaluation'],
      esm: `import { vqaAccuracy } from '@umd/evaluation';
const a = vqaAccuracy([{ id: '1', prediction: 'yes', answer: 'yes', answerType: 'closed' }, { id: '2', prediction: 'liver', answer: 'lung', answerType: 'open' }]);
if (a.overall.accuracy !== 0.5) throw new Error('unexpected accuracy ' + a.overall.accuracy);
console.log('esm ok', a.overall.accuracy);`,
      cjs: `const { vqaAccuracy } = require('@umd/evaluation');
console.log('cjs ok', vqaAccuracy([{ id: '1', prediction: 'no', answer: 'no', answerType: 'closed' }]).closed.accuracy);`,
    },
    {
      name: 'pnpm: @umd/core and @umd/data with @tensorflow/tfjs-core (no build approval needed)',
      client: 'pnpm',
      install: ['@umd/core', '@umd/data', '@tensorflow/tfjs-core@4.22.0'],
      esm: `import { describeRuntime, initRuntime } from '@umd/core';
import { normalizeAnswer } from '@umd/data';
const runtime = await initRuntime();
if (normalizeAnswer(' Yes ') !== 'yes') throw new Error('normalizeAnswer');
console.log('esm ok', describeRuntime(runtime).slice(0, 120));`,
      cjs: `const { normalizeAnswer } = require('@umd/data');
const { SeededRandom } = require('@umd/core');
console.log('cjs ok', normalizeAnswer('No'), new SeededRandom(1).next().toFixed(3));`,
      bins: [
        ['umd-data', '--version'],
        ['umd-data', 'inspect', '--dataset', 'phantom'],
      ],
    },
  ];
  for (const consumer of consumers) {
    const dir = path.join(work, consumer.name.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    console.log(`\n== ${consumer.name}`);
    const installed =
      consumer.client === 'npm'
        ? run('npm', ['install', '--no-audit', '--no-fund', '--registry', registry, ...consumer.install], { cwd: dir, env })
        : run('npx', [...pnpm, 'add', '--registry', registry, ...consumer.install], { cwd: dir, env });
    if (!installed) continue;
    writeFileSync(path.join(dir, 'consumer.mjs'), consumer.esm);
    writeFileSync(path.join(dir, 'consumer.cjs'), consumer.cjs);
    run('node', ['consumer.mjs'], { cwd: dir, env: process.env });
    run('node', ['consumer.cjs'], { cwd: dir, env: process.env });
    for (const command of consumer.bins ?? []) run('npx', ['--no-install', ...command], { cwd: dir, env: process.env });
    console.log(`installed: ${consumer.install.join(' ')} -> node_modules ${mib(dir, 'node_modules')}`);
  }

  // Every library README's examples, extracted from its code blocks, in one npm project that installed them all.
  console.log('\n== npm: every library README example, as ESM and as CommonJS (tooling/ci/readme-examples.mjs)');
  const examplesDir = path.join(work, 'readme-examples');
  mkdirSync(examplesDir, { recursive: true });
  writeFileSync(path.join(examplesDir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const readmes = libraryReadmes();
  const catalog = catalogVersions();
  const imports = new Set(readmes.flatMap(({ file }) => extractExamples(readFileSync(file, 'utf8')).flatMap((example) => importedPackages(example.code))));
  // The libraries' optional peers too (e.g. nsfwjs, which the encoders README's vision stem needs), except tfjs-node,
  // whose install script downloads libtensorflow.
  for (const { folder } of readmes) {
    const { peerDependenciesMeta = {} } = JSON.parse(readFileSync(path.join(root, 'packages', folder, 'package.json'), 'utf8'));
    for (const [name, meta] of Object.entries(peerDependenciesMeta)) if (meta?.optional && !name.startsWith('@tensorflow/tfjs-node')) imports.add(name);
  }
  const wanted = [...imports].map((name) => (name.startsWith('@umd/') ? name : `${name}${catalog[name] ? `@${catalog[name]}` : ''}`));
  const tsxVersion = JSON.parse(readFileSync(path.join(root, 'packages/core/package.json'), 'utf8')).devDependencies.tsx;
  if (run('npm', ['install', '--no-audit', '--no-fund', '--registry', registry, ...wanted, `tsx@${tsxVersion}`], { cwd: examplesDir, env })) {
    const { counts, failures: failed } = runExamples(examplesDir, { readmes, log: (line) => console.log(line) });
    console.log(`README examples: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (need data), ${counts.fragments} fragments`);
    failures.push(...failed);
    console.log(`installed: ${wanted.join(' ')} tsx -> node_modules ${mib(examplesDir, 'node_modules')}`);
  }

  // The apps as global-style bins (their own prefix), from the registry like any CLI.
  console.log('\n== npm install -g @umd/trainer @umd/bench (own prefix): umd-train --version and smoke, umd-bench --version and perf --only tiny-forward');
  const prefix = path.join(work, 'global');
  const apps = ['@umd/trainer', '@umd/bench'];
  if (run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--registry', registry, ...apps], { cwd: work, env })) {
    const bin = (name) => path.join(prefix, 'bin', name);
    run(bin('umd-train'), ['--version'], { cwd: work, env: process.env });
    run(bin('umd-train'), ['smoke', '--steps', '60', '--out', path.join(work, 'smoke')], { cwd: work, env: process.env });
    run(bin('umd-bench'), ['--version'], { cwd: work, env: process.env });
    // perf from the installed packages: encoders ships its compiled workloads (one small one here, as JSON lines).
    const perf = spawnSync(bin('umd-bench'), ['perf', '--quick', '--packages', 'encoders', '--only', 'tiny-forward'], { cwd: work, encoding: 'utf8' });
    const line = perf.stdout.split('\n').find((text) => text.includes('"workload":"tiny-forward"'));
    if (perf.status === 0 && line) console.log(`  umd-bench perf --quick --packages encoders --only tiny-forward: ${line.slice(0, 150)}…`);
    else failures.push(`umd-bench perf --only tiny-forward from the installed bins: exit ${perf.status}: ${`${perf.stdout}${perf.stderr}`.slice(-600)}`);
    // core's workloads swap its internal kernels and need a checkout: one typed line, exit 1, no stack trace.
    const core = spawnSync(bin('umd-bench'), ['perf', '--quick', '--packages', 'core'], { cwd: work, encoding: 'utf8' });
    if (core.status === 1 && /^UMD_PerfCheckoutError: .*--repo DIR/m.test(core.stderr) && !/\n\s+at /.test(core.stderr)) {
      console.log(`  umd-bench perf --packages core without a checkout: ${core.stderr.trim().split('\n').at(-1).slice(0, 110)}…`);
    } else
      failures.push(
        `umd-bench perf --packages core without a checkout: expected UMD_PerfCheckoutError and exit 1, got exit ${core.status}: ${core.stderr.slice(0, 400)}`,
      );
    // Two copies of tfjs-core in one process fight over the platform and the kernel registry: count them per app (each
    // global package is its own tree; a process loads one).
    const copies = spawnSync('npm', ['ls', '-g', '--prefix', prefix, '--all', '--parseable', '@tensorflow/tfjs-core'], { cwd: work, encoding: 'utf8' });
    const paths = [...new Set(copies.stdout.split('\n').filter((line) => line.endsWith(path.join('@tensorflow', 'tfjs-core'))))];
    for (const app of apps) {
      const mine = paths.filter(
        (copy) =>
          path
            .relative(path.join(prefix, 'lib', 'node_modules'), copy)
            .split(path.sep)
            .slice(0, 2)
            .join('/') === app,
      );
      console.log(`  ${app}: ${mine.length} copy of @tensorflow/tfjs-core in its tree`);
      if (mine.length !== 1) failures.push(`${app}'s global install holds ${mine.length} copies of @tensorflow/tfjs-core: ${mine.join(', ')}`);
    }
    console.log(`installed: ${apps.join(' ')} -> ${mib(prefix, 'lib')}`);
  }
} catch (error) {
  const cause = error instanceof Error && error.cause ? ` (${String(error.cause)})` : '';
  failures.push(`${String(error instanceof Error ? error.stack : error)}${cause}`);
} finally {
  stop();
  if (process.env.UMD_REGISTRY_KEEP === '1') console.log(`kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\nregistry check FAILED:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
  if (serverLog.trim()) console.error(`registry log (tail):\n${serverLog.trim().split('\n').slice(-15).join('\n')}`);
  process.exit(1);
}
console.log('\nregistry check passed');

/** Runs a command, printing its output's tail on failure; false (and a recorded failure) when it fails. */
function run(command, args, options) {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) {
    failures.push(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${result.status}: ${output.split('\n').slice(-8).join(' | ')}`);
    return false;
  }
  const tail = output
    .split('\n')
    .filter((line) => /ok|Published|added|Done|\+ |^\d+\.\d+\.\d+$|\[smoke\] done|"samples"/.test(line) && !line.includes('Progress:'));
  for (const line of tail.slice(-12)) console.log(`  ${line}`);
  return true;
}

/** `read()`, tried up to three times a second apart (a loopback fetch can fail while the registry is busy). */
async function retried(read) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function waitForRegistry() {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await fetch(`${registry}-/ping`)).ok) return;
    } catch {
      // not up yet
    }
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`Verdaccio did not start at ${registry} within 120 s`);
}

async function createUser() {
  const response = await fetch(`${registry}-/user/org.couchdb.user:ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci', password: 'ci-only-password' }),
  });
  const body = await response.json();
  if (!response.ok || !body.token) throw new Error(`could not create the registry user: ${JSON.stringify(body)}`);
  return body.token;
}

/** The summed sizes of the files in a tar archive (ustar headers: size in octal at offset 124). */
function unpackedBytes(tar) {
  let total = 0;
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
    if (header[156] === 48 || header[156] === 0) total += size; // regular files
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return total;
}

/** The size of `folder` under `dir` (links followed), in MiB. */
function mib(dir, folder) {
  const kibibytes = spawnSync('du', ['-sk', '--dereference', folder], { cwd: dir, encoding: 'utf8' }).stdout.split('\t')[0];
  return `${(Number(kibibytes) / 1024).toFixed(1)} MiB`;
}

/** The pnpm catalog's versions (pnpm-workspace.yaml), so the examples get the versions the packages are built with. */
function catalogVersions() {
  const text = readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^catalog:\n((?:[ \t]+.*\n)+)/m.exec(text)?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/^\s+'?([^':\s]+)'?:\s*(\S+)/gm)].map((match) => [match[1], match[2]]));
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
