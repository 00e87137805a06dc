// The pure Zinit modules rule by rule (issue 13, mutation testing): the legacy and JSON-RPC envelopes, the error
// wordings and codes, the state strings and shell words, each edge pinned so that a changed operator or dropped
// branch fails a test. The transcripts and doubles (zinit-transcripts, zinit-jsonrpc) test them against sockets.
import { describe, expect, it } from 'vitest';
import { ZinitProtocolError } from '../../../src/errors.js';
import {
  decodeJsonRpcMessage,
  encodeJsonRpcRequest,
  jsonRpcErrorKind,
  ZINIT_RPC_ERROR_KINDS,
} from '../../../src/process/zinit/jsonrpc-protocol.js';
import {
  classifyLegacyError,
  decodeLegacyReply,
  encodeLegacyCommand,
  serviceLogText,
} from '../../../src/process/zinit/legacy-protocol.js';
import { joinShellWords, quoteShellWord, splitShellWords } from '../../../src/process/zinit/shell-words.js';
import { parseZinitState } from '../../../src/process/zinit/zinit-state.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('legacy protocol', () => {
  it('encodes a command as shell words and one LF', () => {
    expect(encodeLegacyCommand(['status', 'svc'])).toBe('status svc\n');
    expect(encodeLegacyCommand(['log', "it's"])).toBe("log 'it'\\''s'\n");
  });

  it('decodes ok and error envelopes', () => {
    expect(decodeLegacyReply('{"state":"ok","body":{"a":1}}', 'status a')).toEqual({ ok: true, body: { a: 1 } });
    expect(decodeLegacyReply('{"state":"ok"}', 'start a')).toEqual({ ok: true, body: null });
    expect(decodeLegacyReply('{"state":"ok","body":null}', 'start a')).toEqual({ ok: true, body: null });
    expect(decodeLegacyReply('{"state":"error","body":"service name \\"a\\" unknown"}', 'status a')).toEqual({
      ok: false,
      message: 'service name "a" unknown',
    });
    expect(decodeLegacyReply('{"state":"error","body":{"code":1}}', 'x')).toEqual({ ok: false, message: '{"code":1}' });
  });

  it('drops the `bad request` prefix Zinit writes before the envelope of a non-UTF-8 line', () => {
    expect(decodeLegacyReply('bad request{"state":"error","body":"oops"}', 'x')).toEqual({
      ok: false,
      message: 'oops',
    });
  });

  it('refuses text that is not an envelope, quoting the command and at most 200 characters of the text', () => {
    const notJson = errorOf(() => decodeLegacyReply('garbage', 'status a'));
    expect(notJson).toBeInstanceOf(ZinitProtocolError);
    expect(notJson.message).toBe('Zinit answered `status a` with text that is not a legacy reply envelope: "garbage"');
    const long = `${'x'.repeat(300)}`;
    expect(errorOf(() => decodeLegacyReply(long, 'list')).message).toContain(JSON.stringify('x'.repeat(200)));
    expect(errorOf(() => decodeLegacyReply(long, 'list')).message).not.toContain('x'.repeat(201));
    for (const text of ['{"state":"maybe"}', '{"body":1}', '[1]', 'null', '3']) {
      const error = errorOf(() => decodeLegacyReply(text, 'list'));
      expect(error).toBeInstanceOf(ZinitProtocolError);
      expect(error.message).toBe(`Zinit answered \`list\` with an unexpected envelope: ${JSON.stringify(text)}`);
    }
  });

  it.each([
    ['service name "a b" unknown', 'unknown-service'],
    ['service name "a\nb" unknown', 'unknown-service'],
    ['service "a" already monitored', 'already-monitored'],
    ['service "a" is up', 'is-up'],
    ['service "a" is down', 'is-down'],
    ['zinit is shutting down', 'shutting-down'],
    ['EINVAL: Invalid argument', 'invalid-signal'],
    ['unknown stop signal configured "SIGFOO"', 'invalid-signal'],
    ['failed to load service config', 'load-failed'],
    ["unknown command 'frob'", 'bad-command'],
    ['invalid command syntax', 'bad-command'],
    ['invalid log command arguments', 'bad-command'],
    ['service name "a" unknown!', 'other'],
    ['the service name "a" unknown', 'other'],
    ['zinit is shutting down now', 'other'],
    ['EINVAL: Invalid argument.', 'other'],
    ['failed to load service config: x', 'other'],
    ['a failed to load service config', 'other'],
    ['not an unknown command', 'other'],
  ] as const)('classifies %j as %s', (message, kind) => {
    expect(classifyLegacyError(message)).toBe(kind);
  });

  it("keeps only the service's own log lines, without the start marker", () => {
    expect(serviceLogText('[+] svc: hello world', 'svc')).toBe('hello world');
    expect(serviceLogText('[-] svc: oops', 'svc')).toBe('oops');
    expect(serviceLogText('[+] svc: ------------ [start] ------------', 'svc')).toBeUndefined();
    expect(serviceLogText('[+] svc/test: check', 'svc')).toBeUndefined();
    expect(serviceLogText('[+] svc2: other', 'svc')).toBeUndefined();
    expect(serviceLogText('[+] sv: short', 'svc')).toBeUndefined();
    expect(serviceLogText('svc: no prefix', 'svc')).toBeUndefined();
  });
});

