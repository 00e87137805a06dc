/** `user: nobody` / `group: nogroup` in a config → numeric ids, read from /etc/passwd and /etc/group. */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

async function lookup(file: string, name: string, idField: number, path: string): Promise<number> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // no such database (not Linux): only numeric ids work
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name) return Number(fields[idField]);
  }
  throw new ConfigError(`${path}: no ${file === '/etc/passwd' ? 'user' : 'group'} named "${name}" in ${file}.`, [
    { path, message: `unknown name "${name}"` },
  ]);
}

export async function resolveUserId(user: string | number, path: string): Promise<number> {
  return typeof user === 'number' ? user : lookup('/etc/passwd', user, 2, path);
}

export async function resolveGroupId(group: string | number, path: string): Promise<number> {
  return typeof group === 'number' ? group : lookup('/etc/group', group, 2, path);
}

/** The primary group of a user id, for `user` without `group`. */
export async function primaryGroupOf(uid: number): Promise<number> {
  try {
    const text = await readFile('/etc/passwd', 'utf8');
    for (const line of text.split('\n')) {
      const fields = line.split(':');
      if (Number(fields[2]) === uid && fields[3] !== undefined) return Number(fields[3]);
    }
  } catch {
    // fall through
  }
  return uid;
}
