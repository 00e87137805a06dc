/**
 * Fleet membership in Redis: each member writes its record (capacity, workers and their states) and pushes its
 * expiry forward (Redis time + TTL) with every heartbeat; a member whose expiry passed is pruned by the next read
 * and is gone from the fleet. Times are Redis's (`TIME`), never a host's clock.
 */
import type { FleetKeys } from './fleet-keys.js';
import { evalScript, type FleetRedis, REDIS_NOW_LUA } from './redis-client.js';

/** One worker as its member reports it. */
export interface MemberWorker {
  /** The worker's fleet-wide id (`hostA.python_worker_0`). */
  id: string;
  /** Its name on its host (`python_worker_0`). */
  name: string;
  scriptType: string;
  state: string;
  pid: number | null;
}

/** What a member publishes with each heartbeat. */
export interface MemberRecord {
  hostId: string;
  pid: number;
  /** Epoch ms (the member's clock; for display). */
  startedAt: number;
  /** Workers it may run per script type: its own `max`. */
  capacity: Record<string, number>;
  /** Running and starting workers per script type (what counts toward the fleet's max). */
  running: Record<string, number>;
  /** Workers on their way out per script type. */
  stopping: Record<string, number>;
  workers: MemberWorker[];
  /** The admin endpoint, when it listens on TCP (for display). */
  adminEndpoint?: string;
}

export interface LiveMember {
  record: MemberRecord;
  /** Redis time (ms) at which its heartbeat lapses. */
  expiresAt: number;
}

export interface MembershipView {
  /** Redis time (ms) of the read. */
  now: number;
  members: LiveMember[];
  /** Host ids pruned by this read (their heartbeat had lapsed). */
  pruned: string[];
}

const HEARTBEAT_LUA = `${REDIS_NOW_LUA}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return now`;

const READ_LUA = `${REDIS_NOW_LUA}
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, host in ipairs(gone) do
  redis.call('HDEL', KEYS[1], host)
  redis.call('ZREM', KEYS[2], host)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
local records = {}
for i = 1, #live, 2 do
  records[#records + 1] = live[i]
  records[#records + 1] = live[i + 1]
  records[#records + 1] = redis.call('HGET', KEYS[1], live[i]) or ''
end
return {now, gone, records}`;

const LEAVE_LUA = `redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])`;

export class Membership {
  constructor(
    private readonly redis: FleetRedis,
    private readonly keys: FleetKeys,
  ) {}

  /** Writes the record and extends the member's life to Redis time + `ttlMs`; resolves with Redis time. */
  async heartbeat(record: MemberRecord, ttlMs: number): Promise<number> {
    const now = await evalScript(
      this.redis,
      HEARTBEAT_LUA,
      [this.keys.members, this.keys.alive],
      [record.hostId, JSON.stringify(record), Math.max(1, Math.round(ttlMs))],
    );
    return Number(now);
  }

  /** The live members, sorted by host id; members whose heartbeat lapsed are removed on the way. */
  async read(): Promise<MembershipView> {
    const raw = (await evalScript(this.redis, READ_LUA, [this.keys.members, this.keys.alive], [])) as [
      number,
      string[],
      string[],
    ];
    const [now, pruned, flat] = raw;
    const members: LiveMember[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const text = flat[i + 2];
      if (text === undefined || text === '') continue;
      try {
        const record = JSON.parse(text) as MemberRecord;
        members.push({ record, expiresAt: Number(flat[i + 1]) });
      } catch {
        // A record that is not JSON was not written by a member: not a member.
      }
    }
    members.sort((a, b) => (a.record.hostId < b.record.hostId ? -1 : a.record.hostId > b.record.hostId ? 1 : 0));
    return { now: Number(now), members, pruned };
  }

  /** A member that stops leaves at once, so that the others take its share without waiting for the TTL. */
  async leave(hostId: string): Promise<void> {
    await evalScript(this.redis, LEAVE_LUA, [this.keys.members, this.keys.alive], [hostId]);
  }
}
