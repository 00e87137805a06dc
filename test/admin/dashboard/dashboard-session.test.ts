/** The dashboard's session cookie and CSRF token (issue 15): signed with the admin token, never containing it. */
import { describe, expect, it } from 'vitest';
import {
  DashboardSessions,
  readCookie,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from '../../../src/admin/dashboard/dashboard-session.js';

const TOKEN = 'a-long-admin-token-for-the-dashboard-tests';

function cookieHeader(session: string): string {
  return `other=1; ${SESSION_COOKIE}=${session}; last=2`;
}

describe('DashboardSessions', () => {
  it('accepts the admin token only', () => {
    const sessions = new DashboardSessions({ token: TOKEN });
    expect(sessions.isToken(TOKEN)).toBe(true);
    expect(sessions.isToken(`${TOKEN}x`)).toBe(false);
    expect(sessions.isToken('')).toBe(false);
  });

  it('issues a session that verifies, is HttpOnly and SameSite=Strict, and does not contain the token', () => {
    const sessions = new DashboardSessions({ token: TOKEN });
    const session = sessions.issue();
    expect(session).not.toContain(TOKEN);
    expect(sessions.sessionOf(cookieHeader(session))).toBe(session);
    const cookie = sessions.cookieFor(session);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/dashboard');
  });

  it('refuses a tampered, foreign, missing or expired session', () => {
    let now = 1_000_000;
    const sessions = new DashboardSessions({ token: TOKEN, now: () => now });
    const session = sessions.issue();
    const [issuedAt, nonce, mac] = session.split('.') as [string, string, string];
    expect(sessions.sessionOf(cookieHeader(`${Number(issuedAt) + 1}.${nonce}.${mac}`))).toBeUndefined();
    expect(sessions.sessionOf(cookieHeader(`${issuedAt}.${nonce}x.${mac}`))).toBeUndefined();
    expect(sessions.sessionOf(undefined)).toBeUndefined();
    expect(sessions.sessionOf('other=1')).toBeUndefined();
    // Another token (a daemon restarted with a new generated token) voids every session.
    expect(new DashboardSessions({ token: `${TOKEN}-new` }).sessionOf(cookieHeader(session))).toBeUndefined();
    // The same token (a daemon restarted with its configured token) keeps it.
    expect(new DashboardSessions({ token: TOKEN, now: () => now }).sessionOf(cookieHeader(session))).toBe(session);
    now += SESSION_TTL_MS + 1;
    expect(sessions.sessionOf(cookieHeader(session))).toBeUndefined();
  });

  it('ties the CSRF token to the session', () => {
    const sessions = new DashboardSessions({ token: TOKEN });
    const one = sessions.issue();
    const two = sessions.issue();
    expect(sessions.isCsrfValid(one, sessions.csrfFor(one))).toBe(true);
    expect(sessions.isCsrfValid(one, sessions.csrfFor(two))).toBe(false);
    expect(sessions.isCsrfValid(one, undefined)).toBe(false);
    expect(sessions.csrfFor(one)).not.toContain(TOKEN);
  });
});

describe('readCookie', () => {
  it('finds one cookie among several', () => {
    expect(readCookie('a=1; b=2;c=3', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(readCookie('ab=1', 'b')).toBeUndefined();
  });
});
