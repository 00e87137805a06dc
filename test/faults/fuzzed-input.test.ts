/**
 * Issue 8, scenario 7: bad input fuzzed with fast-check. Configs, worker and service names (path separators, dots,
 * spaces, unicode, 1 KB names), argv with shell metacharacters, env keys and values, job payloads (huge scripts,
 * unknown script types, binary data). Each input gets a specific error or a correct literal pass-through; never a
 * crash (an error of another type), a shell interpretation, or a file written outside its directory.
 *
 * Runs scale with HERO_FAULT_SCALE; pure properties run many times, properties that spawn processes fewer.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError, InvalidJobError, InvalidSpecError, JobFailedError } from '../../src/errors.js';
import { JobBuilder, MAX_SCRIPT_BYTES } from '../../src/jobs/job-builder.js';
import { ScriptType } from '../../src/jobs/script-type.js';
import type { Supervisor } from '../../src/jobs/supervisor.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { WorkerConfig } from '../../src/lifecycle/worker-config.js';
import { WorkerLifecycleManagerBuilder } from '../../src/lifecycle/worker-lifecycle-manager-builder.js';
import { EmbeddedProcessManager } from '../../src/process/embedded/embedded-process-manager.js';
import type { ServiceSpec } from '../../src/process/process-manager.js';
import { validateServiceSpec } from '../../src/process/validate-spec.js';
import { renderServiceYaml, toZinitServiceConfig } from '../../src/process/zinit/service-yaml.js';
import { splitShellWords } from '../../src/process/zinit/shell-words.js';
import { ZinitProcessManager } from '../../src/process/zinit/zinit-process-manager.js';
import { ZinitLegacyDouble } from '../doubles/zinit-legacy-double.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  cleanUp,
  type HeroWorkerProcess,
  reportCounts,
  scaled,
  spawnHeroWorker,
  workerFixture,
} from './fault-helpers.js';

// ---- arbitraries -------------------------------------------------------------------------------

/** Strings a careless or hostile caller might use as a name. */
const hostileName = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.stringMatching(/^[A-Za-z0-9_. /\\-]{0,80}$/),
  fc.string({ minLength: 1000, maxLength: 1100 }),
  fc.constantFrom(
    '',
    '.',
    '..',
    '../escape',
    '../../etc/passwd',
    'a/b',
    'a\\b',
    '.hidden',
    'with space',
    'tab\there',
    'new\nline',
    'nul\0byte',
    'é',
    'ワーカー',
    '😀',
    'a'.repeat(1024),
    '-rf',
    '$(touch pwned)',
    'a;b',
    // Valid names that are also properties of every JS object: a `name in {}` lookup takes them for known.
    'toString',
    'constructor',
    '__proto__',
    'hasOwnProperty',
  ),
);

/** Arguments full of shell syntax: each must arrive as one literal argv element. */
const shellHostileArg = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '$HOME',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point of the test
    '${HOME}',
    '$(id)',
    '`id`',
    ';',
    '&&',
    '|',
    '>',
    '<',
    '*',
    '?',
    '~',
    '#',
    "'",
    '"',
    '\\',
    '\n',
    'a b',
    "it's",
    '"quoted"',
    '--flag=value',
    '-',
  ),
  fc
    .array(
      fc.constantFrom('$', '(', ')', '`', ';', '&', '|', '>', '<', '*', '"', "'", '\\', ' ', '\n', 'x', '{', '}'),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join('')),
);

/** The same, without NUL (no OS can pass NUL in argv or env; NUL is refused by validation, checked separately). */
const literalArg = shellHostileArg.filter((arg) => !arg.includes('\0'));

/** Whether `name` is a valid service/worker name by the documented rule. */
const VALID_NAME = /^[A-Za-z0-9_-]+$/;

// ---- names -------------------------------------------------------------------------------------

