/**
 * The config reference as a Markdown table (path, type, default, description), generated from the JSON Schema
 * so the docs cannot drift from the schema. Print it with `npx tsx src/config/config-reference.ts`.
 */
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './json-schema.js';

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  required?: string[];
}

function typeOf(node: JsonSchemaNode): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum !== undefined) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  const options = node.anyOf ?? node.oneOf;
  if (options !== undefined) {
    const types = options.map(typeOf);
    if (options.some((option) => option.pattern?.includes('(ms|s|m|h)'))) return 'duration';
    return [...new Set(types)].join(' \\| ');
  }
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'}[]`;
  if (node.type === 'object' && typeof node.additionalProperties === 'object') return 'map';
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}

function bounds(node: JsonSchemaNode): string {
  const parts: string[] = [];
  if (node.minimum !== undefined && node.minimum !== 0 && node.type !== 'string') parts.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${node.maximum}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function rows(node: JsonSchemaNode, path: string, out: string[][]): void {
  const objects = (node.oneOf ?? node.anyOf ?? [node]).filter((option) => option.properties !== undefined);
  for (const object of objects) {
    for (const [key, child] of Object.entries(object.properties ?? {})) {
      if (key === '$schema') continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      const isObject = child.properties !== undefined || (child.oneOf ?? child.anyOf ?? []).some((o) => o.properties);
      const mapValue = typeof child.additionalProperties === 'object' ? child.additionalProperties : undefined;
      if (isObject && mapValue === undefined && child.type !== 'array') {
        const shapes = child.oneOf ?? [];
        if (shapes.length > 1) out.push([`\`${childPath}\``, 'one of the shapes below', '', child.description ?? '']);
        rows(child, childPath, out);
        continue;
      }
      const required = object.required?.includes(key) && child.default === undefined ? 'required' : '';
      const defaultText = child.default !== undefined ? `\`${JSON.stringify(child.default)}\`` : required;
      out.push([`\`${childPath}\``, `${typeOf(child)}${bounds(child)}`, defaultText, child.description ?? '']);
      if (mapValue !== undefined && mapValue.properties !== undefined) rows(mapValue, `${childPath}.<name>`, out);
    }
  }
}

export function configReferenceMarkdown(): string {
  const out: string[][] = [];
  rows(configJsonSchema() as JsonSchemaNode, '', out);
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of out)
    lines.push(`| ${row.map((cell) => cell.replace(/(?<!\\)\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(configReferenceMarkdown());
}
