/**
 * The config file's one zod schema: strict objects (an unknown key is an error), defaults from `defaults.ts`,
 * durations normalized to milliseconds. `configSchema` validates the YAML as written; `load-config.ts` then
 * resolves environment references into a `SupervisorConfig`. The JSON Schema for editors is generated from it.
 */
import { z } from 'zod';
import { fleetConfigSchema } from '../fleet/fleet-config.js';
import { MAX_COUNT, MAX_DURATION_MS, MAX_DURATION_TEXT, MAX_WORKERS_PER_TYPE } from '../limits.js';
import { DEFAULTS } from './defaults.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';

/** Names that become process names: Zinit refuses `.`, `/` and `\`, and `_worker_<n>` is appended. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$';
const name = z.string().regex(new RegExp(NAME_PATTERN), {
  error: 'expected a name of letters, digits, `_` and `-` (at most 63, starting with a letter or digit)',
});
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'expected an environment variable name (letters, digits and `_`, not starting with a digit)',
});

/** The shortest admin token accepted, from the config or from the environment (`admin.tokenEnv`). */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

const DURATION_EXPECTED =
  'expected a duration: milliseconds as a non-negative integer, or a string such as `500ms`, `30s`, `10m`';
const duration = z
  .union(
    [
      z
        .number({ error: DURATION_EXPECTED })
        .int({ error: DURATION_EXPECTED })
        .nonnegative({ error: DURATION_EXPECTED }),
      z.string({ error: DURATION_EXPECTED }).regex(new RegExp(DURATION_PATTERN), { error: DURATION_EXPECTED }),
    ],
    { error: DURATION_EXPECTED },
  )
  .transform((value) => parseDuration(value) as number)
  .refine((ms) => ms <= MAX_DURATION_MS, { error: `expected at most ${MAX_DURATION_TEXT}` });
const positiveDuration = duration.refine((ms) => ms > 0, { error: 'expected a duration greater than 0' });

const DURATION_DESCRIPTION = 'Milliseconds, or a string with a unit: `500ms`, `30s`, `10m`, `1h`.';
/** A duration field with its default (`json-schema.ts` puts the default back into the JSON Schema). */
function durationField(
  defaultMs: number,
  schema: typeof duration | typeof positiveDuration = duration,
  description?: string,
) {
  return schema
    .default(defaultMs)
    .meta({ description: description === undefined ? DURATION_DESCRIPTION : `${description} (a duration)` });
}

/** argv: elements pass literally (an empty string is a valid argument); the program name must not be empty. */
const argv = z
  .array(z.string())
  .min(1, { error: 'expected at least 1 item (the program)' })
  .refine((items) => items[0] !== '', { error: 'expected the first item (the program) to be non-empty' });

/** An environment value: a plain string, or an object that may read it from the supervisor's environment and mark it secret. */
/** A process environment cannot hold a NUL byte: such a value would fail every start. */
const envString = z.string().refine((value) => !value.includes('\0'), {
  error: 'expected a value without NUL bytes (an environment variable cannot hold one)',
});
const envValue = z.union(
  [
    envString,
    z
      .strictObject({
        value: envString.optional().meta({ description: 'The literal value.' }),
        fromEnv: envName
          .optional()
          .meta({ description: "Read the value from this variable of the supervisor's environment." }),
        secret: z
          .boolean()
          .default(false)
          .meta({ description: 'Never shown in logs, status output, metrics or errors.' }),
      })
      .refine((entry) => (entry.value === undefined) !== (entry.fromEnv === undefined), {
        error: 'expected exactly one of `value` and `fromEnv`',
      }),
  ],
  { error: 'expected a string, or an object `{ value | fromEnv, secret }`' },
);
const envMap = z.record(envName, envValue);
/** Names of the supervisor's environment variables a process also gets, beyond its base (src/daemon/README.md). */
const passEnvList = z.array(envName);
const PASS_ENV_DESCRIPTION =
  "Variables of the supervisor's environment also given to every worker and service (beyond PATH, HOME, USER, LANG, TZ, TMPDIR...); never a secret.";

