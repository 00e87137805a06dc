/**
 * JSON-RPC 2.0 encoding and decoding for Zinit v0.2.15+ without sockets (issue 13: pure modules, run by StrykerJS per
 * mutant): requests, the three kinds of message, and error codes mapped per method and version (NOTES §3.3).
 */
import { describe, expect, it } from 'vitest';
import { ZinitProtocolError } from '../../../src/errors.js';
import {
  decodeJsonRpcMessage,
  encodeJsonRpcRequest,
  jsonRpcErrorKind,
  ZINIT_RPC_ERROR_KINDS,
} from '../../../src/process/zinit/jsonrpc-protocol.js';

describe('encodeJsonRpcRequest', () => {
  it('writes one JSON-RPC 2.0 request per line, positional or by name', () => {
    expect(encodeJsonRpcRequest(1, 'service_list', [])).toBe(
      '{"jsonrpc":"2.0","method":"service_list","params":[],"id":1}\n',
    );
    expect(encodeJsonRpcRequest(7, 'stream_subscribeLogs', { filter: 'api' })).toBe(
      '{"jsonrpc":"2.0","method":"stream_subscribeLogs","params":{"filter":"api"},"id":7}\n',
    );
  });
});

describe('decodeJsonRpcMessage', () => {
  it('reads a response with its id and result', () => {
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":3,"result":{"svc":"Running"}}')).toEqual({
      kind: 'response',
      id: 3,
      result: { svc: 'Running' },
    });
  });

  it('reads a missing result as null, and a missing id as null', () => {
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":"a"}')).toEqual({ kind: 'response', id: 'a', result: null });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","result":5}')).toEqual({ kind: 'response', id: null, result: 5 });
  });

  it('reads an error, also the parse error Zinit sends with id null', () => {
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}')).toEqual(
      { kind: 'error', id: null, error: { code: -32700, message: 'Parse error' } },
    );
    expect(
      decodeJsonRpcMessage('{"jsonrpc":"2.0","id":4,"error":{"code":-32000,"message":"m","data":{"service":"x"}}}'),
    ).toEqual({ kind: 'error', id: 4, error: { code: -32000, message: 'm', data: { service: 'x' } } });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"}}')).toMatchObject({
      kind: 'error',
      id: null,
    });
  });

  it('reads a message with a method and no id as a notification (a log line of a subscription)', () => {
    expect(
      decodeJsonRpcMessage(
        '{"jsonrpc":"2.0","method":"stream_subscribeLogs","params":{"subscription":9,"result":"[+] a: hi"}}',
      ),
    ).toEqual({
      kind: 'notification',
      method: 'stream_subscribeLogs',
      params: { subscription: 9, result: '[+] a: hi' },
    });
  });

  it('does not take a message with a method AND an id for a notification', () => {
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","method":"m","id":2,"result":1}')).toEqual({
      kind: 'response',
      id: 2,
      result: 1,
    });
    expect(decodeJsonRpcMessage('{"jsonrpc":"2.0","method":3}')).toEqual({ kind: 'response', id: null, result: null });
  });

  it('refuses a line that is not JSON with ZinitProtocolError quoting it, the parse error as its cause', () => {
    const decode = () => decodeJsonRpcMessage('{"state":"ok","body"');

    expect(decode).toThrow(ZinitProtocolError);
    expect(() => decode()).toThrow(expect.objectContaining({ cause: expect.any(SyntaxError) }));
    expect(decode).toThrow('Zinit sent a line that is not JSON: "{\\"state\\":\\"ok\\",\\"body\\""');
  });

  it.each([
    ['a legacy envelope', '{"state":"ok","body":null}'],
    ['another JSON-RPC version', '{"jsonrpc":"1.0","id":1,"result":1}'],
    ['null', 'null'],
    ['a number', '12'],
    ['a string', '"2.0"'],
  ])('refuses %s as not JSON-RPC 2.0', (_, text) => {
    expect(() => decodeJsonRpcMessage(text)).toThrow(
      `Zinit sent a message that is not JSON-RPC 2.0: ${JSON.stringify(text)}`,
    );
  });

  it('quotes at most 200 characters of what it refuses', () => {
    const junk = `<${'x'.repeat(300)}`;
    const notRpc = JSON.stringify({ jsonrpc: '1.0', pad: 'p'.repeat(300) });

    expect(() => decodeJsonRpcMessage(junk)).toThrow(`not JSON: ${JSON.stringify(junk.slice(0, 200))}`);
    expect(() => decodeJsonRpcMessage(notRpc)).toThrow(`not JSON-RPC 2.0: ${JSON.stringify(notRpc.slice(0, 200))}`);
  });
});

describe('jsonRpcErrorKind', () => {
  it('maps the codes of v0.2.28', () => {
    expect(ZINIT_RPC_ERROR_KINDS).toEqual({
      [-32000]: 'unknown-service',
      [-32001]: 'already-monitored',
      [-32002]: 'is-up',
      [-32003]: 'is-down',
      [-32004]: 'invalid-signal',
      [-32005]: 'load-failed',
      [-32006]: 'shutting-down',
      [-32007]: 'already-exists',
      [-32008]: 'file-error',
      [-32602]: 'invalid-params',
      [-32601]: 'method-not-found',
    });
    for (const [code, kind] of Object.entries(ZINIT_RPC_ERROR_KINDS)) {
      expect(jsonRpcErrorKind({ code: Number(code), message: 'm', data: { code_name: 'x' } }, 'service_status')).toBe(
        kind,
      );
    }
  });

  it('maps the bare -32603 of v0.2.15–v0.2.27, and any code it does not know, to internal', () => {
    expect(jsonRpcErrorKind({ code: -32603, message: 'Internal error' }, 'service_forget')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32099, message: 'Server error' }, 'service_stop')).toBe('internal');
  });

  it('reads -32002 from service_start without data as a generic server error (v0.2.15–v0.2.27), not "is up"', () => {
    expect(jsonRpcErrorKind({ code: -32002, message: 'Server error' }, 'service_start')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32002, message: 'Server error', data: null }, 'service_start')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32002, message: 'starting: up', data: {} }, 'service_start')).toBe('is-up');
    expect(jsonRpcErrorKind({ code: -32002, message: 'Server error' }, 'service_forget')).toBe('is-up');
  });

  it('reads -32006 from system_shutdown without data as a generic server error, with data as shutting down', () => {
    expect(jsonRpcErrorKind({ code: -32006, message: 'Server error' }, 'system_shutdown')).toBe('internal');
    expect(jsonRpcErrorKind({ code: -32006, message: 'm', data: { retryable: false } }, 'system_shutdown')).toBe(
      'shutting-down',
    );
    expect(jsonRpcErrorKind({ code: -32006, message: 'Server error' }, 'service_start')).toBe('shutting-down');
    expect(jsonRpcErrorKind({ code: -32000, message: 'Server error' }, 'system_shutdown')).toBe('unknown-service');
  });
});
