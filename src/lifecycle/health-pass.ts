/**
 * One health pass (`monitorWorkerHealth()`): every idle worker's actor is sent PING and pings its worker at once
 * (a failure counts toward its restart like a timed ping). Each result is the one the actor itself reports: the
 * pass waits until the actor finished that ping and left `pinging`, so a next PING finds it idle again.
 */
import type { Logger } from 'pino';
import type { PingOutcome } from '../../machines/worker.events.js';
import type { Clock } from './clock.js';
import type { ConditionWaits } from './condition-waits.js';
import type { HealthReport } from './lifecycle-transport.js';
import type { PingPort } from './worker-effects.js';
import type { WorkerEntry, WorkerRegistry } from './worker-registry.js';

/** Beyond the ping timeout: the reachability probe of a failed ping and the actor's step. */
const REPORT_MARGIN_MS = 5_000;

export interface HealthPassDeps {
  registry: WorkerRegistry;
  waits: ConditionWaits;
  clock: Clock;
  pings: PingPort;
  logger: Logger;
}

export function runHealthPass(deps: HealthPassDeps): Promise<HealthReport[]> {
  const idle = deps.registry.liveEntries().filter((entry) => entry.state === 'idle');
  return Promise.all(
    idle.map(async (entry) => {
      const outcome = await pingThroughActor(deps, entry);
      const level = outcome.type === 'ok' ? 'info' : 'warn';
      deps.logger[level](
        { worker: entry.name, scriptType: entry.scriptType, outcome: outcome.type },
        'health check ping',
      );
      return { worker: entry.name, outcome };
    }),
  );
}

async function pingThroughActor(deps: HealthPassDeps, entry: WorkerEntry): Promise<PingOutcome> {
  const before = entry.pings;
  const timeoutMs = (entry.ref.getSnapshot() as { context: { settings: { pingTimeoutMs: number } } }).context.settings
    .pingTimeoutMs;
  entry.ref.send({ type: 'PING', at: deps.clock.now() });
  // The actor left idle meanwhile (a job arrived, it stopped...): it did not ping; ping directly, uncounted.
  if (entry.state !== 'pinging') {
    return deps.pings
      .pingWorker(entry.name, { timeoutMs })
      .catch((error: Error) => ({ type: 'failed', reason: error.message }));
  }
  try {
    await deps.waits.until(
      () => entry.pings > before && entry.state !== 'pinging',
      `the ping of ${entry.name}`,
      timeoutMs + REPORT_MARGIN_MS,
    );
  } catch (error) {
    return { type: 'failed', reason: (error as Error).message };
  }
  return entry.lastPing ?? { type: 'failed', reason: 'no ping reported' };
}
