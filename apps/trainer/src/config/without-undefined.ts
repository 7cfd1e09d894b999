/**
 * The entries of `value` whose value is not undefined. Zod keeps absent optional keys out, but a spread must not erase
 * a preset's value, and a library option left out must stay out (so a config without the key runs as before).
 */
export function withoutUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
