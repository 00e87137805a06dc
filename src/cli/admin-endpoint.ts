/**
 * Where the control commands find the daemon, and with which token. In order:
 * endpoint: `--endpoint`, `HERO_ADMIN_ENDPOINT`, the config's `admin.socketPath` or `admin.host:port`, `127.0.0.1:7171`.
 * token: `--token`, `HERO_ADMIN_TOKEN`, the config's `admin.token` / `admin.tokenEnv`, then the token file the
 * daemon wrote when it generated one (the config's `admin.tokenFile`, or the default for that endpoint).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AdminConfig } from '../config/config-types.js';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, DEFAULT_ADMIN_TOKEN_ENV } from '../config/defaults.js';
import { ConfigError } from '../errors.js';

export interface EndpointOptions {
  endpoint?: string;
  token?: string;
}

/** `http://127.0.0.1:7171` or the socket path. */
export function endpointOf(admin: Pick<AdminConfig, 'host' | 'port' | 'socketPath'>): string {
  if (admin.socketPath !== undefined) return admin.socketPath;
  const host = admin.host.includes(':') ? `[${admin.host}]` : admin.host;
  return `http://${host}:${admin.port}`;
}

/**
 * Where a daemon writes the token it generated when none is configured (mode 0600), and where the CLI
 * looks for it: one file per endpoint under `~/.hero-supervisor/`, so that two daemons do not share one.
 */
export function defaultTokenFile(endpoint: string): string {
  const slug = endpoint
    .replace(/^https?:\/\//, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return join(homedir(), '.hero-supervisor', `admin-${slug}.token`);
}

export async function resolveEndpoint(
  options: EndpointOptions,
  admin: AdminConfig | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ endpoint: string; token: string | undefined }> {
  const endpoint =
    options.endpoint ??
    nonEmpty(env.HERO_ADMIN_ENDPOINT) ??
    (admin !== undefined ? endpointOf(admin) : endpointOf({ host: DEFAULT_ADMIN_HOST, port: DEFAULT_ADMIN_PORT }));
  checkEndpoint(endpoint);
  let token =
    options.token ??
    nonEmpty(env[DEFAULT_ADMIN_TOKEN_ENV]) ??
    admin?.token ??
    (admin !== undefined ? nonEmpty(env[admin.tokenEnv]) : undefined);
  if (token === undefined) {
    const file = admin?.tokenFile ?? defaultTokenFile(endpoint);
    try {
      token = nonEmpty((await readFile(file, 'utf8')).trim());
    } catch {
      // no token file: the request goes without a token and the daemon says 401
    }
  }
  return { endpoint, token };
}

const ENDPOINT_EXPECTED = 'expected http://host:port or the absolute path of a Unix socket';

/** The admin endpoint speaks HTTP over TCP or a Unix socket: anything else is a usage error, said before connecting. */
export function checkEndpoint(endpoint: string): void {
  if (endpoint.startsWith('/')) return;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`Invalid admin endpoint \`${endpoint}\`: ${ENDPOINT_EXPECTED}.`, [
      { path: 'endpoint', message: ENDPOINT_EXPECTED },
    ]);
  }
  if (url.protocol !== 'http:') {
    const scheme = url.protocol.replace(/:$/, '');
    throw new ConfigError(`Unsupported admin endpoint scheme \`${scheme}\` in \`${endpoint}\`: ${ENDPOINT_EXPECTED}.`, [
      { path: 'endpoint', message: `unsupported scheme ${scheme}; ${ENDPOINT_EXPECTED}` },
    ]);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