const tls = z.union([
  z.boolean(),
  z.strictObject({
    ca: z.string().optional().meta({ description: 'Path of a PEM file with the CA certificate(s) to trust.' }),
    cert: z.string().optional().meta({ description: 'Path of a PEM client certificate.' }),
    key: z.string().optional().meta({ description: 'Path of the PEM private key of `cert`.' }),
    servername: z.string().optional().meta({ description: 'Server name to verify (SNI).' }),
    rejectUnauthorized: z.boolean().default(true).meta({ description: 'Verify the server certificate.' }),
  }),
]);

const redisSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, { error: 'expected a redis:// or rediss:// URL' })
      .default(DEFAULTS.redis.url)
      .meta({ description: '`redis://host:port/db`; `rediss://` turns TLS on.' }),
    tls: tls.optional().meta({ description: '`true`, or CA/cert/key files. Implied by a `rediss://` URL.' }),
    username: z.string().min(1).optional().meta({ description: 'Redis ACL user.' }),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    password: z.string().optional().meta({ description: 'Secret. Prefer `passwordEnv` or `${REDIS_PASSWORD}`.' }),
    passwordEnv: envName.optional().meta({ description: 'Read the password from this environment variable.' }),
    keyPrefix: z
      .string()
      .regex(/^([A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/, {
        error: 'expected letters, digits, `_` and `-`, or such a name in braces (a Redis Cluster hash tag: `{hero}`)',
      })
      .default(DEFAULTS.redis.keyPrefix)
      .meta({ description: 'Prefix of every BullMQ key; `{hero}` (a hash tag) for a Redis Cluster.' }),
    cluster: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected `host:port`' }))
      .min(1)
      .optional()
      .meta({ description: 'Redis Cluster nodes (`host:port`); the key prefix must then be a hash tag (`{hero}`).' }),
  })
  .refine((redis) => redis.password === undefined || redis.passwordEnv === undefined, {
    error: 'expected at most one of `password` and `passwordEnv`',
  });

const processManagerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('embedded'),
    stateFile: z.string().min(1).optional().meta({
      description:
        'Where the running children are recorded, so that a supervisor restarted after a crash ends the orphans. Default: ~/.hero-supervisor/<admin endpoint>.children.json',
    }),
  }),
  z.strictObject({
    type: z.literal('zinit'),
    socketPath: z
      .string()
      .startsWith('/', { error: 'expected an absolute path' })
      .default(DEFAULTS.processManager.zinit.socketPath)
      .meta({ description: "Zinit's Unix socket (`/tmp/zinit.sock` for Zinit 0.2.15 and newer)." }),
    configDir: z
      .string()
      .startsWith('/', { error: 'expected an absolute path' })
      .default(DEFAULTS.processManager.zinit.configDir)
      .meta({ description: "Zinit's service directory (used by the legacy protocol)." }),
    pollIntervalMs: durationField(
      DEFAULTS.processManager.zinit.pollIntervalMs,
      positiveDuration,
      'One `list` of every service per interval',
    ),
  }),
]);

const autoscaleSchema = z.strictObject({
  enabled: z.boolean().default(DEFAULTS.autoscale.enabled).meta({ description: 'Scale from queue depth.' }),
  targetJobsPerWorker: z
    .number()
    .int()
    .min(1)
    .max(MAX_COUNT)
    .default(DEFAULTS.autoscale.targetJobsPerWorker)
    .meta({ description: 'Desired workers = ceil(queue depth / this), within min and max.' }),
  stabilizationWindowMs: durationField(
    DEFAULTS.autoscale.stabilizationWindowMs,
    duration,
    'Scale down only after the queue asked for fewer workers this long',
  ),
  cooldownMs: durationField(DEFAULTS.autoscale.cooldownMs, duration, 'No scale-down sooner than this after a scaling'),
  pollIntervalMs: durationField(DEFAULTS.autoscale.pollIntervalMs, positiveDuration, 'How often queue depth is read'),
});