describe('scenario 7: fuzzed names', () => {
  it('validateServiceSpec accepts a name only if it is 1-64 of [A-Za-z0-9_-], else throws InvalidSpecError on `name`', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(hostileName, (name) => {
        try {
          validateServiceSpec({ name, command: ['/bin/true'] });
          accepted += 1;
          return VALID_NAME.test(name) && name.length <= 64;
        } catch (error) {
          refused += 1;
          return error instanceof InvalidSpecError && error.field === 'name' && error.message.includes('`name`');
        }
      }),
      { numRuns: scaled(500) },
    );
    reportCounts('7 service names', { accepted, refused, crashes: 0 });
  });

  it('WorkerConfig accepts a name only if it is 1-128 of [A-Za-z0-9_-], else throws ConfigError naming `name`', () => {
    let refused = 0;
    fc.assert(
      fc.property(hostileName, (name) => {
        try {
          const config = new WorkerConfig(name, '/usr/bin/env', 'python');
          return VALID_NAME.test(config.name) && config.name.length <= 128;
        } catch (error) {
          refused += 1;
          return error instanceof ConfigError && error.message.includes('`name`');
        }
      }),
      { numRuns: scaled(500) },
    );
    reportCounts('7 worker names', { refused, crashes: 0 });
  });

  it('runs each configured worker under its own name, also names that are properties of every JS object', async () => {
    const names = ['toString', 'constructor', 'valueOf', 'plain-name'];
    const processes = new EmbeddedProcessManager();
    const builder = new WorkerLifecycleManagerBuilder(processes)
      .withRedis(inject('redisUrl'), { prefix: `fault7n-${randomUUID().slice(0, 8)}` })
      .withLogger(pino({ level: 'silent' }));
    for (const name of names) builder.addWorker(new WorkerConfig(name, '/bin/sleep', 'fuzzname').withArgs(['100000']));
    const lifecycle = builder.build();
    try {
      await lifecycle.startAllWorkers();
      const running = lifecycle.listWorkers().map((worker) => worker.name);
      reportCounts('7 worker names (lifecycle)', {
        configured: names.length,
        runningUnderOwnName: running.filter((name) => names.includes(name)).length,
      });

      // finding F10 (fixed) in test/faults/README.md
      expect(running.sort()).toEqual([...names].sort());
    } finally {
      await lifecycle.shutdown();
      await processes.close();
    }
  });

  describe('Zinit legacy backend (the double): service files', () => {
    let sandbox: string;
    let double: ZinitLegacyDouble;
    let manager: ZinitProcessManager;

    beforeAll(async () => {
      sandbox = mkdtempSync(join(tmpdir(), 'hero-fault7-zinit-'));
      const configDir = join(sandbox, 'conf');
      mkdirSync(configDir);
      double = await ZinitLegacyDouble.start({ configDir, restartDelayMs: 100, testRetryMs: 100 });
      manager = new ZinitProcessManager({ socketPath: double.socketPath, configDir, protocol: 'legacy' });
    });

    afterAll(async () => {
      await manager?.close();
      await double?.close();
      rmSync(sandbox, { recursive: true, force: true });
    });

    it('writes `<name>.yaml` inside the config directory only, and refuses every other name before writing', async () => {
      let written = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(hostileName, async (name) => {
          try {
            await manager.ensureService({ name, command: ['/bin/sleep', '1000'] });
            written += 1;
            return VALID_NAME.test(name) && existsSync(join(sandbox, 'conf', `${name}.yaml`));
          } catch (error) {
            refused += 1;
            return error instanceof InvalidSpecError;
          }
        }),
        // Always tried, whatever the seed: finding F9 (fixed) in test/faults/README.md.
        { numRuns: scaled(60), examples: [['toString'], ['constructor'], ['__proto__']] },
      );
      const outside = readdirSync(sandbox).filter((entry) => entry !== 'conf');
      const strays = readdirSync(join(sandbox, 'conf')).filter(
        (file) => !/^[A-Za-z0-9_-]+\.yaml$/.test(file) && !file.startsWith('.'),
      );
      reportCounts('7 zinit service files', { written, refused, filesOutsideConfigDir: outside.length });

      expect(outside).toEqual([]);
      expect(strays).toEqual([]);
    });
  });
});

// ---- argv and env ------------------------------------------------------------------------------

