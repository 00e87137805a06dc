/**
 * Runs one job's script with an interpreter: argv without a shell, the script on stdin, the interpreter in its own
 * process group (so a timeout or shutdown kills everything it started, and the worker's graceful stop, signalled to
 * the worker's group, does not cut a script short), stdout as the result, a non-zero exit as a failure carrying
 * stderr. The interpreter dies with its worker: the worker's exit hooks and, when it dies unseen, its reaper kill
 * every script group left (script-groups.ts, group-reaper.ts); only where no reaper runs does the interpreter run
 * under `setpriv --pdeathsig KILL` (parent-death-signal.ts), an exec per job the reaper makes unnecessary.
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { ScriptError } from '../errors.js';
import type { Execute } from './execute.js';
import { describeProcesses, listProcesses, processesWithEnv, processGroupOf } from './leftover-processes.js';
import { type ParentDeathWrapper, parentDeathWrapper, wrapWithParentDeathSignal } from './parent-death-signal.js';
import { type ResolvedExecutable, resolveExecutable } from './resolve-executable.js';
import { acquireScriptCgroup } from './script-cgroup.js';
import { scriptBaseEnv } from './script-env.js';
import { killGroup, scriptGroupsReaped, trackScriptGroup } from './script-groups.js';

/** Interpreters built in, by script type; others need `--interpreter`. */
export const DEFAULT_INTERPRETERS: Readonly<Record<string, readonly string[]>> = {
  python: ['python3'],
};

/** Each of stdout and stderr is kept up to this size; the rest is dropped (a result lives in Redis). */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface ScriptRunnerOptions {
  /** argv of the interpreter; the script arrives on its stdin. */
  interpreter: readonly string[];
  /** @defaultValue MAX_OUTPUT_BYTES */
  maxOutputBytes?: number;
  /** Base environment (job env is merged over it), without its secrets (script-env.ts). @defaultValue process.env */
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Run each script in a cgroup v2 of its own where the worker can (root, a writable cgroup2 mount), so that what it
   * leaves running is killed even outside its process group (script-cgroup.ts). @defaultValue true
   */
  cgroups?: boolean;
}

/** A tiny shell-words splitter for `--interpreter`: spaces separate, '…' and "…" group, \ escapes. No expansion. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else current += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) current += text[++i];
      else current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`Unterminated ${quote} quote in \`${text}\``);
  if (inWord) words.push(current);
  return words;
}

/** A job's environment: the shared base itself when the job adds nothing (spawn never mutates it), else a merge. */
function scriptEnv(base: NodeJS.ProcessEnv, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  for (const _ in extra) return { ...base, ...extra };
  return base;
}

/** Cached resolutions per PATH are dropped past this many (a job may set its own PATH). */
const MAX_CACHED_PATHS = 16;

/**
 * The interpreter's file per PATH, resolved on the first job and kept: a lookup per job costs a stat per PATH
 * entry. A miss is never kept (the operator may install the interpreter while the worker runs), and a hit is dropped
 * when running it fails as a missing or non-executable file would (`forget`).
 */
class InterpreterCache {
  readonly #found = new Map<string, string>();
  constructor(readonly command: string) {}

