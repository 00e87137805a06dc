/**
 * One job per id. BullMQ ignores an `add` whose id exists (it returns the existing job), so a second job sent with a
 * used id would silently get the first one's result. Before a job is stored or enqueued, its id is claimed with one
 * Lua script, atomic in Redis: of two concurrent senders exactly one gets the claim, the other is told the id is in
 * use. The claim's value is a token of the `Job` object, so sending the same `Job` again (after an unanswered send,
 * which may have reached Redis) is recognised as the same job and stays safe.
 *
 * The script also refuses an id whose job exists in any job queue or as a created job without a claim (a job sent by
 * a plain BullMQ producer, or whose claim expired while it waited for more than a day).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Job } from './job.js';

/** `claimed`: ours now; `mine`: this same Job claimed it before; `held`/`exists`: another job has the id. */
export type ClaimOutcome = 'claimed' | 'mine' | 'held' | 'exists';

// KEYS[1]: the claim key; KEYS[2..]: where a job with this id would be (each queue's job hash, the created key).
// ARGV[1]: the token; ARGV[2]: the claim's lifetime in seconds.
const CLAIM_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return 'mine' end
if holder then return 'held' end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 'exists' end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 'claimed'
`;

// Deletes the claim only if it is still ours (it may have expired and been taken since).
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const tokens = new WeakMap<Job, string>();

/** The claim token of a `Job` object: the same for every send of that object, different for any other job. */
export function claimToken(job: Job): string {
  let token = tokens.get(job);
  if (token === undefined) {
    token = randomUUID();
    tokens.set(job, token);
  }
  return token;
}

/** Gives a Job rebuilt from storage (`startJob(id)`) the token its creator claimed the id with. */
export function adoptClaimToken(job: Job, token: string): void {
  tokens.set(job, token);
}

export interface ClaimKeys {
  claim: string;
  /** Every key whose existence means a job with this id exists already. */
  existing: readonly string[];
}

export async function claimJobId(
  connection: Redis,
  keys: ClaimKeys,
  token: string,
  ttlSeconds: number,
): Promise<ClaimOutcome> {
  const outcome = await connection.eval(
    CLAIM_SCRIPT,
    1 + keys.existing.length,
    keys.claim,
    ...keys.existing,
    token,
    ttlSeconds,
  );
  if (outcome === 'claimed' || outcome === 'mine' || outcome === 'held' || outcome === 'exists') return outcome;
  throw new Error(`Unexpected answer of the job id claim script: ${String(outcome)}`);
}

/** Frees an id whose job was removed before it ran (its caller gave up on it), if the claim is still `token`'s. */
export async function releaseJobId(connection: Redis, claimKey: string, token: string): Promise<void> {
  await connection.eval(RELEASE_SCRIPT, 1, claimKey, token);
}
