/**
 * Turns validation findings into messages a person can act on: the path (`scriptTypes.python.max`), what was
 * expected, the value found (never a secret's), and for an unknown key the closest known one.
 */
import type { z } from 'zod';
import { REDACTED, redactUrl } from '../log/redact.js';
import { didYouMean } from './did-you-mean.js';
import { isPlainObject } from './interpolate.js';

export type ConfigPath = readonly (string | number | symbol)[];

export interface ConfigIssue {
  /** `scriptTypes.python.max`; empty for the document itself. */
  path: string;
  /** What is wrong and what was expected, with the value found. */
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['scriptTypes', 'python', 'args', 0]` → `scriptTypes.python.args[0]`; odd keys are quoted: `env["A.B"]`. */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

/** The value at `path` in the raw document, or undefined. */
export function valueAt(root: unknown, path: ConfigPath): unknown {
  let current = root;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current) && typeof segment === 'string' && Object.hasOwn(current, segment))
      current = current[segment];
    else return undefined;
  }
  return current;
}

/** Whether the value at `path` is a secret: the Redis password, the admin token, an env value marked secret. */
export function isSecretPath(root: unknown, path: ConfigPath): boolean {
  const [first, second, third, fourth] = path;
  if (first === 'redis' && second === 'password') return true;
  if (first === 'admin' && second === 'token') return true;
  if ((first === 'scriptTypes' || first === 'services') && third === 'env' && fourth !== undefined) {
    const entry = valueAt(root, path.slice(0, 4));
    // An object entry is secret unless it says `secret: false`: when in doubt, hide it.
    return isPlainObject(entry) && entry.secret !== false;
  }
  return false;
}

/** `-1 (number)`, `"abc" (string)`, `an object`; secrets show as `[REDACTED]`. */
export function describeValue(root: unknown, path: ConfigPath): string {
  const value = valueAt(root, path);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (isSecretPath(root, path) && typeof value !== 'object') return `${REDACTED} (${typeof value})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = path[0] === 'redis' && path[1] === 'url' ? redactUrl(value) : value;
    const clipped = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
    return `${JSON.stringify(clipped)} (string)`;
  }
  return `${String(value)} (${typeof value})`;
}

const ARTICLE: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  int: 'an integer',
  integer: 'an integer',
};

function expectedType(expected: string): string {
  return ARTICLE[expected] ?? `a ${expected}`;
}

function bound(issue: { origin?: string; inclusive?: boolean }, value: unknown, below: boolean): string {
  const n = Number(value);
  switch (issue.origin) {
    case 'string':
      return below
        ? n === 1
          ? 'a non-empty string'
          : `a string of at least ${n} characters`
        : `a string of at most ${n} characters`;
    case 'array':
      return below ? `at least ${n} item${n === 1 ? '' : 's'}` : `at most ${n} items`;
    default:
      return `a number ${below ? '>' : '<'}${issue.inclusive === false ? '' : '='} ${n}`;
  }
}

/** The keys a strict object at `path` accepts, read from the schema itself. */
export function knownKeysAt(schema: z.ZodType, path: ConfigPath, root: unknown): string[] {
  const keys = new Set<string>();
  const visit = (node: z.ZodType | undefined, rest: ConfigPath, rawPath: ConfigPath): void => {
    if (node === undefined) return;
    const def = (node as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        visit(def.innerType as z.ZodType, rest, rawPath);
        return;
      case 'pipe':
        visit(def.in as z.ZodType, rest, rawPath);
        return;
      case 'union':
        for (const option of def.options as z.ZodType[]) {
          // A discriminated union: only the option the document picked.
          const discriminator = def.discriminator as string | undefined;
          if (discriminator !== undefined) {
            const picked = valueAt(root, [...rawPath, discriminator]);
            const shape = (option as unknown as { shape?: Record<string, z.ZodType> }).shape;
            const literal = shape?.[discriminator] as unknown as
              | { _zod?: { def?: { values?: unknown[] } } }
              | undefined;
            if (picked !== undefined && !literal?._zod?.def?.values?.includes(picked)) continue;
          }
          visit(option, rest, rawPath);
        }
        return;
      case 'object': {
        const shape = def.shape as Record<string, z.ZodType>;
        if (rest.length === 0) {
          for (const key of Object.keys(shape)) keys.add(key);
          return;
        }
        const [head, ...tail] = rest;
        visit(shape[String(head)], tail, [...rawPath, head as string]);
        return;
      }
      case 'record': {
        if (rest.length === 0) return;
        const [head, ...tail] = rest;
        visit(def.valueType as z.ZodType, tail, [...rawPath, head as string]);
        return;
      }
      case 'array': {
        if (rest.length === 0) return;
        const [head, ...tail] = rest;
        visit(def.element as z.ZodType, tail, [...rawPath, head as number]);
        return;
      }
      default:
        return;
    }
  };
  visit(schema, path, []);
  return [...keys];
}

