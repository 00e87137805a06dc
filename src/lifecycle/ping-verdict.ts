/**
 * Whose fault a ping's outcome is: the one place that decides. Pure: the facts (the outcome, whether Redis answers,
 * how long the worker has been up...) are gathered by the caller. The worker machine counts only `worker-fault`;
 * every other failure reaches it as `transport-down`, never counted. Finding F6 in test/faults/README.md.
 */
import type { PingOutcome } from '../../machines/worker.events.js';

/**
 * A freshly (re)started hero-worker loads Node, connects to Redis and starts its BullMQ consumers before it can
 * answer a ping: about 1 s on an idle machine, more on a loaded one. Until it has answered its first ping, or
 * `pingTimeoutMs` + this allowance after it became running (whichever comes first), a failed ping is not counted:
 * chosen so a worker that never answers is still restarted, only a few seconds later.
 */
export const WORKER_STARTUP_ALLOWANCE_MS = 3_000;

/**
 * The longest reconnect backoff of a hero-worker's Redis connections (RETRY_MAX_DELAY_MS in
 * src/transport/redis-connection.ts). After the supervisor's own connection is ready again, the workers may wait
 * this long, twice (BullMQ re-creates its blocking connection after the first), before they can answer: so for
 * `pingTimeoutMs` + 2 × this, a failed ping is the transport's, not the worker's.
 */
export const WORKER_RECONNECT_MAX_DELAY_MS = 1_000;

export interface PingFacts {
  /** What the ping port returned. */
  outcome: PingOutcome;
  timeoutMs: number;
  /** Whether Redis answered a probe after the ping failed (undefined when the ping did not fail). */
  redisReachable: boolean | undefined;
  /** Clock ms since the supervisor's own Redis connection became ready again after a loss; null if it never did. */
  sinceRedisRestoredMs: number | null;
  /** Clock ms since the pinged process became running; null when unknown. */
  upForMs: number | null;
  /** This process (the same `upSince`) answered a ping before. */
  answeredBefore: boolean;
}

export type PingVerdictKind = 'ok' | 'worker-fault' | 'transport-fault' | 'reconnect-grace' | 'startup-grace';

export interface PingVerdict {
  kind: PingVerdictKind;
  /** The outcome the worker machine acts on. */
  outcome: PingOutcome;
}

/** True while a failed ping is still within the reconnect grace of the supervisor's own Redis connection. */
export function isWithinReconnectGrace(sinceRedisRestoredMs: number | null, pingTimeoutMs: number): boolean {
  return sinceRedisRestoredMs !== null && sinceRedisRestoredMs < pingTimeoutMs + 2 * WORKER_RECONNECT_MAX_DELAY_MS;
}

export function judgePing(facts: PingFacts): PingVerdict {
  const { outcome } = facts;
  if (outcome.type === 'ok') return { kind: 'ok', outcome };
  if (outcome.type === 'transport-down') return { kind: 'transport-fault', outcome };
  // A ping can time out because Redis went away mid-ping: that is not the worker's fault.
  if (facts.redisReachable === false) {
    return {
      kind: 'transport-fault',
      outcome: { type: 'transport-down', reason: `Redis unreachable after a ping ${outcome.type}` },
    };
  }
  if (isWithinReconnectGrace(facts.sinceRedisRestoredMs, facts.timeoutMs)) {
    return {
      kind: 'reconnect-grace',
      outcome: {
        type: 'transport-down',
        reason: `Redis just reconnected, workers may still be reconnecting (${outcome.type})`,
      },
    };
  }
  if (
    !facts.answeredBefore &&
    facts.upForMs !== null &&
    facts.upForMs < facts.timeoutMs + WORKER_STARTUP_ALLOWANCE_MS
  ) {
    return {
      kind: 'startup-grace',
      outcome: {
        type: 'transport-down',
        reason: `worker up for ${facts.upForMs} ms has not answered a ping yet: not counted during its startup (${outcome.type})`,
      },
    };
  }
  // timeout, failed, invalid-reply: the worker's fault.
  return { kind: 'worker-fault', outcome };
}
