/**
 * Redis calls bounded by a caller's deadline, on a connection that does not queue commands while Redis is away
 * (`COMMAND_CONNECTION_OVERRIDES`). The shared connection has `maxRetriesPerRequest: null` (BullMQ's blocking
 * connections need it), so a command sent while Redis is down waits in ioredis' offline queue until Redis returns,
 * however long that is, and is sent then even if its caller gave up: a caller cannot tell "slow" from "Redis gone",
 * and cannot know whether its job was enqueued. Here a call waits for the connection to be ready (up to the deadline),
 * runs, and is tried again after a lost connection while time remains; the result says whether any attempt may have
 * reached Redis. Only idempotent calls belong here (a BullMQ `add` with a fixed job id is one: a duplicate id is
 * ignored).
 */
import { type Redis, type RedisOptions, ReplyError } from 'ioredis';
import { withinMs } from '../within-ms.js';

/**
 * For a connection used with `callWithinDeadline`: a command is refused at once while the connection is not ready
 * (never queued for later), and one in flight when the connection drops is failed at the first reconnect attempt
 * (never re-sent by ioredis behind its caller's back: the caller decides whether to try again).
 */
export const COMMAND_CONNECTION_OVERRIDES = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
} as const satisfies RedisOptions;

/** After a failure on a connection that still says `ready` (it has not noticed the loss yet), wait this long. */
const RETRY_PAUSE_MS = 50;

export type DeadlineOutcome<T> =
  | { type: 'ok'; value: T }
  /** `sent`: an attempt may have reached Redis (it was sent and its answer was lost or late). */
  | { type: 'unreachable'; sent: boolean; detail: string };

const readyWaits = new WeakMap<Redis, Promise<boolean>>();

/** One shared wait per connection and outage (not two listeners per caller): true on `ready`, false on `end`. */
function nextReady(connection: Redis): Promise<boolean> {
  let wait = readyWaits.get(connection);
  if (!wait) {
    wait = new Promise<boolean>((resolve) => {
      const finish = (ready: boolean) => {
        connection.off('ready', onReady);
        connection.off('end', onEnd);
        readyWaits.delete(connection);
        resolve(ready);
      };
      const onReady = () => finish(true);
      const onEnd = () => finish(false);
      connection.on('ready', onReady);
      connection.on('end', onEnd);
    });
    readyWaits.set(connection, wait);
  }
  return wait;
}

/** True once the connection is ready; false at the deadline, or at once if it was closed for good. */
export async function waitForReady(connection: Redis, deadline: number): Promise<boolean> {
  if (connection.status === 'ready') return true;
  if (connection.status === 'end') return false;
  if (connection.status === 'wait') connection.connect().catch(() => {});
  return (await withinMs(nextReady(connection), deadline - performance.now())) === true;
}

/** A failure of the connection (the answer was lost), not an answer from Redis or an error of the caller's. */
function isConnectionFailure(error: unknown, connection: Redis): boolean {
  if (error instanceof ReplyError) return false;
  const message = error instanceof Error ? error.message : String(error);
  return (
    connection.status !== 'ready' ||
    /Stream isn't writeable|Connection is closed|max retries per request|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/i.test(
      message,
    )
  );
}

/** "Not writeable": refused by ioredis before anything was sent. */
function wasNotSent(error: unknown): boolean {
  return error instanceof Error && /Stream isn't writeable/.test(error.message);
}

/**
 * Runs `call` once the connection is ready and before `deadline` (a `performance.now()` time), again after each lost
 * connection while time remains. Rethrows what is not a connection failure (a Redis error reply, a bug).
 */
export async function callWithinDeadline<T>(
  connection: Redis,
  deadline: number,
  call: () => Promise<T>,
): Promise<DeadlineOutcome<T>> {
  let sent = false;
  let detail = '';
  for (;;) {
    if (!(await waitForReady(connection, deadline))) {
      return {
        type: 'unreachable',
        sent,
        detail: detail || `connection ${connection.status === 'end' ? 'closed' : connection.status}`,
      };
    }
    const remaining = deadline - performance.now();
    if (remaining <= 0) return { type: 'unreachable', sent, detail: detail || 'no time left' };
    const attempt = call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const settled = await withinMs(attempt, remaining);
    if (settled === undefined) {
      return { type: 'unreachable', sent: true, detail: `no answer within ${Math.round(remaining)} ms` };
    }
    if ('value' in settled) return { type: 'ok', value: settled.value };
    if (!isConnectionFailure(settled.error, connection)) throw settled.error;
    // Refused before sending says nothing the connection's status does not say better.
    if (!wasNotSent(settled.error)) {
      sent = true;
      detail = settled.error instanceof Error ? settled.error.message : String(settled.error);
    }
    if (connection.status === 'ready') {
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_PAUSE_MS, Math.max(0, remaining))));
    }
  }
}
