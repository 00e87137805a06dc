/**
 * Finds the file `execvp` would run for a command, before spawning it: a missing interpreter must fail its job with
 * a message naming the interpreter, and once the interpreter runs under `setpriv` a failed exec would only show as
 * setpriv's own exit 127.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type ResolvedExecutable =
  | { type: 'found'; path: string }
  /** `ENOENT`: no such file; `EACCES`: a file exists but is not executable (or is a directory). */
  | { type: 'missing'; code: 'ENOENT' | 'EACCES' };

async function isExecutableFile(path: string): Promise<'yes' | 'no-file' | 'not-executable'> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return 'not-executable';
    await access(path, constants.X_OK);
    return 'yes';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'not-executable' : 'no-file';
  }
}

/**
 * Resolves `command` as `execvp` does: a name with a `/` is taken as it is, any other is looked up in `PATH` (an empty
 * entry meaning the current directory). As `execvp`, it goes on past a file it may not execute and reports `EACCES`
 * only when nothing executable is found.
 */
export async function resolveExecutable(command: string, path = process.env.PATH ?? ''): Promise<ResolvedExecutable> {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).map((dir) => join(dir || '.', command));
  let sawNotExecutable = false;
  for (const candidate of candidates) {
    const result = await isExecutableFile(candidate);
    if (result === 'yes') return { type: 'found', path: candidate };
    if (result === 'not-executable') sawNotExecutable = true;
  }
  return { type: 'missing', code: sawNotExecutable ? 'EACCES' : 'ENOENT' };
}
