/**
 * What a worker or service process starts with besides what its spec names: a small base read from the
 * supervisor's environment, never the whole of it. The supervisor's environment holds its own secrets (the admin
 * token, the Redis password variable, values read by `fromEnv`), and a worker runs code sent by callers.
 * Documented in src/daemon/README.md ("The environment of workers"); more names only through an explicit
 * allowlist (`passEnv` in the config, `WorkerConfig.withPassEnv()`).
 */

/** Passed from the supervisor's environment when set: the program search path, the user, locale, time zone, temp dir. */
export const BASE_ENV_NAMES: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
]);

/** PATH when the supervisor has none (as login(1) sets for a fresh session). */
export const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variables among `names` that are set in `source`, with their values. */
export function pickEnv(
  names: readonly string[],
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined && Object.hasOwn(source, name)) picked[name] = value;
  }
  return picked;
}

/** The base every child gets before its spec's own `env`: `BASE_ENV_NAMES` from `source`, PATH always set. */
export function baseEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  return { PATH: FALLBACK_PATH, ...pickEnv(BASE_ENV_NAMES, source) };
}
