import { describeAllowed, formatValue, pipelineConfigJsonSchema, type JsonSchemaNode } from './config-json-schema.js';

/**
 * The config reference as a Markdown table generated from the schema: one row per key (dotted path), what it accepts,
 * its default and its meaning; sections get a row of their own. The README embeds this table (a test keeps them equal).
 */
export function configReference(): string {
  const rows: string[] = ['| key | accepts | default | meaning |', '| --- | --- | --- | --- |'];
  const visit = (node: JsonSchemaNode, path: string, required: boolean): void => {
    if (node.type === 'object' && node.properties) {
      if (path !== '') rows.push(`| **\`${path}\`** | section | | ${cell(node.description ?? '')} |`);
      for (const [key, child] of Object.entries(node.properties)) visit(child, path === '' ? key : `${path}.${key}`, node.required?.includes(key) ?? false);
      return;
    }
    const fallback = node.default !== undefined ? formatValue(node.default) : required ? '(required)' : '(none)';
    rows.push(`| \`${path}\` | ${cell(describeAllowed(node))} | ${cell(fallback)} | ${cell(node.description ?? '')} |`);
  };
  visit(pipelineConfigJsonSchema(), '', true);
  return rows.join('\n');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