const idSchema = z.union([z.string().min(1), z.number().int().min(0)]);

const scriptTypeSchema = z.strictObject({
  binary: z.string().min(1).meta({
    description: 'The worker program. `hero-worker` means the worker bundled with hero-supervisor.',
  }),
  args: z.array(z.string()).optional().meta({
    description:
      'argv after the binary; `{workerId}`, `{redisUrl}` and `{scriptType}` are filled per worker. For `hero-worker`, added after its standard arguments (e.g. `[--interpreter, "v run"]`).',
  }),
  env: envMap
    .default({})
    .meta({ description: 'Environment: `KEY: value`, or `KEY: { value | fromEnv, secret: true }`.' }),
  passEnv: passEnvList.default([]).meta({
    description: "Variables of the supervisor's environment these workers also get (added to the top-level `passEnv`).",
  }),
  healthCheck: argv.optional().meta({ description: 'argv of a check that exits 0 once the worker is healthy.' }),
  dependencies: z.array(name).default([]).meta({ description: 'Names of `services` that must run first.' }),
  min: z
    .number()
    .int()
    .min(0)
    .max(MAX_WORKERS_PER_TYPE)
    .default(DEFAULTS.scriptType.min)
    .meta({ description: 'Workers kept at least (0 allows scale to zero).' }),
  max: z
    .number()
    .int()
    .min(1)
    .max(MAX_WORKERS_PER_TYPE)
    .optional()
    .meta({ description: 'Defaults to `min` (at least 1).' }),
  maxMemoryMb: z
    .number()
    .positive()
    .optional()
    .meta({ description: 'Restart a worker whose memory stays above this.' }),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hexadecimal digits' })
    .optional()
    .meta({ description: "The binary's SHA-256, checked before every start." }),
  user: idSchema.optional().meta({ description: 'Run as this user (name or uid); embedded backend.' }),
  group: idSchema.optional().meta({ description: 'Run as this group (name or gid); embedded backend.' }),
  stopTimeoutMs: durationField(
    DEFAULTS.scriptType.stopTimeoutMs,
    duration,
    'A stopping worker may finish its job this long before SIGKILL',
  ),
  autoscale: autoscaleSchema.default(autoscaleSchema.parse({})),
});

const serviceSchema = z.strictObject({
  command: argv.meta({ description: 'argv of the service (no shell).' }),
  env: envMap.default({}).meta({ description: 'As `scriptTypes.<name>.env`.' }),
  passEnv: passEnvList.default([]).meta({ description: 'As `scriptTypes.<name>.passEnv`.' }),
  healthCheck: argv.optional().meta({ description: 'argv that exits 0 once the service is ready.' }),
  after: z.array(name).default([]).meta({ description: 'Services that must run first.' }),
  oneshot: z.boolean().default(DEFAULTS.service.oneshot).meta({ description: 'Runs once to completion.' }),
  stopTimeoutMs: durationField(DEFAULTS.service.stopTimeoutMs, duration, 'SIGTERM, then SIGKILL after this long'),
});

const healthSchema = z.strictObject({
  idleTimeoutMs: durationField(
    DEFAULTS.health.idleTimeoutMs,
    duration,
    'Without a job this long, a worker is idle and gets pinged',
  ),
  pingIntervalMs: durationField(
    DEFAULTS.health.pingIntervalMs,
    positiveDuration,
    'Between two pings of an idle worker',
  ),
  pingTimeoutMs: durationField(DEFAULTS.health.pingTimeoutMs, positiveDuration, 'A ping unanswered this long fails'),
  failureThreshold: z
    .number()
    .int()
    .min(1)
    .max(MAX_COUNT)
    .default(DEFAULTS.health.failureThreshold)
    .meta({ description: 'Consecutive failed pings that restart a worker.' }),
  startTimeoutMs: durationField(
    DEFAULTS.health.startTimeoutMs,
    positiveDuration,
    'A start that is not running by then fails',
  ),
});

