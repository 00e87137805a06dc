/** The script runner: argv without a shell, script on stdin, own process group, output caps (issue #4). */
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptError } from '../../src/errors.js';
import type { JobData } from '../../src/transport/wire-protocol.js';
import type { ExecuteContext } from '../../src/worker/execute.js';
import { createScriptRunner, splitShellWords } from '../../src/worker/script-runner.js';
import { waitFor } from '../helpers/wait-for.js';

function jobData(script: string, env: Record<string, string> = {}): JobData {
  return {
    id: 'job-1',
    scriptType: 'python',
    script,
    env,
    timeoutMs: 60_000,
    callerId: 'c',
    contextId: 'x',
    createdAt: 0,
  };
}

function context(signal = new AbortController().signal): ExecuteContext {
  return { jobId: 'job-1', workerId: 'w', attempt: 1, signal, logger: undefined };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('splitShellWords', () => {
  it.each([
    ['python3', ['python3']],
    ['  v   run  - ', ['v', 'run', '-']],
    [`rhai-runner --name 'my script' "a \\"b\\""`, ['rhai-runner', '--name', 'my script', 'a "b"']],
    ['echo $HOME;rm\\ -rf', ['echo', '$HOME;rm -rf']],
    [`''`, ['']],
  ])('splits %s', (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitShellWords("python3 'oops")).toThrow("Unterminated ' quote in `python3 'oops`");
  });
});

