/**
 * The coordinator lease: one key `<prefix>:fleet:lease` = `<hostId>|<token>` with a TTL, taken when absent (the
 * SET NX PX pattern, in a script so that the fencing token comes from the same atomic step), renewed by its holder
 * (PEXPIRE), and given up on stop. The token (INCR of `<prefix>:fleet:lease-token`) grows with every new holder;
 * every write of the coordinator is fenced: it happens only while the lease still holds that host and token, so a
 * paused former holder can never overwrite its successor's decisions.
 */
import type { FleetKeys } from './fleet-keys.js';
import { evalScript, type FleetRedis } from './redis-client.js';

export interface LeaseState {
  /** This host holds the lease now. */
  held: boolean;
  /** The holder's host id and fencing token; null when nobody holds it. */
  holder: string | null;
  token: number | null;
}

const ACQUIRE_OR_RENEW_LUA = `local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  local holder = string.sub(current, 1, sep - 1)
  local token = string.sub(current, sep + 1)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, holder, token}
  end
  return {0, holder, token}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'NX', 'PX', ARGV[2])
return {1, ARGV[1], tostring(token)}`;

const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** HSET of field/value pairs, only while the lease is `<hostId>|<token>`. */
const FENCED_HSET_LUA = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return 1`;

export class CoordinatorLease {
  constructor(
    private readonly redis: FleetRedis,
    private readonly keys: FleetKeys,
    private readonly hostId: string,
  ) {}

  /** Takes the lease when free, renews it when held; either way says who holds it. */
  async acquireOrRenew(ttlMs: number): Promise<LeaseState> {
    const [held, holder, token] = (await evalScript(
      this.redis,
      ACQUIRE_OR_RENEW_LUA,
      [this.keys.lease, this.keys.leaseToken],
      [this.hostId, Math.max(1, Math.round(ttlMs))],
    )) as [number, string, string];
    return { held: held === 1, holder, token: Number(token) };
  }

  /** Who holds the lease, without taking it. */
  async read(): Promise<Omit<LeaseState, 'held'> & { held: boolean }> {
    const current = await this.redis.get(this.keys.lease);
    if (current === null) return { held: false, holder: null, token: null };
    const sep = current.indexOf('|');
    const holder = current.slice(0, sep);
    return { held: holder === this.hostId, holder, token: Number(current.slice(sep + 1)) };
  }

  /** Gives the lease up if this host still holds it with `token`. */
  async release(token: number): Promise<void> {
    await evalScript(this.redis, RELEASE_LUA, [this.keys.lease], [`${this.hostId}|${token}`]);
  }

  /** Sets hash fields only while this host holds the lease with `token`; false when it no longer does. */
  async fencedHset(token: number, key: string, fields: Record<string, string>): Promise<boolean> {
    const pairs = Object.entries(fields).flat();
    if (pairs.length === 0) return true;
    const written = await evalScript(
      this.redis,
      FENCED_HSET_LUA,
      [this.keys.lease, key],
      [`${this.hostId}|${token}`, ...pairs],
    );
    return Number(written) === 1;
  }
}
