/**
 * The one root pino logger of a supervisor process. The CLI creates it and passes it down; parts take
 * `logger.child({ worker, scriptType })`. Field names are fixed here, and so is what never gets logged:
 * fields named like secrets are censored by path, and every known secret value is scrubbed from each line.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { LogLevel } from '../config/config-types.js';
import { prettyDestination } from './pretty.js';
import { REDACTED, Redactor, SECRET_FIELD_NAMES } from './redact.js';

export type { Logger } from 'pino';

/** The field names every part of hero-supervisor logs with. */
export const LOG_FIELDS = {
  time: 'time',
  level: 'level',
  message: 'msg',
  worker: 'worker',
  scriptType: 'scriptType',
  service: 'service',
  pid: 'pid',
  error: 'err',
  reason: 'reason',
} as const;

/** Censored wherever they appear, at the top level or one or two objects deep (pino's redact paths). */
export const REDACT_PATHS: readonly string[] = SECRET_FIELD_NAMES.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
]).concat(['headers.authorization', 'req.headers.authorization', 'redis.password', 'config.redis.password']);

export interface RootLoggerOptions {
  /** @defaultValue 'info' */
  level?: LogLevel;
  /** Human-readable lines instead of JSON. @defaultValue false */
  pretty?: boolean;
  /** Where lines go. @defaultValue process.stderr (stdout is for command output) */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Secret values to scrub from every line; add more later with `redactor.add()`. */
  redactor?: Redactor;
  /** Fields on every line (e.g. `{ component: 'daemon' }`). */
  base?: Record<string, unknown>;
}

/** Creates the root logger with the project's fixed field names, redaction and level. */
export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  const redactor = options.redactor ?? new Redactor();
  const target = (options.destination ?? process.stderr) as NodeJS.WritableStream;
  const destination = options.pretty ? prettyDestination(target as never) : target;
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    messageKey: LOG_FIELDS.message,
    errorKey: LOG_FIELDS.error,
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ [LOG_FIELDS.level]: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    hooks: {
      // Runs on each serialized line: secrets inside messages, error texts or unexpected fields go too.
      streamWrite: (line) => redactor.redact(line),
    },
  };
  return pino(pinoOptions, destination as DestinationStream);
}
