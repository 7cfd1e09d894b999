import { ModelBundleError } from './model-bundle-error.js';
import { openModelBundle, type OpenedModelBundle } from './open-model-bundle.js';

/**
 * Loads a bundle over HTTP (`umd-train serve` serves one at `/model/`): the browser's loader. Same checks and model as
 * `loadModelBundle`; images are prepared by the caller (see `answerWithBundle`).
 *
 * @param url the bundle folder's URL (with or without a trailing slash), absolute or relative to the page
 * @throws ModelBundleError naming the file's URL: missing (HTTP status), a checksum that does not match, another format
 */
export async function fetchModelBundle(url: string, fetchFile: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<OpenedModelBundle> {
  const base = url.endsWith('/') ? url : `${url}/`;
  return openModelBundle({
    location: base,
    name: (file) => `${base}${file}`,
    read: async (file) => {
      let response: Response;
      try {
        response = await fetchFile(`${base}${file}`);
      } catch (error) {
        throw new ModelBundleError(`${base}${file}`, 'missing-file', `could not be fetched (${(error as Error).message})`, { cause: error });
      }
      if (!response.ok) throw new ModelBundleError(`${base}${file}`, 'missing-file', `HTTP ${response.status} ${response.statusText}`.trim());
      return new Uint8Array(await response.arrayBuffer());
    },
  });
}
