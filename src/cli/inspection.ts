/**
 * Actor inspection for `--inspect` and `--inspect-log`: an xstate `inspect` observer that streams every
 * actor, event and snapshot to Stately's inspector over WebSocket (through @statelyai/inspect's local relay)
 * and/or appends them to a file as JSON lines, in the same Stately inspection-event shape, so a run can be
 * replayed later (`hero-supervisor replay <file>`). Secrets are scrubbed from events and contexts first.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { InspectionEvent, Observer } from 'xstate';
import type { Redactor } from '../log/redact.js';

/** The relay's default port, as in @statelyai/inspect. */
export const DEFAULT_INSPECT_PORT = 8080;

export interface InspectionOptions {
  /** Stream to Stately's inspector: `true` (relay on port 8080), a port, or `ws://…` of a running relay. */
  inspect?: boolean | string;
  /** Append every inspection event to this file as JSON lines. */
  inspectLog?: string;
  redactor: Redactor;
  /** Told where to open the inspector. */
  announce: (message: string) => void;
}

export interface Inspection {
  /** Pass as `createActor(machine, { inspect })` (or to the lifecycle manager). */
  inspect: Observer<InspectionEvent>;
  close(): Promise<void>;
}

type StatelyModule = typeof import('@statelyai/inspect');

/** @statelyai/inspect converts each event in a setTimeout(0): one timer later, every queued event is through. */
const INSPECTOR_FLUSH_MS = 5;

/** JSON of an inspection event; actor references can be cyclic, so a repeated object becomes `"[Circular]"`. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[Circular]';
      seen.add(item);
    }
    return typeof item === 'function' ? undefined : item;
  });
}

async function loadStately(): Promise<StatelyModule> {
  try {
    return await import('@statelyai/inspect');
  } catch (error) {
    throw new Error(
      '--inspect and --inspect-log need @statelyai/inspect, which is not installed: run `npm install @statelyai/inspect`.',
      { cause: error },
    );
  }
}

export async function createInspection(options: InspectionOptions): Promise<Inspection | undefined> {
  if (!options.inspect && options.inspectLog === undefined) return undefined;
  const stately = await loadStately();
  const sanitize = <T>(value: T): T => {
    try {
      return JSON.parse(options.redactor.redact(JSON.stringify(value))) as T;
    } catch {
      return value;
    }
  };
  const common = { sanitizeContext: sanitize, sanitizeEvent: sanitize };
  const observers: Observer<InspectionEvent>[] = [];
  const closers: (() => Promise<void> | void)[] = [];

  if (options.inspect) {
    let url: string;
    if (typeof options.inspect === 'string' && /^wss?:\/\//.test(options.inspect)) url = options.inspect;
    else {
      const port = options.inspect === true ? DEFAULT_INSPECT_PORT : Number(options.inspect);
      if (!Number.isInteger(port) || port <= 0 || port > 65_535)
        throw new Error(`Expected --inspect to be a port or a ws:// URL, got \`${String(options.inspect)}\`.`);
      const { createInspectorServer } = await import('@statelyai/inspect/server');
      // The relay listens on every interface: use --inspect on a trusted machine only.
      const server = createInspectorServer({ port, autoOpen: false });
      closers.push(() => server.stop());
      url = `ws://localhost:${port}`;
      options.announce(`Stately inspector: open http://localhost:${port} in a browser`);
    }
    const inspector = stately.createWebSocketInspector({ url, ...common });
    observers.push(inspector.inspect);
    closers.push(() => inspector.stop());
  }

  if (options.inspectLog !== undefined) {
    const file: WriteStream = createWriteStream(options.inspectLog, { flags: 'a', mode: 0o600 });
    const inspector = stately.createInspector(
      {
        send: (event) => {
          if (!file.writableEnded) file.write(`${options.redactor.redact(safeJson(event))}\n`);
        },
      },
      common,
    );
    observers.push(inspector.inspect);
    closers.push(() => new Promise<void>((resolve) => file.end(() => resolve())));
  }

  return {
    inspect: {
      next: (event) => {
        for (const observer of observers) observer.next?.(event);
      },
    },
    async close() {
      // The inspector hands each event over on a later timer tick: let the ones already queued through first.
      await new Promise((resolve) => setTimeout(resolve, INSPECTOR_FLUSH_MS));
      for (const close of closers.reverse()) await close();
    },
  };
}

/** Sends a recorded `--inspect-log` file to Stately's inspector (relay on `port`), event by event. */
export async function replayInspectionLog(
  lines: AsyncIterable<string>,
  port: number,
  announce: (message: string) => void,
): Promise<{ events: number; stop: () => void }> {
  const stately = await loadStately();
  const { createInspectorServer } = await import('@statelyai/inspect/server');
  const server = createInspectorServer({ port, autoOpen: false });
  announce(`Stately inspector: open http://localhost:${port} in a browser`);
  const inspector = stately.createWebSocketInspector({ url: `ws://localhost:${port}` });
  let events = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    inspector.adapter.send(JSON.parse(line));
    events++;
  }
  return {
    events,
    stop: () => {
      inspector.stop();
      server.stop();
    },
  };
}