describe('JSON-RPC protocol', () => {
  it('encodes a request as one JSON line', () => {
    expect(encodeJsonRpcRequest(7, 'service_status', ['svc'])).toBe(
      '{"jsonrpc":"2.0","method":"service_status","params":["svc"],"id":7}\n',
    );
  });

  it('decodes responses, errors and notifications', () => {
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":1,"result":{"a":1}}')).toEqual({
      kind: 'response',
      id: 1,
      result: { a: 1 },
    });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":"x"}')).toEqual({ kind: 'response', id: 'x', result: null });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","result":3}')).toEqual({ kind: 'response', id: null, result: 3 });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"m"}}')).toEqual({
      kind: 'error',
      id: 2,
      error: { code: -32000, message: 'm' },
    });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","error":{"code":-1,"message":"m"}}')).toMatchObject({
      kind: 'error',
      id: null,
    });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","method":"stream","params":{"subscription":1}}')).toEqual({
      kind: 'notification',
      method: 'stream',
      params: { subscription: 1 },
    });
    // A method with an id is a request, not a notification: never mistaken for a subscription message.
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","method":"stream","id":4,"result":1}')).toEqual({
      kind: 'response',
      id: 4,
      result: 1,
    });
  });

  it('refuses text that is not JSON, or not JSON-RPC 2.0, quoting it', () => {
    const notJson = errorOf(() => decodeJsonRpcMessage('nope'));
    expect(notJson).toBeInstanceOf(ZinitProtocolError);
    expect(notJson.message).toBe('Zinit sent a line that is not JSON: "nope"');
    for (const text of ['{"jsonrpc":"1.0","id":1}', 'null', '"2.0"', '{"id":1}']) {
      const error = errorOf(() => decodeJsonRpcMessage(text));
      expect(error).toBeInstanceOf(ZinitProtocolError);
      expect(error.message).toBe(`Zinit sent a message that is not JSON-RPC 2.0: ${JSON.stringify(text)}`);
    }
    expect(errorOf(() => decodeJsonRpcMessage('x'.repeat(300))).message).not.toContain('x'.repeat(201));
  });

  it('maps every error code of v0.2.28 to its meaning, and anything else to internal', () => {
    const kindOf = (code: number) => jsonRpcErrorKind({ code, message: 'm', data: 'd' }, 'service_status');
    expect(
      [-32000, -32001, -32002, -32003, -32004, -32005, -32006, -32007, -32008, -32602, -32601].map(kindOf),
    ).toEqual([
      'unknown-service',
      'already-monitored',
      'is-up',
      'is-down',
      'invalid-signal',
      'load-failed',
      'shutting-down',
      'already-exists',
      'file-error',
      'invalid-params',
      'method-not-found',
    ]);
    expect(Object.keys(ZINIT_RPC_ERROR_KINDS)).toHaveLength(11);
    expect(jsonRpcErrorKind({ code: -32603, message: 'Internal error' }, 'service_stop')).toBe('internal');
    expect(jsonRpcErrorKind({ code: 1, message: 'x' }, 'service_stop')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32000, message: 'x' }, 'system_shutdown')).toBe('unknown-service');
  });

  it('reads -32002 on service_start and -32006 on system_shutdown without data as the older servers mean them', () => {
    expect(jsonRpcErrorKind({ code: -32002, message: 'Server error' }, 'service_start')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32002, message: 'Server error', data: null }, 'service_start')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32002, message: 'is up', data: 'svc' }, 'service_start')).toBe('is-up');
    expect(jsonRpcErrorKind({ code: -32002, message: 'is up' }, 'service_restart')).toBe('is-up');
    expect(jsonRpcErrorKind({ code: -32006, message: 'x' }, 'system_shutdown')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32006, message: 'x', data: 'y' }, 'system_shutdown')).toBe('shutting-down');
    expect(jsonRpcErrorKind({ code: -32006, message: 'x' }, 'service_start')).toBe('shutting-down');
  });
});

