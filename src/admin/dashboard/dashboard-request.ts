/** Small request helpers of the dashboard's routes: typed HTTP errors, bodies, names, same-origin checks. */
import type { IncomingMessage } from 'node:http';
import { NAME_PATTERN } from '../../config/schema.js';
import { SupervisorError } from '../../errors.js';

/** Login and action bodies are tiny. */
const MAX_BODY_BYTES = 16 * 1024;
const WORKER_NAME = new RegExp(NAME_PATTERN.replace('{0,62}', '{0,200}'));

export class DashboardHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DashboardHttpError';
  }
}

/** Which status an error from the daemon becomes (as on the bearer-token routes). */
export function httpStatusOf(error: unknown): { status: number; code: string } {
  if (error instanceof DashboardHttpError) return { status: error.status, code: error.code };
  const code = error instanceof SupervisorError ? error.code : (error as { code?: unknown } | null)?.code;
  if (code === 'WORKER_NOT_FOUND' || code === 'UNKNOWN_SERVICE' || code === 'SCRIPT_TYPE_NOT_FOUND')
    return { status: 404, code };
  if (code === 'INVALID_CONFIG' || code === 'INVALID_SPEC') return { status: 400, code };
  return { status: 500, code: typeof code === 'string' ? code : 'INTERNAL' };
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new DashboardHttpError(413, 'TOO_LARGE', `Request body over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DashboardHttpError(400, 'BAD_REQUEST', 'Expected a JSON object body.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DashboardHttpError(400, 'BAD_REQUEST', 'Expected a JSON object body.');
  return body as Record<string, unknown>;
}

export function workerNameOf(segment: string | undefined): string {
  let name: string;
  try {
    name = decodeURIComponent(segment ?? '');
  } catch {
    throw new DashboardHttpError(400, 'BAD_REQUEST', 'Expected a URL-encoded worker name.');
  }
  if (!WORKER_NAME.test(name))
    throw new DashboardHttpError(
      400,
      'BAD_REQUEST',
      `Expected a worker name of letters, digits, \`_\` and \`-\` (e.g. python_worker_0), got ${JSON.stringify(name)}.`,
    );
  return name;
}

export function scaleRequestOf(body: Record<string, unknown>): { type: string; n: number } {
  const { type, n } = body;
  if (typeof type !== 'string' || !WORKER_NAME.test(type))
    throw new DashboardHttpError(
      400,
      'BAD_REQUEST',
      `Expected \`type\` to be a script type name, got ${JSON.stringify(type)}.`,
    );
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new DashboardHttpError(
      400,
      'BAD_REQUEST',
      `Expected \`n\` to be a non-negative integer, got ${JSON.stringify(n)}.`,
    );
  return { type, n };
}

/**
 * A state-changing request must come from the dashboard's own page: a browser sends `Origin` (and
 * `Sec-Fetch-Site`) with every POST, and another site's page cannot forge them. Requests without them
 * (curl) still need the session cookie and, for actions, the CSRF token.
 */
export function assertSameOrigin(request: IncomingMessage): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    throw new DashboardHttpError(403, 'CROSS_SITE', `Cross-site request refused (Sec-Fetch-Site: ${site}).`);
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (host === undefined || originHost !== host)
    throw new DashboardHttpError(403, 'CROSS_SITE', 'Cross-origin request refused: Origin does not match Host.');
}
