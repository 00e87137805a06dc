/**
 * The config file (issue 6): a bad config never starts half; every error names the path, the value found and
 * what was expected; unknown keys get a did-you-mean; secrets never appear in messages.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSecrets, loadConfig, parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

function issuesOf(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(yaml, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected the config to be rejected');
}

const BAD_CONFIGS: { name: string; yaml: string; env?: Record<string, string>; messages: string[] }[] = [
  {
    name: 'a `__proto__` key, which would otherwise vanish into the prototype',
    yaml: 'services: { __proto__: { command: [redis-server] } }',
    messages: [
      'services.__proto__: `__proto__` is reserved by JavaScript objects and cannot be a key; choose another name',
    ],
  },
  {
    name: 'a reference to a variable that only Object.prototype has',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    yaml: 'redis: { url: "redis://127.0.0.1:6379", password: "${constructor}" }',
    messages: [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the reference
      'redis.password: environment variable constructor is not set (referenced as `${constructor}`); set it, or give a fallback: `${constructor:-value}`',
    ],
  },
  {
    name: 'min greater than max',
    yaml: 'scriptTypes: { python: { binary: hero-worker, min: 5, max: 2 } }',
    messages: ['scriptTypes.python: `min` (5) is greater than `max` (2); expected min <= max'],
  },
  {
    name: 'a misspelt key',
    yaml: 'scriptTypes: { python: { binary: hero-worker, mxa: 3 } }',
    messages: ['scriptTypes.python.mxa: unknown key; did you mean `max`?'],
  },
  {
    name: 'an unknown key far from any known one',
    yaml: 'logging: { colour: blue }',
    messages: ['logging.colour: unknown key; expected one of: level, pretty'],
  },
  {
    name: 'a misspelt top-level section',
    yaml: 'scriptType: {}',
    messages: ['scriptType: unknown key; did you mean `scriptTypes`?'],
  },
  {
    name: 'a negative max',
    yaml: 'scriptTypes: { python: { binary: hero-worker, max: -1 } }',
    messages: ['scriptTypes.python.max: expected a number >= 1, got -1 (number)'],
  },
  {
    name: 'a fractional min',
    yaml: 'scriptTypes: { python: { binary: hero-worker, min: 1.5 } }',
    messages: ['scriptTypes.python.min: expected an integer, got 1.5 (number)'],
  },
  {
    name: 'a missing binary',
    yaml: 'scriptTypes: { python: { min: 1 } }',
    messages: ['scriptTypes.python.binary: required: expected a string'],
  },
  {
    name: 'a bad duration',
    yaml: 'health: { idleTimeoutMs: 10 minutes }',
    messages: [
      'health.idleTimeoutMs: expected a duration: milliseconds as a non-negative integer, or a string such as `500ms`, `30s`, `10m`, got "10 minutes" (string)',
    ],
  },
  {
    name: 'an unknown process manager',
    yaml: 'processManager: { type: systemd }',
    messages: ['processManager.type: expected one of "embedded", "zinit", got "systemd" (string)'],
  },
  {
    name: 'a relative Zinit socket path',
    yaml: 'processManager: { type: zinit, socketPath: zinit.sock }',
    messages: ['processManager.socketPath: expected an absolute path, got "zinit.sock" (string)'],
  },
  {
    name: 'an unknown log level',
    yaml: 'logging: { level: verbose }',
    messages: [
      'logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "verbose" (string)',
    ],
  },
  {
    name: 'a port out of range',
    yaml: 'admin: { port: 70000 }',
    messages: ['admin.port: expected a number <= 65535, got 70000 (number)'],
  },
  {
    name: 'a script type name Zinit would refuse',
    yaml: 'scriptTypes: { "py.thon": { binary: hero-worker } }',
    messages: [
      'scriptTypes["py.thon"]: invalid name "py.thon": expected a name of letters, digits, `_` and `-` (at most 63, starting with a letter or digit)',
    ],
  },
  {
    name: 'a dependency on an undeclared service',
    yaml: 'services: { redis: { command: [redis-server] } }\nscriptTypes: { python: { binary: hero-worker, dependencies: [redsi] } }',
    messages: ['scriptTypes.python.dependencies[0]: unknown service "redsi"; did you mean `redis`?'],
  },
  {
    name: 'services that wait for each other',
    yaml: 'services: { a: { command: [x], after: [b] }, b: { command: [y], after: [a] } }',
    messages: ['services.a.after: services depend on each other in a cycle: a -> b -> a'],
  },
  {
    name: 'an env value that is neither a string nor an entry',
    yaml: 'scriptTypes: { python: { binary: hero-worker, env: { A: 3 } } }',
    messages: [
      'scriptTypes.python.env.A: expected a string, or an object `{ value | fromEnv, secret }`, got 3 (number)',
    ],
  },
  {
    name: 'an env entry with both value and fromEnv',
    yaml: 'scriptTypes: { python: { binary: hero-worker, env: { A: { value: x, fromEnv: B } } } }',
    messages: ['scriptTypes.python.env.A: expected exactly one of `value` and `fromEnv`, got an object'],
  },
  {
    name: 'an env entry read from an unset variable',
    yaml: 'scriptTypes: { python: { binary: hero-worker, env: { API_KEY: { fromEnv: API_KEY, secret: true } } } }',
    messages: [
      'scriptTypes.python.env.API_KEY.fromEnv: environment variable API_KEY is not set; set it before starting the supervisor',
    ],
  },
  {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    name: 'an unset ${VAR}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    yaml: 'redis: { password: "${REDIS_PASSWORD}" }',
    messages: [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
      'redis.password: environment variable REDIS_PASSWORD is not set (referenced as `${REDIS_PASSWORD}`); set it, or give a fallback: `${REDIS_PASSWORD:-value}`',
    ],
  },
  {
    name: 'a redis URL of another scheme',
    yaml: 'redis: { url: "http://localhost:6379" }',
    messages: ['redis.url: expected a redis:// or rediss:// URL, got "http://localhost:6379" (string)'],
  },
  {
    name: 'a backoff base above its cap',
    yaml: 'restartPolicy: { backoffBaseMs: 60s, backoffMaxMs: 1s }',
    messages: [],
  },
  {
    name: 'a document that is a list',
    yaml: '- redis\n- workers',
    messages: [': expected a mapping of settings (redis, scriptTypes, ...) at the top'],
  },
  {
    name: 'a YAML syntax error',
    yaml: 'redis: [',
    messages: [
      ': YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 9',
    ],
  },
  {
    name: 'a duplicate key',
    yaml: 'logging: {}\nlogging: {}',
    messages: [': YAML: Map keys must be unique at line 2, column 1'],
  },
];

describe('parseConfig', () => {
  it.each(BAD_CONFIGS.filter((entry) => entry.messages.length > 0))(
    'rejects $name with the exact message',
    ({ yaml, env, messages }) => {
      expect(issuesOf(yaml, env)).toEqual(messages);
    },
  );

  it('compares durations after normalizing them (60s base above a 1s cap)', () => {
    expect(issuesOf('restartPolicy: { backoffBaseMs: 60000, backoffMaxMs: 1000 }')).toEqual([
      'restartPolicy: `backoffBaseMs` (60000) is greater than `backoffMaxMs` (1000); expected base <= max',
    ]);
  });

  it('collects every error of a config at once, each with its path', () => {
    const issues = issuesOf(`
scriptTypes:
  python: { binary: hero-worker, min: 3, max: 1, mxa: 2 }
logging: { level: loud }
admin: { port: -1 }
`);

    expect(issues).toEqual([
      'scriptTypes.python.mxa: unknown key; did you mean `max`?',
      'logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud" (string)',
      'admin.port: expected a number >= 0, got -1 (number)',
      'scriptTypes.python: `min` (3) is greater than `max` (1); expected min <= max',
    ]);
  });

  it('says how many errors and where in the thrown message', () => {
    expect(() => parseConfig('logging: { level: loud }', { source: 'supervisor.yaml', env: {} })).toThrow(
      'Invalid config supervisor.yaml (1 error):\n  - logging.level: expected one of',
    );
  });

  it('never shows a secret value in an error', () => {
    const messages = issuesOf(
      `
redis: { url: "redis://:hunter2-in-url@localhost", password: 12345678 }
admin: { token: hunter2-short }
scriptTypes: { python: { binary: hero-worker, env: { KEY: { value: 99, secret: true } } } }
`,
    ).join('\n');

    expect(messages).toContain('redis.password: expected a string, got [REDACTED] (number)');
    expect(messages).toContain('admin.token: expected a token of at least 16 characters, got [REDACTED] (string)');
    expect(messages).toContain('scriptTypes.python.env.KEY.value: expected a string, got [REDACTED] (number)');
    expect(messages).not.toContain('12345678');
    expect(messages).not.toContain('99');
    expect(messages).not.toContain('hunter2');
  });

  it('applies every default to an empty file', () => {
    const config = parseConfig('', { env: {} });

    expect(config).toEqual({
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'hero' },
      processManager: { type: 'embedded' },
      scriptTypes: {},
      services: {},
      health: {
        idleTimeoutMs: 600_000,
        pingIntervalMs: 600_000,
        pingTimeoutMs: 5_000,
        failureThreshold: 3,
        startTimeoutMs: 30_000,
      },
      restartPolicy: {
        backoffBaseMs: 100,
        backoffMaxMs: 30_000,
        resetBackoffAfterMs: 30_000,
        maxRestarts: 5,
        windowMs: 60_000,
        giveUpCooldownMs: 300_000,
      },
      logging: { level: 'info', pretty: false },
      admin: { enabled: true, host: '127.0.0.1', port: 7171, tokenEnv: 'HERO_ADMIN_TOKEN' },
    });
  });

  it('normalizes duration strings to milliseconds', () => {
    const config = parseConfig('health: { idleTimeoutMs: 10m, pingTimeoutMs: 1.5s, pingIntervalMs: 250ms }', {
      env: {},
    });

    expect(config.health).toMatchObject({ idleTimeoutMs: 600_000, pingTimeoutMs: 1_500, pingIntervalMs: 250 });
  });

  it('defaults max to min (at least 1)', () => {
    const config = parseConfig('scriptTypes: { a: { binary: x, min: 3 }, b: { binary: x, min: 0 } }', { env: {} });

    expect([config.scriptTypes.a?.max, config.scriptTypes.b?.max]).toEqual([3, 1]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
  it('resolves ${VAR}, ${VAR:-fallback}, $${ escapes, fromEnv and passwordEnv from the given environment', () => {
    const config = parseConfig(
      `
redis: { url: "redis://\${REDIS_HOST:-127.0.0.1}:6390", passwordEnv: REDIS_PASSWORD, username: worker }
scriptTypes:
  python:
    binary: hero-worker
    env:
      PLAIN: "price: $\${cost}"
      API_KEY: { fromEnv: API_KEY, secret: true }
admin: { token: "\${ADMIN_TOKEN}" }
`,
      { env: { REDIS_PASSWORD: 'redis-secret-1', API_KEY: 'api-secret-2', ADMIN_TOKEN: 'admin-secret-3-long-enough' } },
    );

    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6390',
      keyPrefix: 'hero',
      username: 'worker',
      password: 'redis-secret-1',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${VAR}` reference, the config file's syntax
    expect(config.scriptTypes.python?.env).toEqual({ PLAIN: 'price: ${cost}', API_KEY: 'api-secret-2' });
    expect(config.scriptTypes.python?.secretEnv).toEqual(['API_KEY']);
    expect(config.admin.token).toBe('admin-secret-3-long-enough');
    expect(configSecrets(config).sort()).toEqual(['admin-secret-3-long-enough', 'api-secret-2', 'redis-secret-1']);
  });

  it('takes the admin token from HERO_ADMIN_TOKEN when the file names none', () => {
    const config = parseConfig('', { env: { HERO_ADMIN_TOKEN: 'from-the-environment' } });

    expect(config.admin.token).toBe('from-the-environment');
  });

  it('turns TLS on for a rediss:// URL', () => {
    const config = parseConfig('redis: { url: "rediss://redis.example:6380" }', { env: {} });

    expect(config.redis.tls).toEqual({ rejectUnauthorized: true });
  });

  it('accepts a Zinit backend with its defaults', () => {
    const config = parseConfig('processManager: { type: zinit }', { env: {} });

    expect(config.processManager).toEqual({
      type: 'zinit',
      socketPath: '/var/run/zinit.sock',
      configDir: '/etc/zinit',
      pollIntervalMs: 250,
    });
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hero-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file when it does not exist', async () => {
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(
      `Cannot read config file ${join(dir, 'missing.yaml')}: no such file.`,
    );
  });

  it('names the file in the error of an invalid config', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(path, 'logging: { level: loud }\n');

    await expect(loadConfig(path, { env: {} })).rejects.toThrow(`Invalid config ${path} (1 error):`);
  });

  it('loads every example config shipped in src/config/examples', async () => {
    const { readdir } = await import('node:fs/promises');
    const examples = (await readdir('src/config/examples')).filter((name) => name.endsWith('.yaml'));

    expect(examples.length).toBeGreaterThan(0);
    for (const name of examples) {
      await expect(
        loadConfig(join('src/config/examples', name), {
          env: {
            REDIS_PASSWORD: 'example-password',
            HERO_ADMIN_TOKEN: 'example-token-0123456789',
            API_KEY_FOR_WORKERS: 'example-key',
          },
        }),
      ).resolves.toBeDefined();
    }
  });
});

describe('passEnv: variables of the supervisor passed to workers by name', () => {
  it('merges the top-level list into each script type and service', () => {
    const config = parseConfig(
      `
passEnv: [HTTP_PROXY]
scriptTypes: { python: { binary: hero-worker, passEnv: [PYTHONPATH, HTTP_PROXY] } }
services: { cache: { command: [redis-server] } }
`,
      { env: {} },
    );

    expect(config.scriptTypes.python?.passEnv).toEqual(['HTTP_PROXY', 'PYTHONPATH']);
    expect(config.services.cache?.passEnv).toEqual(['HTTP_PROXY']);
  });

  it("refuses every name that holds one of the supervisor's secrets, and says why", () => {
    const issues = issuesOf(
      `
passEnv: [HERO_ADMIN_TOKEN, OK_TO_PASS]
redis: { url: "redis://127.0.0.1:6379", passwordEnv: REDIS_PW }
scriptTypes:
  python:
    binary: hero-worker
    env: { API_KEY: { fromEnv: CLOUD_KEY, secret: true } }
    passEnv: [REDIS_PW, CLOUD_KEY, SAME_AS_PASSWORD]
`,
      { REDIS_PW: 'redis-password-1', CLOUD_KEY: 'cloud-key-2', SAME_AS_PASSWORD: 'redis-password-1', OK_TO_PASS: 'x' },
    );

    const why = "a worker or service must never get the supervisor's secrets";
    expect(issues).toEqual([
      expect.stringMatching(
        new RegExp(`^passEnv\\[0\\]: HERO_ADMIN_TOKEN holds the admin token \\(\`admin.tokenEnv\`\\); ${why}`),
      ),
      expect.stringMatching(
        /^scriptTypes\.python\.passEnv\[0\]: REDIS_PW holds the Redis password \(`redis\.passwordEnv`\)/,
      ),
      expect.stringMatching(
        /^scriptTypes\.python\.passEnv\[1\]: CLOUD_KEY holds a secret \(`scriptTypes\.python\.env\.API_KEY`\)/,
      ),
      expect.stringMatching(/^scriptTypes\.python\.passEnv\[2\]: SAME_AS_PASSWORD holds a secret of this config/),
    ]);
    expect(issues.join('\n')).not.toContain('redis-password-1');
  });

  it('refuses a name that is not a variable name', () => {
    expect(issuesOf('passEnv: ["A=B"]')[0]).toMatch(/^passEnv\[0\]: expected an environment variable name/);
  });
});

describe('bounded input (issue 11 item 6)', () => {
  it('finds a repeated key among thousands in one pass, naming its line', () => {
    const keys = Array.from({ length: 5_000 }, (_, index) => `      K${index}: v`);
    keys.push('      K42: again');
    const yaml = ['scriptTypes:', '  python:', '    binary: hero-worker', '    env:', ...keys].join('\n');

    expect(issuesOf(yaml)).toEqual([`: YAML: Map keys must be unique at line ${5_000 + 5}, column 7`]);
  });

  it('keeps allowRemote in the resolved config only when set', () => {
    expect(parseConfig('admin: { host: 0.0.0.0, allowRemote: true }', { env: {} }).admin).toMatchObject({
      host: '0.0.0.0',
      allowRemote: true,
    });
    expect(parseConfig('', { env: {} }).admin).not.toHaveProperty('allowRemote');
  });

  it('lists at most 100 problems in the message, and keeps them all in `issues`', () => {
    const keys = Array.from({ length: 150 }, (_, index) => `      K${index}: 1`);
    const yaml = ['scriptTypes:', '  python:', '    binary: hero-worker', '    env:', ...keys].join('\n');
    let error: ConfigError | undefined;
    try {
      parseConfig(yaml, { env: {} });
    } catch (caught) {
      error = caught as ConfigError;
    }

    expect(error?.issues).toHaveLength(150);
    expect(error?.message.split('\n')).toHaveLength(102);
    expect(error?.message).toContain('  - … and 50 more');
  });
});
