/**
 * Protocol detection the way the Rust zinit-client does it (NOTES §4): a JSON-RPC `service_list` probe on a fresh
 * connection; a reply containing `"jsonrpc":"2.0"` means JSON-RPC. Otherwise a raw `list\n` on a fresh connection;
 * `"state":"ok"` / `"state":"error"` means the legacy line protocol. A legacy server answers the probe with an error
 * envelope and closes WITHOUT a newline, so the probe reads until newline OR EOF.
 */
import { connect } from 'node:net';
import { ZinitProtocolError } from '../../errors.js';
import { zinitUnavailableError } from './socket-errors.js';

export type ZinitProtocol = 'legacy' | 'jsonrpc';

/** The exact probe zinit-client sends. */
export const JSONRPC_PROBE = '{"jsonrpc":"2.0","method":"service_list","params":[],"id":1}\n';
export const LEGACY_PROBE = 'list\n';
/** A live Zinit answers either probe in about a millisecond; 5 s only bounds a hung server. */
export const DETECT_TIMEOUT_MS = 5_000;

function probe(socketPath: string, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let done = false;
    const socket = connect(socketPath);
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(text);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline !== -1) {
        text = text.slice(0, newline);
        finish();
      }
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error) => (text === '' ? finish(zinitUnavailableError(socketPath, error)) : finish()));
  });
}

export async function detectProtocol(socketPath: string, timeoutMs = DETECT_TIMEOUT_MS): Promise<ZinitProtocol> {
  const jsonReply = await probe(socketPath, JSONRPC_PROBE, timeoutMs);
  if (jsonReply.includes('"jsonrpc":"2.0"')) return 'jsonrpc';
  const legacyReply = await probe(socketPath, LEGACY_PROBE, timeoutMs);
  if (legacyReply.includes('"state":"ok"') || legacyReply.includes('"state":"error"')) return 'legacy';
  throw new ZinitProtocolError(
    `Cannot tell which protocol the server at ${socketPath} speaks: it answered neither the JSON-RPC probe nor \`list\` like Zinit (got ${JSON.stringify(legacyReply.slice(0, 120))}). Is this a Zinit socket?`,
  );
}

/** Detected protocols per socket path, shared by every client in this process: detection runs once per socket. */
const detectedProtocols = new Map<string, ZinitProtocol>();

/**
 * The protocol of the Zinit at `socketPath`, detected on first use and cached per socket. `refresh` detects again
 * (after Zinit was unreachable, or answered garbage: it may have come back as another version).
 */
export async function protocolOf(socketPath: string, { refresh = false } = {}): Promise<ZinitProtocol> {
  const cached = refresh ? undefined : detectedProtocols.get(socketPath);
  if (cached) return cached;
  const protocol = await detectProtocol(socketPath);
  detectedProtocols.set(socketPath, protocol);
  return protocol;
}
