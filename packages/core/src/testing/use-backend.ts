import { initRuntime, type BackendName, type RuntimeInfo } from '../runtime/init-runtime.js';

/** Starts the runtime on `backend` for a test file (call in `beforeAll`). Default `cpu`: the backend tests compare. */
export function useBackend(backend: Exclude<BackendName, 'auto'> = 'cpu'): Promise<RuntimeInfo> {
  return initRuntime({ backend });
}
