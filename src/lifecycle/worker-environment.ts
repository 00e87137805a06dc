/**
 * The `env` of a worker's service spec: the variables its config passes from the supervisor's environment
 * (`passEnv`), then its own `env` (placeholders filled), then the names of its secret entries in `HERO_SECRET_ENV`,
 * so that the worker can keep those from the scripts it runs (src/worker/script-env.ts). The base (PATH, HOME...)
 * is the backend's: the embedded one adds it, Zinit gives its own.
 */
import { pickEnv } from '../process/base-environment.js';
import { SECRET_ENV_NAMES_VARIABLE } from '../worker/script-env.js';
import type { WorkerConfig } from './worker-config.js';

export function workerEnvironment(
  config: WorkerConfig,
  fill: (value: string) => string,
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = pickEnv(config.passEnv, source);
  for (const [key, value] of Object.entries(config.env)) env[key] = fill(value);
  const secretNames = [...config.secretEnvKeys].sort();
  if (secretNames.length > 0) env[SECRET_ENV_NAMES_VARIABLE] = secretNames.join(',');
  return env;
}
