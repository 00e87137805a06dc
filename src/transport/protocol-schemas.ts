/**
 * The wire protocol's messages as zod schemas: the one source of truth. The JSON Schemas a worker author in another
 * language reads (`protocolSchemas`, and the committed copies in `src/transport/schemas/`) are generated from these;
 * `protocol-check.ts` validates with them on both ends. PROTOCOL.md (next to this file) is the prose.
 *
 * What a receiver accepts, not what our producers add: unknown fields are allowed everywhere (a newer peer may add
 * some), and `env` may be missing from job data (it means `{}`).
 *
 * Not imported by `hero-worker` at start-up: loading zod costs ~50 ms, which would add to every restart's
 * spawn-to-ready time. The worker loads the checks once it answers pings (create-worker.ts).
 */
import { z } from 'zod';
import type { PingReply } from '../../machines/worker.events.js';
import { ENV_KEY_PATTERN } from '../env-key.js';
import type { JobActivity, JobData, JobResult, PingJobData, PingReplyMessage } from './wire-protocol.js';

/** The protocol's version: PROTOCOL.md and every JSON Schema's `$id` carry it. Bumped on an incompatible change. */
export const PROTOCOL_VERSION = '1.0.0';

const nonNegativeInteger = z.number().int().min(0);
const epochMs = nonNegativeInteger.describe('epoch milliseconds');

export const jobDataSchema = z
  .object({
    id: z.string().min(1).describe('uuid; also the BullMQ job id'),
    scriptType: z.string().min(1).describe('python, osis, sal, v...: also in the queue name jobs.<scriptType>'),
    script: z.string().describe("the script's source: written to the interpreter's stdin"),
    env: z
      .record(
        z.string().regex(ENV_KEY_PATTERN),
        z
          .string()
          // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what an env value must not hold
          .regex(/^[^\u0000]*$/)
          .describe('no NUL byte'),
      )
      .optional()
      .describe('extra environment variables for the script; missing means {}'),
    timeoutMs: z.number().int().positive().describe("kill the script's process group and fail the job after this"),
    callerId: z.string().optional(),
    contextId: z.string().optional(),
    createdAt: epochMs.optional().describe("the producer's clock"),
  })
  .loose()
  .describe('A script job: BullMQ job name `script` on queue jobs.<scriptType>');

export const jobResultSchema = z
  .object({
    stdout: z.string(),
    stderr: z.string(),
    exitCode: z.number().int(),
    workerId: z.string().min(1),
    durationMs: z.number().min(0),
  })
  .loose()
  .describe("A completed script job's BullMQ return value");

export const pingJobSchema = z
  .object({
    type: z.literal('ping'),
    sentAt: epochMs.describe("the sender's clock"),
    timeoutMs: z.number().int().positive().describe('ignore (fail) the ping when sentAt + timeoutMs < now'),
    replyChannel: z.string().min(1).optional().describe('also PUBLISH { jobId, reply } here'),
  })
  .loose()
  .describe('A ping: BullMQ job name `ping` on queue control.<workerId>');

export const pingReplySchema = z
  .object({
    workerId: z.string().min(1),
    pid: z.number().int().positive(),
    uptimeMs: z.number().min(0),
    jobsProcessed: nonNegativeInteger,
    activeJobs: nonNegativeInteger,
    version: z.string().min(1).describe("the worker's own version"),
  })
  .loose()
  .describe("A ping's BullMQ return value");

export const pingReplyMessageSchema = z
  .object({
    jobId: z.string().min(1).describe("the ping job's id"),
    reply: pingReplySchema,
  })
  .loose()
  .describe("What a worker PUBLISHes on a ping's replyChannel");

export const jobActivitySchema = z
  .object({
    workerId: z.string().min(1),
    jobId: z.string().min(1),
    phase: z.enum(['started', 'finished']),
    at: epochMs.describe("the worker's clock"),
    scriptType: z.string().optional(),
    outcome: z.enum(['completed', 'failed']).optional().describe('only on finished'),
  })
  .loose()
  .describe('What a worker PUBLISHes on <prefix>:activity when a job starts and when it finishes');

/** Every message, by the name its JSON Schema file has (`<name>.schema.json`). */
export const PROTOCOL_MESSAGES = {
  'job-data': jobDataSchema,
  'job-result': jobResultSchema,
  'ping-job': pingJobSchema,
  'ping-reply': pingReplySchema,
  'ping-reply-message': pingReplyMessageSchema,
  'job-activity': jobActivitySchema,
} as const;

export type ProtocolMessageName = keyof typeof PROTOCOL_MESSAGES;

/** Where the committed JSON Schemas live, relative to the package root. */
export const PROTOCOL_SCHEMAS_DIR = 'src/transport/schemas';

/** The JSON Schema (draft 2020-12) of one message, with an `$id` naming the protocol version. */
export function protocolJsonSchema(name: ProtocolMessageName): Record<string, unknown> {
  const schema = z.toJSONSchema(PROTOCOL_MESSAGES[name], { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = schema;
  return { $schema, $id: `urn:hero-supervisor:protocol:${PROTOCOL_VERSION}:${name}`, ...rest };
}

/** Every message's JSON Schema, by message name: what `protocolSchemas` exports. */
export function protocolJsonSchemas(): Record<ProtocolMessageName, Record<string, unknown>> {
  const names = Object.keys(PROTOCOL_MESSAGES) as ProtocolMessageName[];
  return Object.fromEntries(names.map((name) => [name, protocolJsonSchema(name)])) as Record<
    ProtocolMessageName,
    Record<string, unknown>
  >;
}

// Compile-time links between the TypeScript types our code uses and the wire schemas: what our producers send must be
// accepted by the schema, and what the schema accepts must carry every field our consumers read.
// (`.loose()` adds an index signature, which interfaces lack: compare the named fields only.)
type Named<T> = { [K in keyof T as string extends K ? never : K]: T[K] extends object ? Named<T[K]> : T[K] };
type Accepts<Schema extends z.ZodType, T> = T extends Named<z.input<Schema>> ? true : never;
type Provides<Schema extends z.ZodType, T> = Named<z.output<Schema>> extends Pick<T, RequiredKeys<T>> ? true : never;
type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
const typesAgree: [
  Accepts<typeof jobDataSchema, JobData>,
  Accepts<typeof jobResultSchema, JobResult>,
  Provides<typeof jobResultSchema, JobResult>,
  Accepts<typeof pingJobSchema, PingJobData>,
  Provides<typeof pingJobSchema, PingJobData>,
  Accepts<typeof pingReplySchema, PingReply>,
  Provides<typeof pingReplySchema, PingReply>,
  Accepts<typeof pingReplyMessageSchema, PingReplyMessage>,
  Accepts<typeof jobActivitySchema, JobActivity>,
  Provides<typeof jobActivitySchema, JobActivity>,
] = [true, true, true, true, true, true, true, true, true, true];
void typesAgree;