  async resolve(path: string): Promise<ResolvedExecutable> {
    const cached = this.#found.get(path);
    if (cached !== undefined) return { type: 'found', path: cached };
    const result = await resolveExecutable(this.command, path);
    if (result.type === 'found') {
      if (this.#found.size >= MAX_CACHED_PATHS) this.#found.clear();
      this.#found.set(path, result.path);
    }
    return result;
  }

  forget(path: string): void {
    this.#found.delete(path);
  }
}

/** Errors from `runChild` where the interpreter never ran: its exec failed (ENOENT, EACCES), directly or in setpriv. */
const execFailures = new WeakSet<Error>();

/** util-linux's setpriv reports a failed exec on stderr with this prefix, then exits 127 (ENOENT) or 126. */
const SETPRIV_EXEC_FAILED = 'setpriv: failed to execute ';

class OutputBuffer {
  #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;
  constructor(readonly limit: number) {}
  push(chunk: Buffer): void {
    if (this.#size >= this.limit) {
      this.#truncated = true;
      return;
    }
    const room = this.limit - this.#size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept !== chunk) this.#truncated = true;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }
  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    return this.#truncated ? `${text}\n[output truncated at ${this.limit} bytes]` : text;
  }
}

/** No wrapper needed: the reaper kills the script's group when the worker dies. */
const REAPED: ParentDeathWrapper = { type: 'unavailable', reason: 'the reaper kills script groups' };

let warnedNoParentDeathSignal = false;

function warnOnceWithoutParentDeathSignal(logger: Logger | undefined, reason: string): void {
  if (warnedNoParentDeathSignal) return;
  warnedNoParentDeathSignal = true;
  logger?.warn(
    { reason },
    'scripts run without a parent-death signal: a worker killed with SIGKILL leaves its running scripts behind',
  );
}

function missingInterpreter(command: string, shown: string, code: 'ENOENT' | 'EACCES'): ScriptError {
  const message =
    code === 'ENOENT'
      ? `Interpreter \`${command}\` not found (ENOENT): install it or pass --interpreter '<argv>'.`
      : `Interpreter \`${command}\` is not executable (EACCES).`;
  return new ScriptError(message, { retryable: false, stderr: '' }, { cause: new Error(`${code}: ${shown}`) });
}

/** The interpreter is missing on the PATH the job's env sets: name both, and where the worker's own PATH finds it. */
async function hiddenByJobPath(
  command: string,
  shown: string,
  jobPath: string,
  workerPath: string | undefined,
): Promise<ScriptError> {
  const onWorkerPath = await resolveExecutable(command, workerPath ?? '');
  const found = onWorkerPath?.type === 'found' ? ` (the worker's own PATH finds it at ${onWorkerPath.path})` : '';
  return new ScriptError(
    `Interpreter \`${command}\` not found on the job's PATH \`${jobPath}\`: the job's env sets PATH, which hides ` +
      `the interpreter${found}. Leave PATH out of the job's env, or include the interpreter's directory in it.`,
    { retryable: false, stderr: '' },
    { cause: new Error(`ENOENT: ${shown}`) },
  );
}

/** An `execute` function for `createWorker` that runs each job's script with `interpreter`. */
export function createScriptRunner(options: ScriptRunnerOptions): Execute {
  const [command, ...args] = options.interpreter;
  if (command === undefined || command === '') throw new Error('The interpreter argv is empty.');
  const limit = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  // Snapshot of the base environment, taken once: later changes to process.env do not reach scripts.
  const baseEnv = scriptBaseEnv(options.baseEnv ?? process.env);
  const shown = options.interpreter.join(' ');
  const interpreters = new InterpreterCache(command);

  return async (job, { signal, logger }) => {
    signal.throwIfAborted();
    const env = scriptEnv(baseEnv, job.env);
    const path = env.PATH ?? '';
    // Resolved before spawning, on the PATH the script gets (as spawn would): under setpriv a missing interpreter
    // would only show as setpriv's exit 127, and the job must fail with a message naming the interpreter.
    // With the reaper running (script-groups.ts) the script's group dies with the worker, however it dies: no extra
    // exec of setpriv per job. setpriv is the fallback where no reaper can run.
    const [interpreter, wrapper] = await Promise.all([
      interpreters.resolve(path),
      scriptGroupsReaped() ? REAPED : parentDeathWrapper(),
    ]);
    if (interpreter.type === 'missing') {
      // A job's own PATH that hides the interpreter is the job's mistake, not the worker's: say so.
      if (job.env?.PATH !== undefined && !command.includes('/'))
        throw await hiddenByJobPath(command, shown, job.env.PATH, baseEnv.PATH);
      throw missingInterpreter(command, shown, interpreter.code);
    }
    if (wrapper.type === 'unavailable' && wrapper !== REAPED) warnOnceWithoutParentDeathSignal(logger, wrapper.reason);
    signal.throwIfAborted();
    const run = (file: string) =>
      runChild(wrapWithParentDeathSignal(wrapper, file, args), {
        env,
        limit,
        shown,
        command,
        script: job.script,
        signal,
        logger,
        cgroups: options.cgroups ?? true,
      });
    try {
      return await run(interpreter.path);
    } catch (error) {
      if (!(error instanceof Error) || !execFailures.has(error)) throw error;
      // The cached file could not be executed (removed, moved, made non-executable): look again, once. The script
      // never ran, so running it again is safe.
      interpreters.forget(path);
      const again = await interpreters.resolve(path);
      if (again.type === 'missing') throw missingInterpreter(command, shown, again.code);
      if (again.path === interpreter.path) throw error;
      signal.throwIfAborted();
      return run(again.path);
    }
  };
}

interface RunChildOptions {
  env: NodeJS.ProcessEnv;
  limit: number;
  /** The interpreter argv as the operator wrote it, for messages. */
  shown: string;
  command: string;
  script: string;
  signal: AbortSignal;
  logger: Logger | undefined;
  /** Put the script in a cgroup of its own where possible (script-cgroup.ts). */
  cgroups: boolean;
}

function runChild(
  spawned: { file: string; args: string[] },
  { env: baseEnv, limit, shown, command, script, signal, logger, cgroups }: RunChildOptions,
): ReturnType<Execute> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Everything the script starts stays in its cgroup, even a daemon that leaves its process group. Without one, a
    // marker in its environment (inherited by its descendants) lets the worker name what it left running.
    const cgroup = cgroups ? acquireScriptCgroup() : undefined;
    const marker = cgroup ? undefined : `${SCRIPT_MARKER_ENV}=${process.pid}-${++scriptCount}`;
    const env =
      marker === undefined ? baseEnv : { ...baseEnv, [SCRIPT_MARKER_ENV]: marker.slice(SCRIPT_MARKER_ENV.length + 1) };
    const child = spawn(spawned.file, spawned.args, {
      // Own session and process group: kill(-pid) reaches everything the interpreter starts, and a signal to the
      // worker's group (its graceful stop) does not. Node trap: setsid runs in the child between fork and exec, so a
      // signal to the worker's group in that window still reaches it (create-worker.ts handles that case).
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    // Moved into its cgroup first: one the reaper kills when the worker dies needs no record of its group there.
    const inCgroup = cgroup !== undefined && child.pid !== undefined && cgroup.adopt(child.pid);
    const untrack =
      child.pid === undefined
        ? () => {}
        : trackScriptGroup(child.pid, { inReapedCgroup: inCgroup && cgroup?.reapedOnDeath === true });
    const stdout = new OutputBuffer(limit);
    const stderr = new OutputBuffer(limit);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE when the interpreter exits before reading the whole script: its exit status tells the story.
    child.stdin.on('error', () => {});

    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;
    /** What the worker found left running after the interpreter exited: appended to the job's stderr. */
    let leftoverNote = '';
    const onAbort = () => {
      killGroup(child.pid);
      cgroup?.kill();
      finish(() => reject(signal.reason));
    };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(drainTimer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    // Node trap: when spawn fails (ENOENT, EACCES) `error` is emitted and `exit` never is; `close` still may be.
    child.once('error', (error: NodeJS.ErrnoException) => {
      untrack();
      cgroup?.release();
      const reason =
        error.code === 'ENOENT'
          ? `Interpreter \`${command}\` not found (ENOENT): install it or pass --interpreter '<argv>'.`
          : error.code === 'EACCES'
            ? `Interpreter \`${command}\` is not executable (EACCES).`
            : `Interpreter \`${shown}\` could not be started: ${error.message}`;
      const failure = new ScriptError(reason, { retryable: false }, { cause: error });
      if (error.code === 'ENOENT' || error.code === 'EACCES') execFailures.add(failure);
      finish(() => reject(failure));
    });

    const settleExit = (code: number | null, signalName: NodeJS.Signals | null) =>
      finish(() => {
        const durationMs = Math.round(performance.now() - started);
        const errorText = stderr.text() + leftoverNote;
        if (code === 0) {
          resolve({ stdout: stdout.text(), stderr: errorText, exitCode: 0, durationMs });
          return;
        }
        const how = code === null ? `was killed by ${signalName}` : `exited with code ${code}`;
        const failure = new ScriptError(`Script ${how} (${shown}).`, {
          stderr: errorText,
          exitCode: code ?? -1,
          signal: signalName ?? undefined,
        });
        if ((code === 126 || code === 127) && errorText.startsWith(SETPRIV_EXEC_FAILED)) execFailures.add(failure);
        reject(failure);
      });

    // The outcome is decided when the interpreter exits. Kill what it left in its group (closing the pipes those
    // held) and in its cgroup; then read the output until the pipes close, for at most DRAIN_AFTER_EXIT_MS: a
    // descendant that left both (a daemon, without a cgroup) may hold them open for ever.
    child.once('exit', (code: number | null, signalName: NodeJS.Signals | null) => {
      killGroup(child.pid);
      untrack();
      const members = cgroup ? cgroup.members() : [];
      // Named: those that had left the script's process group (the rest were its group, killed just above as always).
      // Read from /proc before the cgroup is killed: a killed process loses its command line and group there.
      const escaped = describeProcesses(
        members.filter((pid) => {
          const group = processGroupOf(pid);
          return group !== undefined && group !== child.pid;
        }),
      );
      if (members.length > 0) cgroup?.kill();
      if (escaped.length > 0) {
        leftoverNote = leftoverLine(`killed (they were in the script's cgroup): ${listProcesses(escaped)}`);
        logger?.warn({ processes: escaped, cgroup: cgroup?.path }, 'script left processes running: killed');
      }
      // Given back only now that its members were read: an earlier release could hand it to the next script.
      cgroup?.release();
      // Aborted (timeout, shutdown): settled already, and the group and cgroup were killed.
      if (settled) return;
      drainTimer = setTimeout(() => {
        const holders = marker === undefined ? [] : processesWithEnv(marker);
        if (holders.length > 0) {
          leftoverNote += leftoverLine(
            `still running outside its process group (not killed: the worker has no cgroup per script here): ` +
              listProcesses(holders),
          );
          logger?.warn({ processes: holders }, 'script left processes running outside its process group');
        }
        child.stdout.destroy();
        child.stderr.destroy();
        settleExit(code, signalName);
      }, DRAIN_AFTER_EXIT_MS);
    });
    child.once('close', (code: number | null, signalName: NodeJS.Signals | null) => settleExit(code, signalName));

    child.stdin.end(script);
  });
}

/** How long the output is still read after the interpreter exited, when something else keeps its pipes open. */
export const DRAIN_AFTER_EXIT_MS = 200;

/** Set in a script's environment where it has no cgroup: its descendants carry it, so the worker can find them. */
export const SCRIPT_MARKER_ENV = 'HERO_SCRIPT_ID';
let scriptCount = 0;

function leftoverLine(text: string): string {
  return `\n[hero-worker] the script exited and left processes behind, ${text}\n`;
}
