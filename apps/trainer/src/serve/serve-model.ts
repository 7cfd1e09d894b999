import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { UmdError } from '@umd/core';
import { loadModelBundle, modelBundleFiles } from '@umd/tasks';
import sirv from 'sirv';

import { ensurePage } from './build-page.js';

/** Options of {@link serveModel}. */
export interface ServeModelOptions {
  /** The model bundle folder (`umd-train export`). */
  readonly model: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1 (this machine only). */
  readonly host?: string;
  /** A folder of sample images (PNG, JPEG, DICOM) the page offers. Default: the bundle's `samples/`, if any. */
  readonly samples?: string;
  /** The built page (`buildPage`); default `dist/web` of this package, built first when missing or stale. */
  readonly page?: string;
}

/** A running page server. */
export interface ServedModel {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** `umd-train serve` could not start. */
export class ServeError extends UmdError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super({ name: 'UMD_ServeError', message, cause: options.cause });
  }
}

const sampleExtensions = new Set(['.png', '.jpg', '.jpeg', '.dcm']);
const bundleFiles = new Set<string>(['checksums.json', ...Object.values(modelBundleFiles)]);

/**
 * Serves the page that runs a model bundle in the browser (`/`), the bundle's files (`/model/`) and the samples
 * (`/samples/`, with `index.json` listing them). Files only: the model runs in the page. The bundle is loaded once
 * here first, so a damaged or incomplete one is refused before anything is served.
 *
 * @throws ModelBundleError for a bundle that does not load; ServeError for a port in use or a samples folder that
 *   cannot be read
 */
export async function serveModel(options: ServeModelOptions): Promise<ServedModel> {
  const model = path.resolve(options.model);
  (await loadModelBundle(model)).dispose();
  // Default: the samples `umd-train export` wrote into the bundle (phantom runs), when there are any.
  const samplesDir = options.samples ? path.resolve(options.samples) : existsSync(path.join(model, 'samples')) ? path.join(model, 'samples') : undefined;
  const samples = samplesDir ? await listSamples(samplesDir) : [];
  const pageDir = options.page ?? (await ensurePage());
  const page = sirv(pageDir, { etag: true, dev: false });
  const bundle = sirv(model, { etag: true, dev: true });
  const sampleFiles = samplesDir ? sirv(samplesDir, { etag: true, dev: true }) : undefined;
  const notFound = (response: ServerResponse): void => {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/model/')) {
      if (!bundleFiles.has(url.pathname.slice('/model/'.length))) return notFound(response);
      request.url = url.pathname.slice('/model'.length);
      return bundle(request, response, () => notFound(response));
    }
    if (url.pathname === '/samples/index.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(samples));
      return;
    }
    if (url.pathname.startsWith('/samples/')) {
      let file: string;
      try {
        file = decodeURIComponent(url.pathname.slice('/samples/'.length));
      } catch {
        return notFound(response); // a malformed escape names no sample
      }
      if (!sampleFiles || !samples.some((sample) => sample.file === file)) return notFound(response);
      request.url = url.pathname.slice('/samples'.length);
      return sampleFiles(request, response, () => notFound(response));
    }
    return page(request, response, () => notFound(response));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ServeError(
          error.code === 'EADDRINUSE'
            ? `port ${options.port} on ${host} is in use: pick another with --port`
            : `cannot listen on ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The images of a samples folder, with the questions its `index.json` gives them (as `umd-train export` writes it). */
async function listSamples(dir: string): Promise<{ file: string; question?: string }[]> {
  try {
    const files = (await readdir(dir)).filter((file) => sampleExtensions.has(path.extname(file).toLowerCase())).sort();
    const index = await readFile(path.join(dir, 'index.json'), 'utf8').then(
      (text) => JSON.parse(text) as { file: string; question?: string }[],
      () => [],
    );
    const questions = new Map(index.map((entry) => [entry.file, entry.question]));
    return files.map((file) => (questions.get(file) ? { file, question: questions.get(file)! } : { file }));
  } catch (error) {
    throw new ServeError(`--samples ${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
}
