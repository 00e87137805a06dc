/**
 * The `fleet` section of the config file: present means this supervisor is one member of a fleet on its Redis and
 * key prefix; absent means a single supervisor, exactly as before.
 *
 * ```yaml
 * fleet:
 *   hostId: hostA          # default: the hostname
 *   heartbeatMs: 1s        # one round: heartbeat, lease, coordinator step, own share
 *   ttlMs: 3s              # a member (and the lease) silent this long is gone
 *   scriptTypes:
 *     python: { min: 1, max: 6 }   # the fleet's bounds; default min: the type's min, max: what the members can run
 * ```
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../config/duration.js';

const DURATION_EXPECTED =
  'expected a duration greater than 0: milliseconds as an integer, or a string such as `500ms`, `3s`';
const positiveDuration = z
  .union([
    z.number({ error: DURATION_EXPECTED }).int({ error: DURATION_EXPECTED }).positive({ error: DURATION_EXPECTED }),
    z.string({ error: DURATION_EXPECTED }).regex(new RegExp(DURATION_PATTERN), { error: DURATION_EXPECTED }),
  ])
  .transform((value) => parseDuration(value) as number)
  .refine((ms) => ms > 0, { error: DURATION_EXPECTED });

export const DEFAULT_FLEET_HEARTBEAT_MS = 1_000;
export const DEFAULT_FLEET_TTL_MS = 3_000;

const fleetTypeSchema = z.strictObject({
  min: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta({ description: "The fleet's fewest workers. Default: the type's `min`." }),
  max: z
    .number()
    .int()
    .positive()
    .optional()
    .meta({ description: "The fleet's most workers. Default: the sum of the live members' `max`." }),
});

export const fleetConfigSchema = z
  .strictObject({
    hostId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
        error: 'expected 1-63 letters, digits, `_`, `.` or `-`, starting with a letter or digit',
      })
      .optional()
      .meta({ description: 'This member in the fleet, and the prefix of its worker ids. Default: the hostname.' }),
    heartbeatMs: positiveDuration
      .default(DEFAULT_FLEET_HEARTBEAT_MS)
      .meta({ description: 'One fleet round: heartbeat, lease, coordinator step, own share (a duration)' }),
    ttlMs: positiveDuration.default(DEFAULT_FLEET_TTL_MS).meta({
      description:
        'A member (and the coordinator lease) silent this long is gone; at least 2 × heartbeatMs (a duration)',
    }),
    scriptTypes: z.record(z.string(), fleetTypeSchema).default({}),
  })
  .refine((fleet) => fleet.ttlMs >= 2 * fleet.heartbeatMs, {
    error: 'expected `ttlMs` to be at least twice `heartbeatMs`: one late heartbeat must not drop a member',
  });

export type FleetConfig = z.output<typeof fleetConfigSchema>;
