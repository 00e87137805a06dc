/**
 * Both ends of the wire check what they receive against the protocol's schemas (protocol-schemas.ts) and say what
 * is wrong in one line that names the field, what was expected and what came: a foreign worker's author reads it in
 * the supervisor's warn log or in a caller's `InvalidJobResultError`.
 */
import type { z } from 'zod';
import type { PingReply } from '../../machines/worker.events.js';
import { InvalidJobResultError } from '../errors.js';
import {
  jobActivitySchema,
  jobDataSchema,
  jobResultSchema,
  pingReplyMessageSchema,
  pingReplySchema,
} from './protocol-schemas.js';
import type { JobActivity, JobData, JobResult } from './wire-protocol.js';

/** What is wrong with a message: `field` is a dotted path (`reply.version`), '' for the message as a whole. */
export interface ProtocolProblem {
  field: string;
  /** `field \`version\` is missing (expected a string)`. */
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: ProtocolProblem };

/** A value as it may be shown in a message: short JSON, or its type when it cannot be shown. */
export function shownValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const cut = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `${cut} (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value})`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  object: 'an object',
  array: 'an array',
  boolean: 'a boolean',
  record: 'an object',
};

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      return got === undefined ? `is missing (expected ${expected})` : `must be ${expected}, got ${shownValue(got)}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${shownValue(got)}`;
    case 'invalid_key':
      return `has an invalid key: ${issue.issues[0]?.message ?? issue.message}`;
    case 'too_small':
      if (issue.origin === 'string') return `must not be empty, got ${shownValue(got)}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}, got ${shownValue(got)}`;
    case 'invalid_format':
      return `${issue.message.replace(/^Invalid string: /, '')}, got ${shownValue(got)}`;
    default:
      return `${issue.message}, got ${shownValue(got)}`;
  }
}

/** Checks `value` against a schema; the first problem, named by field, when it does not match. */
export function checkMessage<T>(schema: z.ZodType<T>, what: string, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const field = issue.path.map(String).join('.');
  const subject = field === '' ? what : `${what} field \`${field}\``;
  return { ok: false, problem: { field, message: `${subject} ${describeIssue(issue, value)}` } };
}

/** A script job's data, as a worker receives it; a missing `env` becomes `{}`. */
export function checkJobData(value: unknown): Checked<JobData> {
  const checked = checkMessage(jobDataSchema, 'job data', value);
  if (!checked.ok) return checked;
  const data = checked.value;
  return { ok: true, value: { callerId: '', contextId: '', createdAt: 0, ...data, env: data.env ?? {} } };
}

/** A ping's return value, or the `reply` of a published reply message. */
export function checkPingReply(value: unknown): Checked<PingReply> {
  return checkMessage(pingReplySchema, 'ping reply', value);
}

/** A message published on a ping client's reply channel. */
export function checkPingReplyMessage(value: unknown): Checked<{ jobId: string; reply: PingReply }> {
  return checkMessage(pingReplyMessageSchema, 'ping reply message', value);
}

/** A completed script job's return value. */
export function checkJobResult(value: unknown): Checked<JobResult> {
  return checkMessage(jobResultSchema, 'job result', value);
}

/** One activity message (JSON text); `undefined` for anything malformed (other publishers may share the channel). */
export function decodeJobActivity(message: string): JobActivity | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  const checked = checkMessage(jobActivitySchema, 'job activity', value);
  if (!checked.ok) return undefined;
  const { workerId, jobId, phase, at, scriptType, outcome } = checked.value;
  const activity: JobActivity = { workerId, jobId, phase, at };
  if (scriptType !== undefined) activity.scriptType = scriptType;
  if (outcome !== undefined) activity.outcome = outcome;
  return activity;
}

/**
 * A finished job's return value as the caller's `JobResult`: throws `InvalidJobResultError` naming the field when the
 * worker returned something else (a plain string, a result without `stdout`...).
 */
export function toJobResult(jobId: string, returnvalue: unknown): JobResult {
  const checked = checkJobResult(returnvalue);
  if (checked.ok) return checked.value;
  throw new InvalidJobResultError(
    jobId,
    checked.problem.field,
    `Job ${jobId} completed, but its worker returned an invalid result: ${checked.problem.message}. ` +
      'A worker must return { stdout, stderr, exitCode, workerId, durationMs } (src/transport/PROTOCOL.md).',
  );
}
