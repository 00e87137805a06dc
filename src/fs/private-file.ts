/**
 * Files only the supervisor's user may read (the generated admin token, the state file of children), written so
 * that nobody can redirect the write: never through a symbolic link, never into a file someone else created. The
 * content goes to a fresh temporary file beside the target (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a random
 * name), then replaces the target by rename, which replaces a link itself rather than what it points to.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** `~/.hero-supervisor`: the default home of token, state and lock files, kept at mode 0700. */
export function privateDir(): string {
  return join(homedir(), '.hero-supervisor');
}

/**
 * Creates `dir` (mode 0700) when missing. The default directory is also tightened to 0700 when it exists wider
 * (older versions created it 0755); a directory the operator chose is left as it is (it may be shared, like /tmp).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (resolve(dir) === resolve(privateDir())) chmodSync(dir, 0o700);
}

/**
 * Writes `content` to `path`, mode 0600, without following a symbolic link. A `path` that is a symbolic link or not a
 * regular file is refused with a ConfigError naming `field` (the config key of the path).
 */
export function writePrivateFileSync(path: string, content: string, field: string): void {
  const existing = lstatSync(path, { throwIfNoEntry: false });
  if (existing !== undefined && !existing.isFile()) {
    const what = existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
    throw new ConfigError(
      `Refusing to write ${path}: it is ${what}. Remove it, or point \`${field}\` at a path of its own.`,
      [{ path: field, message: `${path} is ${what}` }],
    );
  }
  ensurePrivateDir(dirname(path));
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(
    temporary,
    constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Already renamed or gone.
    }
    throw error;
  }
}
