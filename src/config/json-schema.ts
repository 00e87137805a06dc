/**
 * Publishes the config schema as JSON Schema (draft 2020-12) for editor completion. The committed copy is
 * `src/config/supervisor.schema.json` (formatted by Biome); a test regenerates the schema and fails when the
 * committed file's content differs.
 * Regenerate with `npx tsx src/config/json-schema.ts` (or `hero-supervisor schema > file`).
 * In a YAML file: `# yaml-language-server: $schema=./node_modules/hero-supervisor/src/config/supervisor.schema.json`.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

/** Where the committed JSON Schema lives, relative to the package root. */
export const CONFIG_JSON_SCHEMA_PATH = 'src/config/supervisor.schema.json';

/** The JSON Schema of what a config file may contain (the input side: durations may be strings). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, {
      io: 'input',
      target: 'draft-2020-12',
      // zod leaves out the default of a field whose value is transformed (durations): put it back for editors.
      override: ({ zodSchema, jsonSchema }) => {
        const def = (zodSchema as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
        if (def.type === 'default' && jsonSchema.default === undefined) jsonSchema.default = def.defaultValue as never;
      },
    }),
  };
}

/** The schema as the file's text: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText());
  // The repository's formatter owns the layout of committed JSON; the sync test compares content, not layout.
  const formatted = spawnSync('npx', ['biome', 'format', '--write', CONFIG_JSON_SCHEMA_PATH], { stdio: 'inherit' });
  console.log(`wrote ${CONFIG_JSON_SCHEMA_PATH}${formatted.status === 0 ? '' : ' (not formatted: biome failed)'}`);
}
