#!/usr/bin/env node
/**
 * Builds the optional addon build/umd_blas.node from src/native/umd_blas.c with the system C compiler. Runs as the
 * package's install script and NEVER fails the install: without a compiler, Node's headers or a supported OS it
 * prints one line saying why and exits 0 (@umd/core then keeps its plain wasm matMul and says so once at start-up).
 *
 * No node-gyp, no BLAS headers, no network: the addon is one N-API (ABI-stable) C file that opens the BLAS with
 * dlopen at run time, so it only needs `cc` and `node_api.h`, which Node installs beside its binary
 * (<prefix>/include/node; Debian: /usr/include/node). Override with CC and UMD_NODE_INCLUDE.
 *
 *   node scripts/build-addon.mjs [--verbose]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'src', 'native', 'umd_blas.c');
const output = path.join(root, 'build', 'umd_blas.node');
const verbose = process.argv.includes('--verbose');

function skip(reason) {
  console.log(`[@umd/native-blas] addon not built (${reason}); @umd/core will use its plain wasm matMul.`);
  process.exit(0);
}

if (process.env.UMD_NATIVE_BLAS === '0') skip('UMD_NATIVE_BLAS=0');
if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`platform ${process.platform} is not supported yet`);
if (!existsSync(source)) skip(`${source} is missing`);

const includeCandidates = [
  process.env.UMD_NODE_INCLUDE,
  path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const include = includeCandidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
if (!include) skip(`node_api.h not found in ${includeCandidates.join(', ')}; set UMD_NODE_INCLUDE`);

const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
const compiler = compilers.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
if (!compiler) skip(`no C compiler (tried ${compilers.join(', ')}; set CC)`);

const linkFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-ldl', '-lm'];
const temporary = `${output}.${process.pid}.tmp`;
mkdirSync(path.dirname(output), { recursive: true });
const args = [
  '-O3',
  '-fPIC',
  '-std=c11',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-D_GNU_SOURCE',
  '-DNODE_GYP_MODULE_NAME=umd_blas',
  `-I${include}`,
  source,
  '-o',
  temporary,
  ...linkFlags,
];
if (verbose) console.log(`[@umd/native-blas] ${compiler} ${args.join(' ')}`);
const result = spawnSync(compiler, args, { encoding: 'utf8' });
if (result.status !== 0) {
  rmSync(temporary, { force: true });
  const detail = (result.stderr || String(result.error ?? '')).trim().split('\n').slice(0, 3).join(' | ');
  skip(`${compiler} failed: ${detail}`);
}
renameSync(temporary, output);
console.log(`[@umd/native-blas] built ${path.relative(root, output)} (${compiler}, headers ${include})`);
