/**
 * The protocol's JSON Schemas as files, for worker authors in other languages: `src/transport/schemas/<message>.schema.json`,
 * generated from the zod schemas (protocol-schemas.ts), formatted by Biome. A test regenerates them and fails when a
 * committed file's content differs. Regenerate with `npx tsx src/transport/protocol-json-schemas.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PROTOCOL_MESSAGES,
  PROTOCOL_SCHEMAS_DIR,
  type ProtocolMessageName,
  protocolJsonSchema,
  protocolJsonSchemas,
} from './protocol-schemas.js';

/** Every message's JSON Schema (draft 2020-12), by message name (`job-data`, `ping-reply`...). */
export const protocolSchemas: Readonly<Record<ProtocolMessageName, Record<string, unknown>>> = Object.freeze(
  protocolJsonSchemas(),
);

/** Where one message's schema file is, relative to the package root. */
export function protocolSchemaPath(name: ProtocolMessageName): string {
  return join(PROTOCOL_SCHEMAS_DIR, `${name}.schema.json`);
}

/** A schema as its file's text: two-space JSON and a final newline. */
export function protocolSchemaText(name: ProtocolMessageName): string {
  return `${JSON.stringify(protocolJsonSchema(name), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await mkdir(PROTOCOL_SCHEMAS_DIR, { recursive: true });
  const paths = (Object.keys(PROTOCOL_MESSAGES) as ProtocolMessageName[]).map((name) => protocolSchemaPath(name));
  for (const name of Object.keys(PROTOCOL_MESSAGES) as ProtocolMessageName[]) {
    await writeFile(protocolSchemaPath(name), protocolSchemaText(name));
  }
  // The repository's formatter owns the layout of committed JSON; the sync test compares content, not layout.
  const formatted = spawnSync('npx', ['biome', 'format', '--write', ...paths], { stdio: 'inherit' });
  console.log(`wrote ${paths.join(', ')}${formatted.status === 0 ? '' : ' (not formatted: biome failed)'}`);
}
