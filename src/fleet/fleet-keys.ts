/**
 * The Redis keys of the fleet, all under the key prefix: with a hash-tag prefix (`{hero}`) they share one Redis
 * Cluster slot, which the scripts that touch several of them need.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<prefix>:fleet:members` | hash | host id → its latest heartbeat record (JSON) |
 * | `<prefix>:fleet:alive` | sorted set | host id, scored by when its heartbeat lapses (Redis time, ms) |
 * | `<prefix>:fleet:desired` | hash | script type → the fleet's desired count |
 * | `<prefix>:fleet:assignments` | hash | script type → `{ token, desired, shares: { host: n } }` (JSON) |
 * | `<prefix>:fleet:lease` | string | `<hostId>|<token>` of the coordinator, with a TTL |
 * | `<prefix>:fleet:lease-token` | counter | the last fencing token handed out |
 */
export interface FleetKeys {
  members: string;
  alive: string;
  desired: string;
  assignments: string;
  lease: string;
  leaseToken: string;
}

export function fleetKeys(prefix: string): FleetKeys {
  const base = `${prefix}:fleet`;
  return {
    members: `${base}:members`,
    alive: `${base}:alive`,
    desired: `${base}:desired`,
    assignments: `${base}:assignments`,
    lease: `${base}:lease`,
    leaseToken: `${base}:lease-token`,
  };
}
