/**
 * `${NAME}` in any string of the config file is replaced by that environment variable; `${NAME:-fallback}`
 * uses the fallback when it is unset or empty; `$${` writes a literal `${`. Done on the YAML tree before
 * validation, so a reference can fill any field (`password: ${REDIS_PASSWORD}`).
 */

export interface InterpolationIssue {
  path: readonly (string | number)[];
  message: string;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  issues: InterpolationIssue[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, issues, path);
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, issues, [...path, index]));
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a key named `__proto__` must stay a plain key (and fail validation).
      Object.defineProperty(result, key, {
        value: interpolateEnv(item, env, issues, [...path, key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  issues: InterpolationIssue[],
  path: (string | number)[],
): string {
  if (!text.includes('$')) return text;
  return text.replace(REFERENCE, (whole, inner: string | undefined) => {
    if (whole === '$${') return '${';
    const match = VARIABLE.exec(inner ?? '');
    if (match === null) {
      issues.push({
        path,
        message: `expected \`\${NAME}\` or \`\${NAME:-fallback}\` with NAME an environment variable name, got \`${whole}\``,
      });
      return whole;
    }
    const [, name, fallback] = match as unknown as [string, string, string | undefined];
    // Own keys only: `${constructor}` must be a missing variable, not Object's constructor.
    const found = Object.hasOwn(env, name) ? env[name] : undefined;
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    issues.push({
      path,
      message: `environment variable ${name} is not set (referenced as \`\${${name}}\`); set it, or give a fallback: \`\${${name}:-value}\``,
    });
    return whole;
  });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
