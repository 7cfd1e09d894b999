/**
 * @umd/trainer: the `umd-train` command. Programmatic entry points for tests and embedding.
 */
export { runSmoke } from './smoke.js';
export type { SmokeOptions } from './smoke.js';