describe('scenario 7: fuzzed argv and env', () => {
  it('renders a Zinit `exec` that shell-words splits back into exactly the argv', () => {
    fc.assert(
      fc.property(fc.array(literalArg, { minLength: 0, maxLength: 8 }), (args) => {
        const spec: ServiceSpec = { name: 'fuzz', command: ['/usr/bin/prog', ...args] };
        const rendered = parseYaml(renderServiceYaml(toZinitServiceConfig(spec))) as { exec: string };
        expect(splitShellWords(rendered.exec)).toEqual(spec.command);
      }),
      { numRuns: scaled(500) },
    );
  });

  it('refuses env keys that are not [A-Za-z_][A-Za-z0-9_]* and NUL anywhere, naming the field', () => {
    let refused = 0;
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('A=B', '1X', 'PATH', 'X Y', '')),
          literalArg,
          {
            maxKeys: 4,
          },
        ),
        (env) => {
          const valid = Object.keys(env).every((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key));
          try {
            validateServiceSpec({ name: 'fuzz', command: ['/bin/true'], env });
            return valid;
          } catch (error) {
            refused += 1;
            return !valid && error instanceof InvalidSpecError && error.field.startsWith('env.');
          }
        },
      ),
      { numRuns: scaled(300) },
    );
    expect(() => validateServiceSpec({ name: 'fuzz', command: ['/bin/true', 'a\0b'] })).toThrow(InvalidSpecError);
    expect(() => validateServiceSpec({ name: 'fuzz', command: ['/bin/true'], env: { A: 'a\0b' } })).toThrow(
      InvalidSpecError,
    );
    reportCounts('7 env keys', { refused, crashes: 0 });
  });

  describe('through real processes (embedded backend)', () => {
    let manager: EmbeddedProcessManager;
    let dir: string;

    beforeAll(() => {
      manager = new EmbeddedProcessManager();
      dir = mkdtempSync(join(tmpdir(), 'hero-fault7-argv-'));
    });

    afterAll(async () => {
      await manager.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('passes argv with shell metacharacters and env values literally, and no shell ever runs', async () => {
      const canary = join(dir, 'pwned');
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(literalArg, { maxLength: 6 }),
          literalArg,
          fc.constantFrom(`$(touch ${canary})`, `; touch ${canary}`, `\`touch ${canary}\``, `| touch ${canary}`),
          async (args, envValue, injection) => {
            runs += 1;
            const name = `argv-${randomUUID().slice(0, 8)}`;
            const argv = [...args, injection];
            await manager.ensureService({
              name,
              command: [process.execPath, workerFixture('prints-argv.js'), ...argv],
              env: { HERO_TEST_VALUE: envValue },
              cwd: dir,
              oneshot: true,
            });
            await manager.start(name);
            await waitFor(async () => (await manager.status(name)).state === 'success', {
              description: `${name} to finish`,
            });
            let line = '';
            for await (const entry of manager.logs(name)) if (entry.startsWith('ARGV ')) line = entry;
            await manager.remove(name);
            const printed = JSON.parse(line.slice('ARGV '.length)) as { argv: string[]; env: string | null };
            expect(printed.argv).toEqual(argv);
            expect(printed.env).toBe(envValue);
            expect(existsSync(canary)).toBe(false);
          },
        ),
        { numRuns: scaled(25) },
      );
      reportCounts('7 argv pass-through', { processes: runs, shellInterpretations: existsSync(canary) ? 1 : 0 });
    });
  });
});

// ---- configs -----------------------------------------------------------------------------------

describe('scenario 7: fuzzed configs', () => {
  /** A config-shaped object with hostile values where the schema expects names, numbers and urls. */
  const configLike = fc.record(
    {
      redis: fc.oneof(fc.record({ url: fc.oneof(fc.string(), fc.webUrl()) }), fc.anything()),
      processManager: fc.oneof(
        fc.record({ type: fc.constantFrom('embedded', 'zinit', 'pm2', ''), socketPath: fc.string() }),
        fc.anything(),
      ),
      scriptTypes: fc.dictionary(
        hostileName,
        fc.oneof(
          fc.record({
            binary: fc.oneof(fc.string(), fc.constant('hero-worker')),
            args: fc.array(literalArg, { maxLength: 3 }),
            min: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.double(), fc.string()),
            max: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.constant(Number.POSITIVE_INFINITY)),
          }),
          fc.anything(),
        ),
        { maxKeys: 3 },
      ),
    },
    { requiredKeys: [] },
  );

  it('turns any object into a SupervisorConfig or one ConfigError, never another exception', () => {
    let valid = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(configLike, fc.anything()), (input) => {
        try {
          parseConfig(input, { env: {} });
          valid += 1;
          return true;
        } catch (error) {
          refused += 1;
          return error instanceof ConfigError && error.message.length > 0;
        }
      }),
      { numRuns: scaled(400) },
    );
    reportCounts('7 config objects', { valid, refused, crashes: 0 });
  });

  it('turns any YAML text into a SupervisorConfig or one ConfigError, never another exception', () => {
    let refused = 0;
    const yamlish = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            'redis:',
            '  url: x',
            'scriptTypes:',
            '  a/b:',
            '    max: -1',
            '&a [*a, *a]',
            '- *a',
            '{{',
            '!!binary AAAA',
            '? ',
            ': :',
            '\t',
            '"unterminated',
          ),
          {
            maxLength: 10,
          },
        )
        .map((lines) => lines.join('\n')),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          parseConfig(text, { env: {} });
          return true;
        } catch (error) {
          refused += 1;
          return error instanceof ConfigError;
        }
      }),
      { numRuns: scaled(400) },
    );
    reportCounts('7 config yaml', { refused, crashes: 0 });
  });
});

