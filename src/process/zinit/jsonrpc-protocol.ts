/**
 * Encoding and decoding of Zinit's JSON-RPC 2.0 protocol (v0.2.15 and newer; NOTES §3). No sockets here.
 *
 * Requests are JSON objects (we end each with `\n`); the server answers each with one JSON text and `\n`, in any order,
 * so responses are matched by `id`. Subscriptions (`stream_subscribeLogs`) arrive as notifications carrying
 * `params.subscription`.
 */
import { ZinitProtocolError } from '../../errors.js';

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type JsonRpcMessage =
  | { kind: 'response'; id: number | string | null; result: unknown }
  | { kind: 'error'; id: number | string | null; error: JsonRpcErrorObject }
  | { kind: 'notification'; method: string; params: unknown };

export function encodeJsonRpcRequest(id: number, method: string, params: unknown[] | Record<string, unknown>): string {
  return `${JSON.stringify({ jsonrpc: '2.0', method, params, id })}\n`;
}

export function decodeJsonRpcMessage(text: string): JsonRpcMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    throw new ZinitProtocolError(
      `Zinit sent a line that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  // Also refuses null and non-objects: neither has a `jsonrpc` of '2.0'.
  if ((message as { jsonrpc?: unknown } | null)?.jsonrpc !== '2.0') {
    throw new ZinitProtocolError(
      `Zinit sent a message that is not JSON-RPC 2.0: ${JSON.stringify(text.slice(0, 200))}`,
    );
  }
  const m = message as {
    id?: number | string | null;
    result?: unknown;
    error?: JsonRpcErrorObject;
    method?: string;
    params?: unknown;
  };
  if (typeof m.method === 'string' && m.id === undefined)
    return { kind: 'notification', method: m.method, params: m.params };
  if (m.error !== undefined) return { kind: 'error', id: m.id ?? null, error: m.error };
  return { kind: 'response', id: m.id ?? null, result: m.result ?? null };
}

/**
 * What a JSON-RPC error code means. v0.2.28 sends specific codes (-32000…-32011); v0.2.15–v0.2.27 mostly a bare
 * -32603 "Internal error" (start: -32002). Codes are mapped, message text is never parsed (NOTES §3.3).
 */
export type JsonRpcErrorKind =
  | 'unknown-service'
  | 'already-monitored'
  | 'is-up'
  | 'is-down'
  | 'invalid-signal'
  | 'load-failed'
  | 'shutting-down'
  | 'already-exists'
  | 'file-error'
  | 'invalid-params'
  | 'method-not-found'
  | 'internal';

export const ZINIT_RPC_ERROR_KINDS: Readonly<Record<number, JsonRpcErrorKind>> = {
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
};

/**
 * Maps an error code for a given method. In v0.2.15–v0.2.27 `service_start` failures come as -32002 "Server error"
 * (not "is up") and most others as -32603; callers that need to know "is this service unknown?" ask `service_list`.
 */
export function jsonRpcErrorKind(error: JsonRpcErrorObject, method: string): JsonRpcErrorKind {
  const hasData = error.data !== undefined && error.data !== null;
  if (!hasData && method === 'service_start' && error.code === -32002) return 'internal';
  if (!hasData && method === 'system_shutdown' && error.code === -32006) return 'internal';
  return ZINIT_RPC_ERROR_KINDS[error.code] ?? 'internal';
}
