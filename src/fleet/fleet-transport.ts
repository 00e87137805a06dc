/**
 * The lifecycle manager of a fleet member knows its workers by their local names (`python_worker_0`); on the
 * wire they are `<hostId>.python_worker_0` (identity.ts). This port, given to the builder as its supervisor
 * (`withSupervisor`), translates: a ping goes to the qualified id's control queue (and its reply comes back on this
 * member's own reply channel), and only this host's job activity reaches the manager, under the local name.
 */
import type { PingOutcome } from '../../machines/worker.events.js';
import type { SupervisorPort } from '../lifecycle/worker-lifecycle-manager-builder.js';
import type { JobActivityStream } from '../transport/job-activity.js';
import type { PingClient } from '../transport/ping-client.js';
import type { JobActivity } from '../transport/wire-protocol.js';
import { fleetWorkerId, localWorkerName } from './identity.js';

export interface FleetTransportParts {
  hostId: string;
  pings: PingClient;
  activity: JobActivityStream;
  /** The Redis URL without its password (`redis://user:***@host`). */
  redisDisplay: string;
}

export function fleetSupervisorPort({ hostId, pings, activity, redisDisplay }: FleetTransportParts): SupervisorPort {
  return {
    prefix: pings.prefix,
    redisDisplay,
    pingWorker: (workerId: string, options?: { timeoutMs?: number }): Promise<PingOutcome> =>
      pings.ping(fleetWorkerId(hostId, workerId), options),
    onJobActivity: (listener: (activity: JobActivity) => void) =>
      activity.subscribe((event) => {
        const name = localWorkerName(hostId, event.workerId);
        if (name !== undefined) listener({ ...event, workerId: name });
      }),
    jobActivityReady: () => activity.ready(),
  };
}
