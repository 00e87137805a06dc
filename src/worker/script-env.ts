/**
 * The environment a job's script runs with: its worker's environment minus every secret the worker holds, plus the
 * job's own `env`. Secrets are the Redis connection (`REDIS_URL`, `HERO_REDIS_*`) and every variable the supervisor
 * marked secret (named in `HERO_SECRET_ENV`, which the lifecycle manager sets; src/lifecycle/worker-environment.ts).
 */

/** Lists, comma-separated, the names of a worker's secret variables (names only, never values). */
export const SECRET_ENV_NAMES_VARIABLE = 'HERO_SECRET_ENV';

/** Never passed to a script whatever the worker was told: the Redis connection and the supervisor's admin token. */
const ALWAYS_HIDDEN = /^(REDIS_URL|HERO_REDIS_.*|HERO_ADMIN_TOKEN|HERO_SECRET_ENV)$/;

/** The worker's environment as its scripts may see it: computed once per worker, shared by every job. */
export function scriptBaseEnv(workerEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const secret = new Set(
    (workerEnv[SECRET_ENV_NAMES_VARIABLE] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(workerEnv)) {
    if (!ALWAYS_HIDDEN.test(key) && !secret.has(key)) env[key] = value;
  }
  return env;
}
