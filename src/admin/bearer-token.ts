/** Checks `Authorization: Bearer <token>` in constant time, and makes tokens. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: 256 bits, as for any bearer credential that must not be guessed. */
const GENERATED_TOKEN_BYTES = 32;

/**
 * Whether `header` carries exactly `token`. Both sides are hashed first so that `timingSafeEqual` compares
 * equal lengths and the time taken says nothing about the token's length or its first differing byte.
 */
export function isAuthorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null) return false;
  const given = createHash('sha256')
    .update(match[1] as string)
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}

/** A fresh random token (base64url, 43 characters). */
export function generateToken(): string {
  return randomBytes(GENERATED_TOKEN_BYTES).toString('base64url');
}
