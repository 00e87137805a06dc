/**
 * The legacy line protocol without sockets (issue 13: pure modules, run by StrykerJS per mutant): request encoding,
 * the reply envelope, the error wordings of v0.2.14 and ring-line filtering. Recorded replies come from
 * test/fixtures/zinit/transcripts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ZinitProtocolError } from '../../../src/errors.js';
import {
  classifyLegacyError,
  decodeLegacyReply,
  encodeLegacyCommand,
  type LegacyErrorKind,
  serviceLogText,
} from '../../../src/process/zinit/legacy-protocol.js';

const TRANSCRIPTS = fileURLToPath(new URL('../../fixtures/zinit/transcripts/', import.meta.url));

/** Every reply a real v0.2.14 sent in a transcript, with the request it answered. */
function recordedReplies(file: string): { sent: string; recv: string }[] {
  return readFileSync(join(TRANSCRIPTS, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { sent?: string; recv?: string })
    .filter((exchange): exchange is { sent: string; recv: string } => typeof exchange.recv === 'string')
    .filter((exchange) => exchange.recv.startsWith('{') || exchange.recv.startsWith('bad request{'));
}

describe('encodeLegacyCommand', () => {
  it('writes one line of words ended by LF, never CRLF', () => {
    expect(encodeLegacyCommand(['list'])).toBe('list\n');
    expect(encodeLegacyCommand(['kill', 'svc', 'SIGKILL'])).toBe('kill svc SIGKILL\n');
  });

  it('quotes a word the server would otherwise split or unquote', () => {
    expect(encodeLegacyCommand(['status', 'a b'])).toBe("status 'a b'\n");
    expect(encodeLegacyCommand(['status', `it's`])).toBe("status 'it'\\''s'\n");
  });
});

describe('decodeLegacyReply', () => {
  it('reads an ok envelope with its body', () => {
    expect(decodeLegacyReply('{"state":"ok","body":{"svc":"Running"}}', 'list')).toEqual({
      ok: true,
      body: { svc: 'Running' },
    });
  });

  it('reads a missing or null body as null', () => {
    expect(decodeLegacyReply('{"state":"ok","body":null}', 'stop svc')).toEqual({ ok: true, body: null });
    expect(decodeLegacyReply('{"state":"ok"}', 'stop svc')).toEqual({ ok: true, body: null });
  });

  it('reads an error envelope as its message; a body that is not text is quoted as JSON', () => {
    expect(decodeLegacyReply('{"state":"error","body":"service name \\"x\\" unknown"}', 'status x')).toEqual({
      ok: false,
      message: 'service name "x" unknown',
    });
    expect(decodeLegacyReply('{"state":"error","body":{"code":1}}', 'status x')).toEqual({
      ok: false,
      message: '{"code":1}',
    });
  });

  it('drops the `bad request` text Zinit writes before the envelope for a line that is not UTF-8 (13 [1])', () => {
    expect(decodeLegacyReply('bad request{"state":"error","body":"unknown command"}', '?')).toEqual({
      ok: false,
      message: 'unknown command',
    });
  });

  it('refuses text that is not JSON with ZinitProtocolError naming the command and quoting the text', () => {
    const decode = () => decodeLegacyReply('{"state":"ok","bo', 'list');

    expect(decode).toThrow(ZinitProtocolError);
    expect(() => decode()).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }));
    expect(decode).toThrow(
      'Zinit answered `list` with text that is not a legacy reply envelope: "{\\"state\\":\\"ok\\",\\"bo"',
    );
  });

  it('quotes at most 200 characters of a bad reply', () => {
    const long = `x${'y'.repeat(300)}`;

    const error = (() => {
      try {
        decodeLegacyReply(long, 'list');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();

    expect(error?.message).toContain(JSON.stringify(long.slice(0, 200)));
    expect(error?.message).not.toContain(long.slice(0, 201));
  });

  it('quotes at most 200 characters of an unexpected envelope', () => {
    const long = JSON.stringify({ state: 'maybe', body: 'b'.repeat(300) });

    expect(() => decodeLegacyReply(long, 'list')).toThrow(
      `Zinit answered \`list\` with an unexpected envelope: ${JSON.stringify(long.slice(0, 200))}`,
    );
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['an array', '["ok"]'],
    ['an object without state', '{"body":1}'],
    ['an unknown state', '{"state":"maybe","body":1}'],
  ])('refuses %s as an unexpected envelope', (_, text) => {
    expect(() => decodeLegacyReply(text, 'list')).toThrow(
      `Zinit answered \`list\` with an unexpected envelope: ${JSON.stringify(text)}`,
    );
  });

  it('decodes every envelope a real Zinit v0.2.14 sent in transcripts 02, 03, 09, 10 and 13', () => {
    const replies = [
      '02-legacy-queries.jsonl',
      '03-legacy-control.jsonl',
      '09-legacy-log.jsonl',
      '10-legacy-shutdown.jsonl',
      '13-legacy-edge-cases.jsonl',
    ].flatMap(recordedReplies);

    expect(replies.length).toBeGreaterThan(50);
    for (const { recv } of replies) {
      const reply = decodeLegacyReply(recv, 'recorded');
      const envelope = JSON.parse(recv.replace(/^bad request/, '')) as { state: string; body: unknown };
      expect(reply).toEqual(
        envelope.state === 'ok' ? { ok: true, body: envelope.body } : { ok: false, message: envelope.body },
      );
    }
  });
});

describe('classifyLegacyError', () => {
  const RECORDED: [string, LegacyErrorKind][] = [
    ['service name "ghost" unknown', 'unknown-service'],
    ['service name "../zinit-extra/lognone" unknown', 'unknown-service'],
    ['service "sleeper" already monitored', 'already-monitored'],
    ['service "dependent" is up', 'is-up'],
    ['service "sleeper" is down', 'is-down'],
    ['zinit is shutting down', 'shutting-down'],
    ['EINVAL: Invalid argument', 'invalid-signal'],
    ["unknown stop signal configured 'SIGFOO': EINVAL", 'invalid-signal'],
    ['failed to load service config', 'load-failed'],
    ['unknown command', 'bad-command'],
    ["unknown command 'restart' or wrong arguments count", 'bad-command'],
    ['invalid command syntax', 'bad-command'],
    ['invalid log command arguments', 'bad-command'],
    ['ESRCH: No such process', 'other'],
  ];

  it.each(RECORDED)('%s → %s', (message, kind) => {
    expect(classifyLegacyError(message)).toBe(kind);
  });

  it('matches a service name holding a newline or quotes', () => {
    expect(classifyLegacyError('service name "a\nb" unknown')).toBe('unknown-service');
    expect(classifyLegacyError('service "a\nb" already monitored')).toBe('already-monitored');
    expect(classifyLegacyError('service "a\nb" is up')).toBe('is-up');
    expect(classifyLegacyError('service "a\nb" is down')).toBe('is-down');
  });

  it.each([
    'xservice name "a" unknown',
    'service name "a" unknown!',
    'the service "a" already monitored',
    'service "a" already monitored.',
    'service "a" is upstream',
    'a service "a" is up',
    'service "a" is downward',
    'so service "a" is down',
    'zinit is shutting down now',
    'oh, zinit is shutting down',
    'EINVAL: Invalid argument!',
    'got EINVAL: Invalid argument',
    'an unknown stop signal configured',
    'failed to load service config: bad yaml',
    'could not: failed to load service config',
    'an unknown command',
    'it is invalid command syntax',
  ])('keeps %j apart from the known wordings (other)', (message) => {
    expect(classifyLegacyError(message)).toBe('other');
  });

  it('knows every error a real Zinit v0.2.14 sent in the transcripts', () => {
    const messages = [
      '02-legacy-queries.jsonl',
      '03-legacy-control.jsonl',
      '09-legacy-log.jsonl',
      '10-legacy-shutdown.jsonl',
      '13-legacy-edge-cases.jsonl',
    ]
      .flatMap(recordedReplies)
      .map(({ recv }) => decodeLegacyReply(recv, 'recorded'))
      .flatMap((reply) => (reply.ok ? [] : [reply.message]));

    expect(messages.length).toBeGreaterThan(20);
    expect(messages.filter((message) => classifyLegacyError(message) === 'other')).toEqual([]);
  });
});

describe('serviceLogText', () => {
  it("returns the text of the service's stdout and stderr lines", () => {
    expect(serviceLogText('[+] api: listening on 80', 'api')).toBe('listening on 80');
    expect(serviceLogText('[-] api: warn: slow', 'api')).toBe('warn: slow');
    expect(serviceLogText('[+] api: ', 'api')).toBe('');
  });

  it('drops the start marker Zinit logs at each spawn', () => {
    expect(serviceLogText('[-] api: ------------ [start] ------------', 'api')).toBeUndefined();
    expect(serviceLogText('[-] api: ------------ [start] ------------ again', 'api')).toBe(
      '------------ [start] ------------ again',
    );
  });

  it("leaves out other services, health-check output (`name/test`) and Zinit's own lines", () => {
    expect(serviceLogText('[+] api2: hello', 'api')).toBeUndefined();
    expect(serviceLogText('[+] ap: hello', 'api')).toBeUndefined();
    expect(serviceLogText('[+] api/test: ok', 'api')).toBeUndefined();
    expect(serviceLogText('[-] zinit: 3 lines dropped', 'api')).toBeUndefined();
    expect(serviceLogText('api: no prefix', 'api')).toBeUndefined();
  });
});
