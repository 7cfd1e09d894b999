import type { z } from 'zod';

import type { ConfigIssue } from '../errors/config-error.js';
import { describeAllowed, formatValue, schemaNodeAt } from './config-json-schema.js';

/**
 * Turns zod's issues into readable {@link ConfigIssue}s: each names the dotted key and what is allowed there (the
 * allowed keys of an object, with a close match suggested; the values of an enum; a number's bounds), and shows the
 * value found.
 *
 * @param input the document that was validated (to show the offending values)
 */
export function configIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ConfigIssue[] {
  const result: ConfigIssue[] = [];
  for (const issue of issues) {
    const value = valueAt(input, issue.path);
    const node = schemaNodeAt(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = Object.keys(node?.properties ?? {});
        for (const key of issue.keys) {
          const suggestion = closest(key, allowed);
          result.push({
            path: dotted([...issue.path, key]),
            message: `unknown key.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Allowed keys: ${allowed.join(', ')}`,
          });
        }
        break;
      }
      case 'invalid_value':
        result.push({ path: dotted(issue.path), message: `expected one of ${issue.values.map(formatValue).join(', ')}, got ${formatValue(value)}` });
        break;
      case 'invalid_type':
      case 'too_small':
      case 'too_big':
      case 'not_multiple_of':
      case 'invalid_union':
        result.push({
          path: dotted(issue.path),
          message:
            value === undefined && issue.code === 'invalid_type'
              ? `required: ${node ? describeAllowed(node) : issue.expected}`
              : `expected ${node ? describeAllowed(node) : issue.message}, got ${formatValue(value)}`,
        });
        break;
      default:
        result.push({ path: dotted(issue.path), message: `${issue.message}, got ${formatValue(value)}` });
    }
  }
  return result;
}

/** `['finetune', 'epochs']` -> `finetune.epochs`; `['stages', 1]` -> `stages.1`. */
export function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The allowed key nearest to `key` (case-insensitive edit distance ≤ 1/3 of its length), if any. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
