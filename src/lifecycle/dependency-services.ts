/**
 * Dependency services (e.g. a managed `redis`): started in order before any worker, each awaited until it runs,
 * and stopped in reverse order at shutdown. These are the supervisor machine's `startDependencies` and
 * `stopDependencies` actors.
 */
import type { Logger } from 'pino';
import { fromPromise } from 'xstate';
import type { DependenciesInput } from '../../machines/supervisor.machine.js';
import { ConfigError, WorkerStartFailedError } from '../errors.js';
import type { ProcessManager, ServiceSpec, ServiceState } from '../process/process-manager.js';
import { type Clock, sleepOn, systemClock } from './clock.js';

/** How often a starting dependency's status is read; its start is rare, so a short interval costs nothing. */
const STATUS_POLL_INTERVAL_MS = 50;

const RUNNING: ReadonlySet<ServiceState> = new Set(['running', 'success']);
const BROKEN: ReadonlySet<ServiceState> = new Set(['error', 'failure', 'test-failure']);

export interface DependencyDeps {
  processes: () => ProcessManager;
  services: ReadonlyMap<string, ServiceSpec>;
  /** Services found running at start (adopted): neither declared again nor started. */
  adopted: ReadonlySet<string>;
  startTimeoutMs: number;
  logger: Logger;
  /** Deadlines and polls run on it. @defaultValue the system clock */
  clock?: Clock;
  /** Runs once every dependency runs (e.g. connecting to a Redis that is itself a dependency). */
  afterStart(): Promise<void>;
  /** A failed start fails the supervisor's start; the owner keeps the typed error to reject with. */
  onStartError(error: Error): void;
  /** A failed stop is reported, and the next service is stopped anyway. */
  onStopError(name: string, error: Error): void;
}

/** Orders services so that each comes after the ones in its `after` that are services too (stable otherwise). */
export function orderServices(services: readonly ServiceSpec[]): string[] {
  const byName = new Map(services.map((spec) => [spec.name, spec]));
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, path: readonly string[]) => {
    if (ordered.includes(name)) return;
    if (visiting.has(name)) {
      throw new ConfigError(`Services depend on each other in a cycle: ${[...path, name].join(' → ')}.`, [
        { path: `services.${name}.after`, message: 'dependency cycle' },
      ]);
    }
    visiting.add(name);
    for (const dependency of byName.get(name)?.after ?? []) {
      if (byName.has(dependency)) visit(dependency, [...path, name]);
    }
    visiting.delete(name);
    ordered.push(name);
  };
  for (const spec of services) visit(spec.name, []);
  return ordered;
}

async function waitUntilRunning(
  processes: ProcessManager,
  name: string,
  timeoutMs: number,
  clock: Clock,
): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const status = await processes.status(name);
    if (RUNNING.has(status.state)) return;
    if (BROKEN.has(status.state)) {
      throw new WorkerStartFailedError(name, status.reason ?? `dependency service is in state ${status.state}`);
    }
    if (clock.now() > deadline) {
      throw new WorkerStartFailedError(name, `dependency service not running after ${timeoutMs} ms (${status.state})`);
    }
    await sleepOn(clock, STATUS_POLL_INTERVAL_MS);
  }
}

export function createDependencyActors(deps: DependencyDeps) {
  const startInOrder = async (processes: ProcessManager, names: readonly string[]) => {
    for (const name of names) {
      if (deps.adopted.has(name)) {
        deps.logger.info({ service: name }, 'dependency already running: adopted');
        continue;
      }
      const spec = deps.services.get(name);
      if (spec === undefined) throw new WorkerStartFailedError(name, 'unknown dependency service');
      deps.logger.info({ service: name }, 'starting dependency');
      await processes.ensureService(spec);
      await processes.start(name);
      await waitUntilRunning(processes, name, deps.startTimeoutMs, deps.clock ?? systemClock);
      deps.logger.info({ service: name }, 'dependency running');
    }
  };
  return {
    startDependencies: fromPromise<void, DependenciesInput>(async ({ input }) => {
      const processes = deps.processes();
      try {
        await startInOrder(processes, input.names);
        await deps.afterStart();
      } catch (error) {
        deps.onStartError(error as Error);
        throw error;
      }
    }),

    stopDependencies: fromPromise<void, DependenciesInput>(async ({ input }) => {
      const processes = deps.processes();
      for (const name of input.names) {
        try {
          deps.logger.info({ service: name }, 'stopping dependency');
          await processes.stop(name);
        } catch (error) {
          deps.onStopError(name, error as Error);
        }
      }
    }),
  };
}