/** One zod issue → one or more config issues (an `unrecognized_keys` issue names each key). */
export function toConfigIssues(issue: z.core.$ZodIssue, schema: z.ZodType, root: unknown): ConfigIssue[] {
  const path = issue.path;
  const got = (): string => describeValue(root, path);
  // Our schema's own messages start with "expected" and win over the generic wording below.
  const own =
    !['unrecognized_keys', 'invalid_key', 'invalid_union'].includes(issue.code) && issue.message.startsWith('expected');
  if (own && valueAt(root, path) !== undefined)
    return [{ path: formatPath(path), message: `${issue.message}, got ${got()}` }];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path, root);
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, known);
        const hint =
          suggestion !== undefined ? `did you mean \`${suggestion}\`?` : `expected one of: ${known.join(', ')}`;
        return { path: formatPath([...path, key]), message: `unknown key; ${hint}` };
      });
    }
    case 'invalid_type': {
      if (valueAt(root, path) === undefined)
        return [{ path: formatPath(path), message: `required: expected ${expectedType(issue.expected)}` }];
      return [{ path: formatPath(path), message: `expected ${expectedType(issue.expected)}, got ${got()}` }];
    }
    case 'too_small':
      return [{ path: formatPath(path), message: `expected ${bound(issue, issue.minimum, true)}, got ${got()}` }];
    case 'too_big':
      return [{ path: formatPath(path), message: `expected ${bound(issue, issue.maximum, false)}, got ${got()}` }];
    case 'invalid_value':
      return [
        {
          path: formatPath(path),
          message: `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got()}`,
        },
      ];
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = ((issue as unknown as { options?: unknown[] }).options ?? []).map((v) => JSON.stringify(v));
        const discriminatorPath = path.at(-1) === issue.discriminator ? path : [...path, issue.discriminator];
        return [
          {
            path: formatPath(discriminatorPath),
            message: `expected one of ${options.join(', ')}, got ${describeValue(root, discriminatorPath)}`,
          },
        ];
      }
      // The value has the shape of one option (an object where a string or an object is allowed): report that
      // option's own findings, which say which field is wrong, instead of "no option matched".
      const value = valueAt(root, path);
      if (typeof value === 'object' && value !== null) {
        const shaped = issue.errors.filter(
          (branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0),
        );
        if (shaped.length === 1) {
          return (shaped[0] as z.core.$ZodIssue[]).flatMap((inner) =>
            toConfigIssues({ ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue, schema, root),
          );
        }
      }
      return [{ path: formatPath(path), message: `${expectation(issue.message)}, got ${got()}` }];
    }
    case 'invalid_key': {
      const key = path.at(-1);
      const inner = issue.issues[0]?.message ?? 'expected a valid name';
      return [
        { path: formatPath(path), message: `invalid name ${JSON.stringify(String(key))}: ${expectation(inner)}` },
      ];
    }
    case 'invalid_format':
      return [{ path: formatPath(path), message: `${expectation(issue.message)}, got ${got()}` }];
    case 'custom':
      return [{ path: formatPath(path), message: `${expectation(issue.message)}, got ${got()}` }];
    default:
      return [{ path: formatPath(path), message: `${issue.message}, got ${got()}` }];
  }
}

/** Our own messages start with "expected"; zod's generic ones are rephrased to. */
function expectation(message: string): string {
  if (message.startsWith('expected')) return message;
  if (message === 'Invalid input') return 'expected a valid value';
  return `expected a valid value (${message})`;
}
