import { z } from 'zod';

import { pipelineConfigSchema } from './pipeline-config-schema.js';

/** The parts of a JSON Schema node that the config schema produces (`z.toJSONSchema`, input side). */
export interface JsonSchemaNode {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  /** `false` after `prefixItems` (a tuple: no further items). */
  readonly items?: JsonSchemaNode | false;
  /** The items of a tuple, in order. */
  readonly prefixItems?: readonly JsonSchemaNode[];
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
}

let cached: JsonSchemaNode | undefined;

/** The pipeline config's JSON Schema (input side: defaulted keys are optional). Computed once. */
export function pipelineConfigJsonSchema(): JsonSchemaNode {
  cached ??= z.toJSONSchema(pipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  return cached;
}

/** The node at a config path (`['finetune', 'epochs']`; array indices step into `prefixItems` or `items`), or undefined. */
export function schemaNodeAt(path: readonly PropertyKey[], root: JsonSchemaNode = pipelineConfigJsonSchema()): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = root;
  for (const key of path) {
    if (node === undefined) return undefined;
    node = objectLike(node);
    node = typeof key === 'number' ? (node.prefixItems?.[key] ?? (node.items || undefined)) : node.properties?.[String(key)];
  }
  return node;
}

/** For `X | null` nodes, the non-null member (objects and lists are never nullable here). */
function objectLike(node: JsonSchemaNode): JsonSchemaNode {
  return node.anyOf?.find((member) => member.type === 'object' || member.type === 'array') ?? node;
}

/** What a node accepts, in words: `one of 'tiny', 'small', 'base'`, `an integer ≥ 2`, `true or false`, … */
export function describeAllowed(node: JsonSchemaNode): string {
  if (node.anyOf) return node.anyOf.map(describeAllowed).join(', or ');
  if (node.enum) return `one of ${node.enum.map(formatValue).join(', ')}`;
  if (node.const !== undefined) return formatValue(node.const);
  if (Array.isArray(node.type)) return node.type.map((type: string) => describeAllowed({ ...node, type })).join(', or ');
  switch (node.type) {
    case 'integer':
    case 'number':
      return `${node.type === 'integer' ? 'an integer' : 'a number'}${bounds(node)}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return node.minLength ? 'a non-empty string' : 'a string';
    case 'null':
      return 'null';
    case 'array':
      if (node.prefixItems) return tuple(node.prefixItems);
      return `a list${node.minItems ? ` of at least ${node.minItems}` : ''}${node.items ? ` (each ${describeAllowed(node.items)})` : ''}`;
    case 'object':
      return `an object with keys ${Object.keys(node.properties ?? {}).join(', ')}`;
    default:
      return 'any value';
  }
}

/** `a pair (each a number > 0)`, or the items one by one when they differ. */
function tuple(items: readonly JsonSchemaNode[]): string {
  const described = items.map(describeAllowed);
  const size = items.length === 2 ? 'a pair' : `a list of ${items.length}`;
  return new Set(described).size === 1 ? `${size} (each ${described[0]})` : `${size} (${described.join('; ')})`;
}

function bounds(node: JsonSchemaNode): string {
  const parts: string[] = [];
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${node.exclusiveMaximum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${node.maximum}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

/** A value as a config file would write it: strings quoted, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
