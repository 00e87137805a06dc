/**
 * Encoding and decoding of Zinit's legacy line protocol (v0.2.14 and older; NOTES §2). No sockets here.
 *
 * A request is one line of shell words ended by LF (never CRLF: `list\r\n` is the unknown command `'list\r'`).
 * The reply is `{"state":"ok","body":<value>}` or `{"state":"error","body":"<message>"}` without a trailing newline;
 * the server closes the connection after it. `log` replies are plain text lines instead.
 */
import { ZinitProtocolError } from '../../errors.js';
import { joinShellWords } from './shell-words.js';

export type LegacyReply = { ok: true; body: unknown } | { ok: false; message: string };

/** `['status', 'svc']` → `status svc\n`. Each word is quoted only when the server's shlex would otherwise change it. */
export function encodeLegacyCommand(words: readonly string[]): string {
  return `${joinShellWords(words)}\n`;
}

/**
 * Zinit writes `bad request` before the envelope when the line is not UTF-8 (13 [1]); that prefix is dropped.
 */
const BAD_REQUEST_PREFIX = 'bad request';

export function decodeLegacyReply(text: string, command: string): LegacyReply {
  const json = text.startsWith(BAD_REQUEST_PREFIX) ? text.slice(BAD_REQUEST_PREFIX.length) : text;
  let envelope: unknown;
  try {
    envelope = JSON.parse(json);
  } catch (error) {
    throw new ZinitProtocolError(
      `Zinit answered \`${command}\` with text that is not a legacy reply envelope: ${JSON.stringify(text.slice(0, 200))}`,
      undefined,
      { cause: error },
    );
  }
  if (typeof envelope === 'object' && envelope !== null && 'state' in envelope) {
    const { state, body } = envelope as { state: unknown; body: unknown };
    if (state === 'ok') return { ok: true, body: body ?? null };
    if (state === 'error') return { ok: false, message: typeof body === 'string' ? body : JSON.stringify(body) };
  }
  throw new ZinitProtocolError(
    `Zinit answered \`${command}\` with an unexpected envelope: ${JSON.stringify(text.slice(0, 200))}`,
  );
}

/** What a legacy error message means, matched on the exact wordings of v0.2.14 (NOTES §2.3). */
export type LegacyErrorKind =
  | 'unknown-service'
  | 'already-monitored'
  | 'is-up'
  | 'is-down'
  | 'shutting-down'
  | 'invalid-signal'
  | 'load-failed'
  | 'bad-command'
  | 'other';

const LEGACY_ERROR_PATTERNS: readonly [RegExp, LegacyErrorKind][] = [
  [/^service name ".*" unknown$/s, 'unknown-service'],
  [/^service ".*" already monitored$/s, 'already-monitored'],
  [/^service ".*" is up$/s, 'is-up'],
  [/^service ".*" is down$/s, 'is-down'],
  [/^zinit is shutting down$/, 'shutting-down'],
  [/^EINVAL: Invalid argument$/, 'invalid-signal'],
  [/^unknown stop signal configured/, 'invalid-signal'],
  [/^failed to load service config$/, 'load-failed'],
  [/^(unknown command|invalid command syntax|invalid log command arguments)/, 'bad-command'],
];

export function classifyLegacyError(message: string): LegacyErrorKind {
  for (const [pattern, kind] of LEGACY_ERROR_PATTERNS) if (pattern.test(message)) return kind;
  return 'other';
}

/** The marker Zinit logs each time it spawns a service. */
const START_MARKER = '------------ [start] ------------';

/**
 * Returns the text of a ring line that belongs to `service`, or undefined. Ring lines are `[+] svc: out`,
 * `[-] svc: err`; health checks log as `svc/test` and are not the service's own output. The start marker is dropped.
 * Filter as the Zinit CLI does: `line[4..].starts_with("<name>:")`.
 */
export function serviceLogText(line: string, service: string): string | undefined {
  const rest = line.slice(4);
  if (!rest.startsWith(`${service}:`)) return undefined;
  const text = rest.slice(service.length + 2);
  return text === START_MARKER ? undefined : text;
}
