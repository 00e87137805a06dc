/**
 * The checks `run` makes of a loaded config before it starts anything, without a running system (no Redis, no
 * process spawned), so that `validate` says valid only for a config `run` accepts and `run` refuses at once, exit 2,
 * what would otherwise fail at every start:
 *
 * - each worker and service as the lifecycle manager builds it (WorkerConfig, the service spec the process manager
 *   checks: NUL bytes, stop timeout within its range, user and group names that exist);
 * - the worker settings, through the same builder calls `run` makes;
 * - the programs: missing, a directory, or not executable (embedded backend: with Zinit they run in Zinit's world);
 * - `binary: hero-worker`: a script type it knows, and an interpreter (built in for python, else `--interpreter`).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { pino } from 'pino';
import type { ConfigIssue } from '../config/config-issues.js';
import type { SupervisorConfig } from '../config/config-types.js';
import { configSecrets } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { isScriptType, SCRIPT_TYPES } from '../jobs/script-type.js';
import { toServiceSpec } from '../lifecycle/worker-template.js';
import { Redactor } from '../log/redact.js';
import { baseEnvironment } from '../process/base-environment.js';
import type { ProcessManager } from '../process/process-manager.js';
import { validateServiceSpec } from '../process/validate-spec.js';
import { DEFAULT_INTERPRETERS } from '../worker/script-runner.js';
import { buildLifecycle, serviceSpecOf, templateFor } from './build-lifecycle.js';
import { BUNDLED_WORKER_NAME, bundledWorkerPath } from './hero-worker-binary.js';

/** Why `command` cannot be run as a program, as spawn would find it (on the base PATH workers get), or undefined. */
export async function programProblem(
  command: string,
  path = baseEnvironment().PATH ?? '',
): Promise<string | undefined> {
  const describe = async (file: string): Promise<string | undefined> => {
    try {
      const info = await stat(file);
      if (info.isDirectory()) return `${file} is a directory, not a program`;
      if (!info.isFile()) return `${file} is not a regular file`;
      await access(file, constants.X_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return `${file} does not exist`;
      if (code === 'EACCES') return `${file} is not executable (chmod +x it)`;
      return `${file}: ${code ?? (error as Error).message}`;
    }
  };
  if (command.includes('/')) return describe(command);
  let firstProblem: string | undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const problem = await describe(join(dir, command));
    if (problem === undefined) return undefined;
    if (firstProblem === undefined && !problem.endsWith('does not exist')) firstProblem = problem;
  }
  return firstProblem ?? `\`${command}\` was not found on the PATH workers get`;
}

/** The bundled worker is a script run by this Node.js: it must be there and readable. */
async function bundledWorkerProblem(): Promise<string | undefined> {
  const file = bundledWorkerPath();
  try {
    await access(file, constants.R_OK);
    return undefined;
  } catch {
    return `${file} is missing or unreadable: build hero-supervisor (npm run build)`;
  }
}

/** The field of a service spec as a config path. */
function specFieldPath(base: string, field: string): string {
  if (field.startsWith('command')) return `${base}.${base.startsWith('services') ? 'command' : 'args'}`;
  if (field.startsWith('healthCheck')) return `${base}.healthCheck`;
  return `${base}.${field.replace(/\[\d+\]$/, '')}`;
}

/** hero-worker's own rules for a script type: one it knows, with an interpreter. */
function heroWorkerIssues(name: string, args: readonly string[] | undefined): ConfigIssue[] {
  if (!isScriptType(name)) {
    return [
      {
        path: `scriptTypes.${name}`,
        message: `\`binary: hero-worker\` runs the script types ${SCRIPT_TYPES.join(', ')}; "${name}" is none of them. Rename the script type, or give its own worker program as \`binary\``,
      },
    ];
  }
  const hasInterpreter = (args ?? []).some((arg) => arg === '--interpreter' || arg.startsWith('--interpreter='));
  if (DEFAULT_INTERPRETERS[name] === undefined && !hasInterpreter) {
    return [
      {
        path: `scriptTypes.${name}.args`,
        message: `hero-worker has no built-in interpreter for "${name}" (only for ${Object.keys(DEFAULT_INTERPRETERS).join(', ')}): add \`args: [--interpreter, "<command>"]\`, e.g. \`[--interpreter, "v run"]\``,
      },
    ];
  }
  return [];
}

/** Not used: building the lifecycle manager only records its process manager. */
const NO_PROCESS_MANAGER = new Proxy(
  {},
  {
    get(_, property) {
      throw new Error(`preflight does not run processes (process manager \`${String(property)}\` was read)`);
    },
  },
) as ProcessManager;

/** Every problem `run` would meet with this config before or at the start of its workers; empty when none. */
export async function preflightIssues(config: SupervisorConfig): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const redactor = new Redactor(configSecrets(config));
  const add = (path: string, error: unknown) =>
    issues.push({ path, message: redactor.redact(error instanceof Error ? error.message : String(error)) });
  const checkPrograms = config.processManager.type === 'embedded';

  for (const [name, type] of Object.entries(config.scriptTypes)) {
    const base = `scriptTypes.${name}`;
    if (type.binary === BUNDLED_WORKER_NAME) issues.push(...heroWorkerIssues(name, type.args));
    if (checkPrograms) {
      const problem =
        type.binary === BUNDLED_WORKER_NAME ? await bundledWorkerProblem() : await programProblem(type.binary);
      if (problem !== undefined) issues.push({ path: `${base}.binary`, message: `cannot run the worker: ${problem}` });
    }
    try {
      const template = await templateFor(config, name);
      const values = { workerId: `${name}_worker_0`, redisUrl: config.redis.url, scriptType: name };
      try {
        validateServiceSpec(toServiceSpec(template, values, { stopTimeoutMs: type.stopTimeoutMs }));
      } catch (error) {
        add(specFieldPath(base, (error as { field?: string }).field ?? ''), error);
      }
    } catch (error) {
      // A ConfigError of the user/group lookup already names its own path.
      const own = error instanceof ConfigError && error.issues.length === 1 ? error.issues[0] : undefined;
      if (own?.path.startsWith(base)) {
        const message = (error as Error).message.replace(`${own.path}: `, '');
        issues.push({ path: own.path, message: redactor.redact(message) });
      } else add(base, error);
    }
  }
  for (const [name, service] of Object.entries(config.services)) {
    const base = `services.${name}`;
    try {
      validateServiceSpec(serviceSpecOf(config, name));
    } catch (error) {
      add(specFieldPath(base, (error as { field?: string }).field ?? ''), error);
    }
    const program = service.command[0];
    if (checkPrograms && program !== undefined) {
      const problem = await programProblem(program);
      if (problem !== undefined)
        issues.push({ path: `${base}.command`, message: `cannot run the service: ${problem}` });
    }
  }
  if (issues.length === 0) {
    // The settings and timings, checked by the same builder calls `run` makes (nothing is built or started).
    try {
      await buildLifecycle({
        config,
        processManager: NO_PROCESS_MANAGER,
        workerRedisUrl: config.redis.url,
        logger: pino({ level: 'silent' }),
      });
    } catch (error) {
      add('(settings)', error);
    }
  }
  return issues;
}