// ---- job payloads ------------------------------------------------------------------------------

describe('scenario 7: fuzzed job payloads', () => {
  it('builds a Job or throws InvalidJobError naming the field, for any script type, script, env and timeout', () => {
    let built = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...Object.values(ScriptType)), fc.string(), fc.anything()),
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.anything()),
        fc.oneof(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })),
          fc.anything(),
        ),
        fc.oneof(fc.integer(), fc.double(), fc.anything()),
        (scriptType, script, env, timeout) => {
          try {
            const job = new JobBuilder()
              .scriptType(scriptType as ScriptType)
              .scriptContent(script as string)
              .env(env as Record<string, string>)
              .timeout(timeout as number)
              .build();
            built += 1;
            return job.script === script && job.scriptType === scriptType;
          } catch (error) {
            refused += 1;
            return error instanceof InvalidJobError && error.message.includes(`\``);
          }
        },
      ),
      { numRuns: scaled(500) },
    );
    reportCounts('7 job builder', { built, refused, crashes: 0 });
  });

  it('refuses a script over 1 MiB with InvalidJobError on scriptContent, and accepts exactly 1 MiB', () => {
    const build = (script: string) =>
      new JobBuilder().scriptType(ScriptType.Python).scriptContent(script).timeout(1_000).build();

    expect(build('#'.repeat(MAX_SCRIPT_BYTES)).script).toHaveLength(MAX_SCRIPT_BYTES);
    expect(() => build('#'.repeat(MAX_SCRIPT_BYTES + 1))).toThrow(InvalidJobError);
    // Multi-byte characters count as bytes, not as characters.
    expect(() => build('é'.repeat(MAX_SCRIPT_BYTES / 2 + 1))).toThrow(/bytes/);
  });

  describe('through a real hero-worker', () => {
    const redisUrl = inject('redisUrl');
    const prefix = `fault7-${randomUUID().slice(0, 8)}`;
    const workerId = `fuzz_worker_${randomUUID().slice(0, 6)}`;
    let worker: HeroWorkerProcess;
    let supervisor: Supervisor;

    beforeAll(async () => {
      worker = spawnHeroWorker({ workerId, redisUrl, prefix, scriptType: 'python' });
      supervisor = new SupervisorBuilder().redisUrl(redisUrl).prefix(prefix).callerId('fault7').build();
      await waitFor(() => worker.isReady(), { timeoutMs: 20_000, description: 'hero-worker to consume' });
    });

    afterAll(async () => {
      await cleanUp([
        ['close the supervisor', () => supervisor?.close()],
        ['stop the worker', () => worker?.kill('SIGTERM')],
        ['kill the worker', () => worker?.kill('SIGKILL')],
      ]);
    }, 90_000);

    it('returns any unicode text a script prints, byte for byte, and passes env values literally', async () => {
      let jobs = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }).filter((value) => !value.includes('\0')),
          async (text, envValue) => {
            jobs += 1;
            // JSON string syntax is valid Python string syntax; the script itself is data on stdin, never a shell.
            const script = `import os, sys\nsys.stdout.write(${JSON.stringify(text)} + "|" + os.environ["FUZZ"])`;
            const job = supervisor
              .newJob()
              .scriptType(ScriptType.Python)
              .scriptContent(script)
              .env({ FUZZ: envValue })
              .timeout(10_000)
              .build();
            const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 20_000 });
            expect(output).toBe(`${text}|${envValue}`);
          },
        ),
        { numRuns: scaled(20) },
      );
      reportCounts('7 payload pass-through (hero-worker)', { jobs, mismatches: 0 });
    });

    it('fails garbage job data from a plain BullMQ producer visibly, and keeps answering pings', async () => {
      const queue = new Queue('jobs.python', { connection: { url: redisUrl }, prefix });
      const garbage: unknown[] = [
        null,
        'a string',
        { id: 'x' },
        { id: 'x', scriptType: 'python', script: 42, timeoutMs: 1000 },
        { id: 'x', scriptType: 'python', script: 'print(1)', timeoutMs: -1 },
        { id: 'x', scriptType: 'cobol', script: 'DISPLAY 1', timeoutMs: 1000, env: {} },
        { id: 'x', scriptType: 'python', script: 'print(1)', timeoutMs: 1000, env: { 'A=B': 'x' } },
        { id: 'x', scriptType: 'python', script: 'print(1)', timeoutMs: 1000, env: { A: 7 } },
        { id: 'x', scriptType: 'python', script: '\u0000\u0001\uFFFF binary', timeoutMs: 1000, env: {} },
      ];
      try {
        const added = await Promise.all(
          garbage.map((data, index) => queue.add('script', data, { jobId: `garbage-${index}-${randomUUID()}` })),
        );
        const states = await waitFor(
          async () => {
            const all = await Promise.all(added.map((job) => job.getState()));
            return all.every((state) => state === 'failed' || state === 'completed') ? all : undefined;
          },
          { timeoutMs: 30_000, description: 'every garbage job to finish' },
        );
        const failed = states.filter((state) => state === 'failed').length;
        const completedIndexes = states.flatMap((state, index) => (state === 'completed' ? [index] : []));
        const ping = await supervisor.pingWorker(workerId, { timeoutMs: 5_000 });
        reportCounts('7 garbage job data (hero-worker)', {
          jobs: garbage.length,
          failedVisibly: failed,
          completed: states.length - failed,
          completedIndexes: completedIndexes.join(','),
          lost: 0,
          workerAlive: worker.child.exitCode === null,
        });

        // Every one is refused (python itself refuses NUL in source); an env key with `=` must not be passed on as
        // another variable (A=B once reached the script as A="B=x").
        expect(completedIndexes).toEqual([]);
        expect(ping.type).toBe('ok');
        expect(worker.child.exitCode).toBeNull();
      } finally {
        await queue.close();
      }
    });

    it('runs a script of nearly 1 MiB through stdin', async () => {
      const padding = `#${'x'.repeat(1023)}\n`.repeat(1000);
      const job = supervisor
        .newJob()
        .scriptType(ScriptType.Python)
        .scriptContent(`${padding}print(len(open(__file__).read()) if False else 'big ok')`)
        .timeout(20_000)
        .build();

      const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 30_000 });

      expect(output.trim()).toBe('big ok');
    });

    it('bounds a flood of output (20 MiB) and says so, and the worker lives on', async () => {
      const job = supervisor
        .newJob()
        .scriptType(ScriptType.Python)
        .scriptContent('import sys\nchunk = "x" * 1048576\nfor _ in range(20):\n    sys.stdout.write(chunk)')
        .timeout(30_000)
        .build();

      const output = await supervisor.runJobAndAwaitResult(job, { timeoutMs: 60_000 });
      const ping = await supervisor.pingWorker(workerId, { timeoutMs: 5_000 });
      reportCounts('7 output flood (hero-worker)', {
        printedMiB: 20,
        keptBytes: output.length,
        workerAnswers: ping.type,
      });

      expect(output.length).toBeLessThan(20 * 1024 * 1024);
      expect(output).toMatch(/\[output truncated at \d+ bytes\]$/);
      expect(ping.type).toBe('ok');
    });

    it('fails a script that exits non-zero with its stderr and exit code, and the worker lives on', async () => {
      const job = supervisor
        .newJob()
        .scriptType(ScriptType.Python)
        .scriptContent('import sys\nsys.stderr.write("boom")\nsys.exit(3)')
        .timeout(10_000)
        .build();

      const error = await supervisor
        .runJobAndAwaitResult(job, { timeoutMs: 20_000 })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(JobFailedError);
      expect((error as JobFailedError).stderr).toContain('boom');
      expect((error as JobFailedError).workerError).toContain('code 3');
    });
  });
});
