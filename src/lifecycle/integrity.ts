/**
 * Verifies a worker binary's sha256 before each start (the design's security section): a mismatch refuses the
 * start with an IntegrityError that names the worker, the file and both digests.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { IntegrityError } from '../errors.js';

/** Finds `binary` the way spawn does: a path with a slash as given, a bare name on PATH. */
export async function resolveBinary(binary: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  if (isAbsolute(binary) || binary.includes('/')) return binary;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: keep looking, as execvp does.
    }
  }
  return undefined;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function verifyBinary(worker: string, binary: string, expected: string): Promise<void> {
  const file = await resolveBinary(binary);
  if (file === undefined) {
    throw new IntegrityError(`Refusing to start worker "${worker}": binary ${binary} was not found on PATH.`);
  }
  let actual: string;
  try {
    actual = await sha256File(file);
  } catch (error) {
    throw new IntegrityError(
      `Refusing to start worker "${worker}": cannot read ${file} to check its sha256 (${(error as Error).message}).`,
      { cause: error },
    );
  }
  if (actual !== expected) {
    throw new IntegrityError(
      `Refusing to start worker "${worker}": ${file} has sha256 ${actual}, expected ${expected}. ` +
        'Was the binary replaced? Update the configured sha256 only if the change is intended.',
    );
  }
}
