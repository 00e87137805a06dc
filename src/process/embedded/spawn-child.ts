/**
 * Starts one child: no shell, its own process group, stdout/stderr piped. Resolves once the OS has started it.
 *
 * Node trap handled here: when the binary cannot be started (ENOENT, EACCES, EPERM for uid/gid), the child emits
 * `error` *instead of* `spawn`, and no `exit` follows (only `close`). So the outcome is decided by whichever of
 * `spawn` / `error` comes first, and the caller attaches its `exit` handler only to a child that did spawn.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { SpawnError } from '../../errors.js';

export interface SpawnRequest {
  service: string;
  argv: readonly string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** `pipe` to capture output, `ignore` for health checks. */
  output: 'pipe' | 'ignore';
}

/** Words for the errno codes a spawn commonly fails with; others show their code only. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory, or the cwd does not exist',
  EACCES: 'permission denied: is the file executable?',
  EPERM: 'operation not permitted: setting uid/gid needs root',
  ENOTDIR: 'a path component is not a directory',
  E2BIG: 'argument list too long',
};

/** "Cannot start `/usr/bin/x` for service "api": ENOENT (no such file or directory)". */
export function describeSpawnFailure(service: string, binary: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // execve says EACCES for a directory too: say what it is rather than suggest a missing execute bit.
  const words =
    code === 'EACCES' && isDirectory(binary)
      ? 'it is a directory, not a program'
      : code === undefined
        ? error instanceof Error
          ? error.message
          : String(error)
        : ERRNO_WORDS[code];
  return `Cannot start \`${binary}\` for service "${service}": ${code ?? 'error'}${words ? ` (${words})` : ''}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Refuses a uid/gid switch the OS would refuse anyway, with a message that says why. */
function checkPrivileges(request: SpawnRequest): void {
  const currentUid = process.getuid?.();
  if (currentUid === undefined || currentUid === 0) return;
  const wantsUid = request.uid !== undefined && request.uid !== currentUid;
  const wantsGid = request.gid !== undefined && request.gid !== process.getgid?.();
  if (wantsUid || wantsGid) {
    throw new SpawnError(
      request.service,
      `Cannot start service "${request.service}" as uid ${request.uid ?? currentUid} / gid ${request.gid ?? process.getgid?.()}: ` +
        `the supervisor runs as uid ${currentUid}, and only root can switch user. Run the supervisor as root, or drop uid/gid.`,
    );
  }
}

/** Spawns the child; rejects with SpawnError (message naming the binary and errno) when it cannot start. */
export function spawnChild(request: SpawnRequest): Promise<ChildProcess & { pid: number }> {
  const binary = request.argv[0] as string;
  checkPrivileges(request);
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(binary, request.argv.slice(1), {
        cwd: request.cwd,
        env: request.env,
        // Own process group (pgid = pid): signals to -pid reach grandchildren too.
        detached: true,
        shell: false,
        stdio: ['ignore', request.output, request.output],
        ...(request.uid === undefined ? {} : { uid: request.uid }),
        ...(request.gid === undefined ? {} : { gid: request.gid }),
      });
    } catch (error) {
      // Synchronous throws: invalid arguments Node rejects before asking the OS.
      reject(new SpawnError(request.service, describeSpawnFailure(request.service, binary, error), { cause: error }));
      return;
    }
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      reject(new SpawnError(request.service, describeSpawnFailure(request.service, binary, error), { cause: error }));
    };
    const onSpawn = () => {
      child.off('error', onError);
      // Later errors (a failed kill, a broken pipe) must not crash the supervisor: they are not exits.
      child.on('error', () => undefined);
      resolve(child as ChildProcess & { pid: number });
    };
    child.once('error', onError);
    child.once('spawn', onSpawn);
  });
}