describe('Zinit states', () => {
  it('adds what each simple state implies', () => {
    expect(parseZinitState('Success')).toEqual({ state: 'success', code: 0 });
    expect(parseZinitState('Failure')).toEqual({
      state: 'failure',
      reason: 'Zinit could not spawn the command (missing binary or unparsable exec)',
    });
    expect(parseZinitState('TestFailure')).toEqual({
      state: 'test-failure',
      reason: 'Zinit could not run the health check command',
    });
    expect(parseZinitState('Running')).toEqual({ state: 'running' });
    expect(parseZinitState('Blocked')).toEqual({ state: 'blocked' });
  });

  it('knows no state by an Object.prototype name', () => {
    expect(parseZinitState('toString')).toEqual({ state: 'unknown', reason: 'unrecognised Zinit state "toString"' });
  });

  it('reads exits with any spacing and a negative code, and nothing around them', () => {
    expect(parseZinitState('Error(Exited(Pid(12),-1))')).toEqual({
      state: 'error',
      pid: 12,
      code: -1,
      reason: 'exited with code -1',
    });
    expect(parseZinitState('Error(Exited(Pid(12), 3)) ')).toEqual({
      state: 'error',
      reason: 'Error(Exited(Pid(12), 3)) ',
    });
    expect(parseZinitState('xError(Exited(Pid(12), 3))')).toMatchObject({ state: 'unknown' });
    expect(parseZinitState('Error(Signaled(Pid(3),SIGTERM,false))')).toEqual({
      state: 'error',
      pid: 3,
      signal: 'SIGTERM',
      reason: 'killed by SIGTERM',
    });
    expect(parseZinitState('Error(Signaled(Pid(3), SIGTERM, maybe))')).toEqual({
      state: 'error',
      reason: 'Error(Signaled(Pid(3), SIGTERM, maybe))',
    });
  });
});

describe('shell words', () => {
  it('quotes only what needs it', () => {
    expect(quoteShellWord('a-Z_0@%+=:,./b')).toBe('a-Z_0@%+=:,./b');
    expect(quoteShellWord('')).toBe("''");
    expect(quoteShellWord('a b')).toBe("'a b'");
    expect(quoteShellWord('#x')).toBe("'#x'");
    expect(quoteShellWord("it's")).toBe("'it'\\''s'");
    expect(quoteShellWord("''")).toBe("''\\'''\\'''");
    expect(joinShellWords(['echo', 'a b', ''])).toBe("echo 'a b' ''");
  });

  it('splits on spaces, tabs and newlines, and skips comments to the end of their line', () => {
    expect(splitShellWords(' a\tb\nc  ')).toEqual(['a', 'b', 'c']);
    expect(splitShellWords('a # comment b\nc')).toEqual(['a', 'c']);
    expect(splitShellWords('# only')).toEqual([]);
    expect(splitShellWords('a#b')).toEqual(['a#b']);
    expect(splitShellWords('')).toEqual([]);
  });

  it('joins quoted parts of one word and keeps single quotes literal', () => {
    expect(splitShellWords(`a'b c'"d"e`)).toEqual(['ab cde']);
    expect(splitShellWords(`'$x \\n "q"'`)).toEqual(['$x \\n "q"']);
    expect(splitShellWords("''")).toEqual(['']);
    expect(splitShellWords('""')).toEqual(['']);
  });

  it('escapes in double quotes only $ ` " \\ and newline; elsewhere a backslash escapes any character', () => {
    expect(splitShellWords('"\\$\\`\\"\\\\"')).toEqual(['$`"\\']);
    expect(splitShellWords('"a\\\nb"')).toEqual(['ab']);
    expect(splitShellWords('"\\a\\n"')).toEqual(['\\a\\n']);
    expect(splitShellWords('a\\ b \\#c')).toEqual(['a b', '#c']);
    expect(splitShellWords('a\\\nb')).toEqual(['ab']);
  });

  it('refuses unbalanced quotes and trailing backslashes', () => {
    expect(splitShellWords("'open")).toBeUndefined();
    expect(splitShellWords('"open')).toBeUndefined();
    expect(splitShellWords('"open\\')).toBeUndefined();
    expect(splitShellWords('"open\\"')).toBeUndefined();
    expect(splitShellWords('end\\')).toBeUndefined();
  });
});