describe('createScriptRunner', () => {
  it('hands the script to the interpreter on stdin, literally, without a shell', async () => {
    const script = 'echo $(touch /tmp/should-not-exist) `id` ; | & > \0 \u00e9';
    const run = createScriptRunner({ interpreter: ['cat'] });

    const output = await run(jobData(script), context());

    expect(output.stdout).toBe(script);
    expect(output.exitCode).toBe(0);
  });

  it('passes the job env and hides the worker REDIS_URL', async () => {
    const run = createScriptRunner({
      interpreter: ['python3'],
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: 'redis://:secret@h' },
    });

    const output = await run(
      jobData("import os\nprint(os.environ.get('A'), os.environ.get('REDIS_URL'))", { A: 'b' }),
      context(),
    );

    expect(output.stdout).toBe('b None\n');
  });

  it('rejects with a ScriptError carrying exit code and stderr', async () => {
    const run = createScriptRunner({ interpreter: ['python3'] });

    const error = await run(jobData("import sys\nsys.stderr.write('bad')\nsys.exit(4)"), context()).catch((e) => e);

    expect(error).toBeInstanceOf(ScriptError);
    expect(error).toMatchObject({ message: 'Script exited with code 4 (python3).', stderr: 'bad', exitCode: 4 });
  });

  it('kills the whole process group when the signal aborts', async () => {
    const run = createScriptRunner({ interpreter: ['python3'] });
    const controller = new AbortController();
    const pidFile = join(tmpdir(), `grandchild-${randomUUID()}.pid`);
    const script = [
      'import os, subprocess, time',
      "child = subprocess.Popen(['sleep', '60'])",
      "open(os.environ['PID_FILE'], 'w').write(str(child.pid))",
      'time.sleep(60)',
    ].join('\n');
    const running = run(jobData(script, { PID_FILE: pidFile }), context(controller.signal));
    const grandchild = await waitFor(
      () => {
        const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '';
        return text === '' ? undefined : Number(text);
      },
      { description: 'the grandchild sleep to start' },
    );
    rmSync(pidFile, { force: true });

    controller.abort(new Error('stop'));

    await expect(running).rejects.toThrow('stop');
    await waitFor(() => !isAlive(grandchild), { description: `grandchild ${grandchild} to be killed` });
  });

  it('caps stdout at maxOutputBytes and says so', async () => {
    const run = createScriptRunner({ interpreter: ['python3'], maxOutputBytes: 10 });

    const output = await run(jobData("print('x' * 100)"), context());

    expect(output.stdout).toBe(`${'x'.repeat(10)}\n[output truncated at 10 bytes]`);
  });

  it('names an interpreter missing from PATH, not the setpriv it runs under', async () => {
    const run = createScriptRunner({ interpreter: ['no-such-interpreter-4f1c', 'run'] });

    const error = await run(jobData('x'), context()).catch((e) => e);

    expect(error).toBeInstanceOf(ScriptError);
    expect(error).toMatchObject({
      message: "Interpreter `no-such-interpreter-4f1c` not found (ENOENT): install it or pass --interpreter '<argv>'.",
      retryable: false,
    });
  });

  it('names an interpreter that is not executable', async () => {
    const file = join(tmpdir(), `not-executable-${randomUUID()}`);
    writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const run = createScriptRunner({ interpreter: [file] });

    const error = await run(jobData('x'), context())
      .catch((e) => e)
      .finally(() => rmSync(file, { force: true }));

    expect(error).toMatchObject({ message: `Interpreter \`${file}\` is not executable (EACCES).`, retryable: false });
  });

  it('tells a job whose own PATH hides the interpreter so, naming PATH and the interpreter (#11 item 6)', async () => {
    const run = createScriptRunner({ interpreter: ['python3'] });

    const error = await run(jobData('print(1)', { PATH: '/nonexistent-bin' }), context()).catch((e) => e);

    expect(error).toBeInstanceOf(ScriptError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^Interpreter `python3` not found on the job's PATH `\/nonexistent-bin`: the job's env sets PATH, which hides the interpreter \(the worker's own PATH finds it at \/.+\/python3\)\. Leave PATH out of the job's env, or include the interpreter's directory in it\.$/,
    );
  });

  it('names a missing interpreter and marks it not retryable', async () => {
    const run = createScriptRunner({ interpreter: ['/nonexistent/interp', '-x'] });

    const error = await run(jobData('x'), context()).catch((e) => e);

    expect(error).toBeInstanceOf(ScriptError);
    expect(error).toMatchObject({
      message: "Interpreter `/nonexistent/interp` not found (ENOENT): install it or pass --interpreter '<argv>'.",
      retryable: false,
    });
  });

  describe('with the interpreter resolved once and cached', () => {
    /** Two PATH directories with a `cat`-like interpreter named `interp-<uuid>` in the first. */
    function interpreterDirs() {
      const root = mkdtempSync(join(tmpdir(), 'interp-'));
      const [first, second] = [join(root, 'a'), join(root, 'b')];
      for (const dir of [first, second]) mkdirSync(dir);
      const name = `interp-${randomUUID()}`;
      writeFileSync(join(first, name), '#!/bin/sh\nexec cat\n', { mode: 0o755 });
      const env = { PATH: [first, second, process.env.PATH].join(delimiter) };
      return { root, first, second, name, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    }

    it('still names the interpreter when it is removed after a job ran', async () => {
      const dirs = interpreterDirs();
      const run = createScriptRunner({ interpreter: [dirs.name], baseEnv: dirs.env });
      try {
        expect((await run(jobData('first'), context())).stdout).toBe('first');
        rmSync(join(dirs.first, dirs.name));

        const error = await run(jobData('second'), context()).catch((e) => e);

        expect(error).toMatchObject({
          message: `Interpreter \`${dirs.name}\` not found (ENOENT): install it or pass --interpreter '<argv>'.`,
          retryable: false,
        });
      } finally {
        dirs.cleanup();
      }
    });

    it('still names the interpreter when it stops being executable after a job ran', async () => {
      const dirs = interpreterDirs();
      const run = createScriptRunner({ interpreter: [dirs.name], baseEnv: dirs.env });
      try {
        await run(jobData('first'), context());
        chmodSync(join(dirs.first, dirs.name), 0o644);

        const error = await run(jobData('second'), context()).catch((e) => e);

        expect(error).toMatchObject({ message: `Interpreter \`${dirs.name}\` is not executable (EACCES).` });
      } finally {
        dirs.cleanup();
      }
    });

    it('finds the interpreter again when it moves to another PATH directory', async () => {
      const dirs = interpreterDirs();
      const run = createScriptRunner({ interpreter: [dirs.name], baseEnv: dirs.env });
      try {
        await run(jobData('first'), context());
        renameSync(join(dirs.first, dirs.name), join(dirs.second, dirs.name));

        const output = await run(jobData('second'), context());

        expect(output.stdout).toBe('second');
      } finally {
        dirs.cleanup();
      }
    });

    it('resolves the interpreter on the PATH a job sets', async () => {
      const dirs = interpreterDirs();
      const run = createScriptRunner({ interpreter: [dirs.name], baseEnv: { PATH: process.env.PATH } });
      try {
        const missing = await run(jobData('x'), context()).catch((e) => e);
        const output = await run(jobData('found', dirs.env), context());

        expect(missing).toMatchObject({ message: expect.stringContaining('not found (ENOENT)') });
        expect(output.stdout).toBe('found');
      } finally {
        dirs.cleanup();
      }
    });
  });
});
