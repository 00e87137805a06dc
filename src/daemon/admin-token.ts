/**
 * The admin token of a daemon: the config's (`admin.token`, or the `admin.tokenEnv` variable, HERO_ADMIN_TOKEN by
 * default). With neither, a random one is generated and written, mode 0600, to the token file the CLI reads
 * (`admin.tokenFile`, default `~/.hero-supervisor/admin-<endpoint>.token`): the quick start needs no setup and
 * the endpoint is never open.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateToken } from '../admin/bearer-token.js';
import { defaultTokenFile, endpointOf } from '../cli/admin-endpoint.js';
import type { AdminConfig } from '../config/config-types.js';

export async function resolveAdminToken(admin: AdminConfig): Promise<{ token: string; writtenTo?: string }> {
  if (admin.token !== undefined) return { token: admin.token };
  const token = generateToken();
  const file = admin.tokenFile ?? defaultTokenFile(endpointOf(admin));
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  // writeFile keeps the mode of an existing file: tighten it in case it was created wider.
  await chmod(file, 0o600);
  return { token, writtenTo: file };
}
