import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import type * as Esbuild from 'esbuild';

/** The page's sources (`web/` of this package) and where `pnpm build` puts the bundled page (`dist/web/`). */
export const webSourceDir = fileURLToPath(new URL('../../web/', import.meta.url));
export const builtPageDir = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * Modules the page's imports reach that only Node has (file system, native addons, CLI helpers). The page never calls
 * them; they are replaced by a module whose every export throws a message naming the module, so a code path that did
 * reach one would fail clearly instead of silently.
 */
const nodeOnly =
  /^(node:.*|fs|path|os|crypto|module|url|zlib|child_process|worker_threads|sharp|@umd\/native-blas|proper-lockfile|commander|cli-progress|@tensorflow\/tfjs-node(-gpu)?)$/;

/** A module whose every use throws, naming `name`: imports succeed, calls fail clearly. */
function stubSource(name: string): string {
  return `
const fail = (what) => { throw new Error(what + ' is not available in the browser page (a Node-only module): use umd-train predict for this input'); };
const stub = new Proxy(function () {}, {
  get: (_, key) => (key === '__esModule' ? false : key === 'then' ? undefined : key === 'default' ? stub : () => fail(${JSON.stringify(name)} + '.' + String(key))),
  apply: () => fail(${JSON.stringify(name)}),
  construct: () => fail(${JSON.stringify(name)}),
});
module.exports = stub;
`;
}

/**
 * Bundles the page (`web/page.ts` and what it imports, tfjs with its wasm and cpu backends) into `outDir` with esbuild:
 * `page.js`, `page.css`, `index.html` and tfjs' WebAssembly binaries in `wasm/`. Written to a temporary folder, then renamed into place.
 *
 * @returns outDir
 */
export async function buildPage(outDir: string = builtPageDir, options: { readonly minify?: boolean } = {}): Promise<string> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new Error(`The page of umd-train serve is not built (${outDir}) and esbuild is not installed to build it: run \`pnpm build\` in apps/trainer`, {
      cause: error,
    });
  }
  const temporary = `${outDir.replace(/[\\/]$/, '')}.tmp-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(webSourceDir, 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: path.join(temporary, 'page.js'),
    conditions: ['@umd/source'],
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'linked',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [
      {
        name: 'node-only-modules',
        setup(build) {
          build.onResolve({ filter: nodeOnly }, (args) => ({ path: args.path, namespace: 'node-only' }));
          build.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({ contents: stubSource(args.path), loader: 'js' }));
        },
      },
    ],
  });
  // tfjs' WebAssembly binaries, next to the page (the page sets its wasm path to `wasm/`).
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  await mkdir(path.join(temporary, 'wasm'));
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    await copyFile(path.join(wasmDir, 'dist', file), path.join(temporary, 'wasm', file));
  }
  await copyFile(path.join(webSourceDir, 'index.html'), path.join(temporary, 'index.html'));
  await copyFile(path.join(webSourceDir, 'page.css'), path.join(temporary, 'page.css'));
  await rm(outDir, { recursive: true, force: true });
  await rename(temporary, outDir);
  return outDir;
}

/**
 * The built page, building it first when it is missing or older than a file of `web/` (a checkout without `pnpm build`,
 * or page sources edited since; the page itself reaches into other packages, rebuilt by `pnpm build`).
 */
export async function ensurePage(outDir: string = builtPageDir): Promise<string> {
  const built = await stat(path.join(outDir, 'page.js')).catch(() => undefined);
  const sources = await readdir(webSourceDir).catch(() => [] as string[]); // an installed package ships only dist/web
  const newest = Math.max(0, ...(await Promise.all(sources.map(async (file) => (await stat(path.join(webSourceDir, file))).mtimeMs))));
  if (built && built.mtimeMs >= newest) return outDir;
  return buildPage(outDir);
}
