/**
 * The dashboard's login: the admin token, given once (login form, or the URL fragment read by the page), buys a
 * session cookie (HttpOnly, SameSite=Strict). The cookie is signed with the admin token rather than stored, so a
 * daemon restarted with the same token accepts it (the page reconnects by itself), a new token voids every
 * session, and the daemon keeps no session table. The cookie never contains the token, only an HMAC keyed by it.
 *
 * Actions also need a CSRF token: an HMAC of the session, which the page reads from `GET /dashboard/api/session`
 * (same-origin only: no CORS headers) and sends back in the `X-CSRF-Token` header.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'hero_dashboard';
/** Where the cookie is sent: the dashboard's own routes, never the bearer-token API. */
export const COOKIE_PATH = '/dashboard';
/** A session lasts a working day; then the token is asked for again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface SessionOptions {
  token: string;
  now?: () => number;
}

export class DashboardSessions {
  readonly #key: Buffer;
  readonly #tokenDigest: Buffer;
  readonly #now: () => number;

  constructor(options: SessionOptions) {
    // Derived keys: the cookie's MAC and the CSRF token can never be the token, nor reveal it.
    this.#key = createHmac('sha256', options.token).update('hero-supervisor dashboard session v1').digest();
    this.#tokenDigest = createHash('sha256').update(options.token).digest();
    this.#now = options.now ?? Date.now;
  }

  /** Whether `given` is the admin token, in constant time whatever its length. */
  isToken(given: string): boolean {
    return timingSafeEqual(createHash('sha256').update(given).digest(), this.#tokenDigest);
  }

  /** A new session value: `<issuedAt>.<nonce>.<mac>`. */
  issue(): string {
    const body = `${this.#now()}.${randomBytes(16).toString('base64url')}`;
    return `${body}.${this.#mac(`session|${body}`)}`;
  }

  /** The `Set-Cookie` header of a new session. */
  cookieFor(session: string): string {
    const maxAge = Math.floor(SESSION_TTL_MS / 1000);
    return `${SESSION_COOKIE}=${session}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;
  }

  /** The `Set-Cookie` header that ends a session in the browser. */
  clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** The valid, unexpired session in a `Cookie` header, or undefined. */
  sessionOf(cookieHeader: string | undefined): string | undefined {
    const value = readCookie(cookieHeader, SESSION_COOKIE);
    if (value === undefined) return undefined;
    const match = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (match === null) return undefined;
    const issuedAt = Number(match[1]);
    const age = this.#now() - issuedAt;
    if (age < 0 || age > SESSION_TTL_MS) return undefined;
    const expected = this.#mac(`session|${match[1]}.${match[2]}`);
    return safeEqual(match[3] as string, expected) ? value : undefined;
  }

  /** The CSRF token that goes with a session. */
  csrfFor(session: string): string {
    return this.#mac(`csrf|${session}`);
  }

  isCsrfValid(session: string, given: string | undefined): boolean {
    return given !== undefined && safeEqual(given, this.csrfFor(session));
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** One cookie's value from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