const restartPolicySchema = z.strictObject({
  backoffBaseMs: durationField(
    DEFAULTS.restartPolicy.backoffBaseMs,
    duration,
    'Backoff before the n-th delayed restart: base × 2^(n-1), with jitter',
  ),
  backoffMaxMs: durationField(DEFAULTS.restartPolicy.backoffMaxMs, duration, 'Cap of one backoff'),
  resetBackoffAfterMs: durationField(
    DEFAULTS.restartPolicy.resetBackoffAfterMs,
    duration,
    'A worker up this long restarts at once after its next crash',
  ),
  maxRestarts: z
    .number()
    .int()
    .min(0)
    .max(MAX_COUNT)
    .default(DEFAULTS.restartPolicy.maxRestarts)
    .meta({ description: 'Restart intensity: more restarts than this within `windowMs` and the worker gives up.' }),
  windowMs: durationField(
    DEFAULTS.restartPolicy.windowMs,
    positiveDuration,
    'More than maxRestarts within this window: the worker gives up',
  ),
  giveUpCooldownMs: durationField(
    DEFAULTS.restartPolicy.giveUpCooldownMs,
    duration,
    'A worker that gave up tries again after this long',
  ),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const loggingSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default(DEFAULTS.logging.level),
  pretty: z.boolean().default(DEFAULTS.logging.pretty).meta({ description: 'Human-readable lines instead of JSON.' }),
});

const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().min(1).default(DEFAULTS.admin.host).meta({ description: 'Loopback by default.' }),
  port: z.number().int().min(0).max(65_535).default(DEFAULTS.admin.port),
  socketPath: z
    .string()
    .startsWith('/', { error: 'expected an absolute path' })
    .optional()
    .meta({ description: 'Listen on this Unix socket instead of TCP.' }),
  allowRemote: z.boolean().default(false).meta({
    description:
      'Allow a `host` other than loopback (the endpoint is then reachable from the network: put TLS in front). A warning is logged at start.',
  }),
  token: z
    .string()
    .min(MIN_ADMIN_TOKEN_LENGTH, { error: `expected a token of at least ${MIN_ADMIN_TOKEN_LENGTH} characters` })
    .optional()
    .meta({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
      description: 'Secret. Prefer `tokenEnv` or `${HERO_ADMIN_TOKEN}`.',
    }),
  tokenEnv: envName.default(DEFAULTS.admin.tokenEnv).meta({ description: 'Read the token from this variable.' }),
  tokenFile: z.string().min(1).optional().meta({
    description: 'Where a generated token is written (mode 0600) when none is set; the CLI reads it.',
  }),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
    redis: redisSchema.default(redisSchema.parse({})),
    processManager: processManagerSchema.default({ type: 'embedded' }),
    passEnv: passEnvList.default([]).meta({ description: PASS_ENV_DESCRIPTION }),
    scriptTypes: z.record(name, scriptTypeSchema).default({}),
    services: z.record(name, serviceSchema).default({}),
    health: healthSchema.default(healthSchema.parse({})),
    restartPolicy: restartPolicySchema.default(restartPolicySchema.parse({})),
    logging: loggingSchema.default(loggingSchema.parse({})),
    admin: adminSchema.default(adminSchema.parse({})),
    fleet: fleetConfigSchema
      .optional()
      .meta({ description: 'One member of a fleet of supervisors (src/fleet/README.md).' }),
  })
  .meta({ title: 'hero-supervisor configuration' });

/** The config as written, after validation and defaults (environment references not yet resolved). */
export type ParsedConfig = z.output<typeof configSchema>;
/** What a config file may contain (durations as strings, optional fields left out). */
export type ConfigInput = z.input<typeof configSchema>;
