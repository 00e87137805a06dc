/**
 * Issue 11 item 2: one daemon per config. A second `hero-supervisor run` on the config of a running daemon used to
 * take the first one's workers for orphans and kill them, delete its token file and empty its state file. Now it
 * exits at once, naming the running daemon's pid and the lock, and changes nothing; after a SIGKILL the next daemon
 * takes the stale lock over and ends the orphans, with exactly one process per worker name.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ScriptType } from '../../src/jobs/script-type.js';
import { SupervisorBuilder } from '../../src/jobs/supervisor-builder.js';
import { runCli } from '../cli/daemon-process.js';
import { findFreePort } from '../helpers/redis-server.js';
import { type DaemonProcess, killLeftovers, processesMatching, reportCounts, spawnDaemon } from './fault-helpers.js';

const WORKERS = 2;
const JOBS = 8;

interface StatusJson {
  workers: { name: string; state: string; pid: number | null }[];
}

/** A file's bytes and modification time: "changed nothing" means both are the same afterwards. */
function fingerprint(path: string): string {
  return `${statSync(path).mtimeMs}:${readFileSync(path, 'utf8')}`;
}

describe('one daemon per config', () => {
  let dir: string;
  let prefix: string;
  const daemons: DaemonProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hero-one-daemon-'));
    prefix = `one${randomUUID().slice(0, 8)}`;
  });

  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.stop('SIGKILL');
    killLeftovers(processesMatching('--prefix', prefix));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second daemon on the same config exits at once, naming the first; the first runs on untouched', async () => {
    const stateFile = join(dir, 'children.json');
    const tokenFile = join(dir, 'admin.token');
    const configPath = join(dir, 'supervisor.yaml');
    writeFileSync(
      configPath,
      [
        `redis: { url: "${inject('redisUrl')}", keyPrefix: ${prefix} }`,
        `processManager: { type: embedded, stateFile: "${stateFile}" }`,
        `scriptTypes:\n  python: { binary: hero-worker, min: ${WORKERS}, max: ${WORKERS} }`,
        // No token in the config: the daemon generates one and writes it to the token file.
        `admin: { port: ${await findFreePort()}, tokenFile: "${tokenFile}" }`,
        'logging: { level: info }',
      ].join('\n'),
    );
    const first = spawnDaemon(configPath);
    daemons.push(first);
    await first.running();
    const status = async () => {
      const result = await runCli(['status', '--json', '-c', configPath]);
      return { code: result.code, workers: result.code === 0 ? (JSON.parse(result.stdout) as StatusJson).workers : [] };
    };
    const pidsBefore = (await status()).workers.map((worker) => worker.pid);
    const files = { token: fingerprint(tokenFile), state: fingerprint(stateFile) };

    const supervisor = new SupervisorBuilder().redisUrl(inject('redisUrl')).prefix(prefix).callerId('one').build();
    try {
      const outcomes = Array.from({ length: JOBS }, (_, index) =>
        supervisor
          .runJobAndAwaitResult(
            supervisor
              .newJob()
              .scriptType(ScriptType.Python)
              .scriptContent(`import time\ntime.sleep(0.5)\nprint(${index})`)
              .timeout(30_000)
              .build(),
            { timeoutMs: 60_000 },
          )
          .then((output) => output.trim()),
      );

      const second = await runCli(['run', '-c', configPath], {}, 20_000);
      const lock = `${stateFile}.lock`;
      const results = await Promise.all(outcomes);
      const after = await status();
      reportCounts('one daemon per config', {
        secondExitCode: second.code ?? -1,
        jobs: JOBS,
        completed: results.length,
        workersChanged: after.workers.filter((worker, index) => worker.pid !== pidsBefore[index]).length,
      });

      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`Another hero-supervisor daemon (pid ${first.pid}) already runs on this config`);
      expect(second.stderr).toContain(lock);
      expect(second.stderr).not.toContain('"msg":"service spawned"');
      expect(results.sort()).toEqual(Array.from({ length: JOBS }, (_, index) => String(index)).sort());
      expect(after.code).toBe(0);
      expect(after.workers.map((worker) => worker.pid)).toEqual(pidsBefore);
      expect(after.workers.map((worker) => worker.state)).toEqual(pidsBefore.map(() => 'running'));
      expect({ token: fingerprint(tokenFile), state: fingerprint(stateFile) }).toEqual(files);
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(first.pid);
    } finally {
      await supervisor.close();
    }

    // SIGKILL leaves the lock behind: the next daemon finds its holder dead, takes it over and ends the orphans.
    await first.stop('SIGKILL');
    const again = spawnDaemon(configPath);
    daemons.push(again);
    await again.running();
    const perName = ['python_worker_0', 'python_worker_1'].map(
      (name) => processesMatching('--worker-id', name, '--prefix', prefix).length,
    );

    expect(perName).toEqual([1, 1]);
    expect(pidsBefore.filter((pid) => pid !== null && processesMatching('--prefix', prefix).includes(pid))).toEqual([]);
    expect(await again.stop('SIGTERM')).toBe(0);
  });
});
