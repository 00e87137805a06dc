/**
 * The one port a worker is pinged through. The job client (`Supervisor`) and the transport's `PingClient` both
 * implement it as they are, so a ping goes from the worker actor's effect straight to Redis; whose fault a failure
 * is, is then decided by the pure verdict (ping-verdict.ts).
 */
import type { PingOutcome } from '../../machines/worker.events.js';

export interface PingPort {
  /** Sends one ping and resolves with its outcome (`transport-down` when Redis is not there); never rejects. */
  pingWorker(workerId: string, options?: { timeoutMs?: number }): Promise<PingOutcome>;
}
