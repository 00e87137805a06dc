/**
 * The admin token of a daemon: the config's (`admin.token`, or the `admin.tokenEnv` variable, HERO_ADMIN_TOKEN by
 * default). With neither, a random one is generated and written, mode 0600, to the token file the CLI reads
 * (`admin.tokenFile`, default `~/.hero-supervisor/admin-<endpoint>.token`): the quick start needs no setup and
 * the endpoint is never open.
 */
import { generateToken } from '../admin/bearer-token.js';
import { defaultTokenFile, endpointOf } from '../cli/admin-endpoint.js';
import type { AdminConfig } from '../config/config-types.js';
import { writePrivateFileSync } from '../fs/private-file.js';

export async function resolveAdminToken(admin: AdminConfig): Promise<{ token: string; writtenTo?: string }> {
  if (admin.token !== undefined) return { token: admin.token };
  const token = generateToken();
  const file = admin.tokenFile ?? defaultTokenFile(endpointOf(admin));
  // A fresh file (0600) renamed into place: never written through a symbolic link; a tokenFile that is one is refused.
  writePrivateFileSync(file, `${token}\n`, 'admin.tokenFile');
  return { token, writtenTo: file };
}
