/** The published JSON Schema (issue 6: editor completion) is generated from the zod schema and kept in sync. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';

describe('supervisor.schema.json', () => {
  it('is the schema generated from the zod schema (regenerate: npx tsx src/config/json-schema.ts)', async () => {
    const committed = JSON.parse(await readFile(CONFIG_JSON_SCHEMA_PATH, 'utf8')) as unknown;

    expect(committed).toEqual(JSON.parse(configJsonSchemaText()));
  });

  it('forbids unknown keys and publishes defaults and duration strings', () => {
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      properties: { health: { properties: { idleTimeoutMs: { default: number; anyOf: { type: string }[] } } } };
    };

    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.health.properties.idleTimeoutMs.default).toBe(600_000);
    expect(schema.properties.health.properties.idleTimeoutMs.anyOf.map((option) => option.type)).toEqual([
      'integer',
      'string',
    ]);
  });
});
