/**
 * `npm start` (`hero-supervisor demo`): the whole product on embedded defaults, in under a minute, with nothing
 * to configure. A Redis (REDIS_URL, or its own redis-server as a managed dependency service), Python workers
 * through `hero-worker`, a batch of jobs with a progress bar while the autoscaler scales up and back down, a
 * worker killed with SIGKILL and brought back, idle workers pinged, a summary, and a clean shutdown that leaves
 * no process behind. `--forever` keeps the supervisor running until Ctrl-C.
 */

import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerReport } from '../admin/status-report.js';
import { endpointOf } from '../cli/admin-endpoint.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo } from '../cli/hero-supervisor.js';
import { createInspection } from '../cli/inspection.js';
import { formatDuration } from '../config/duration.js';
import { configSecrets, parseConfig } from '../config/load-config.js';
import { Daemon } from '../daemon/daemon.js';
import { ScriptType } from '../jobs/script-type.js';
import type { Supervisor } from '../jobs/supervisor.js';
import { SupervisorBuilder } from '../jobs/supervisor-builder.js';
import { createRootLogger } from '../log/logger.js';
import { Redactor } from '../log/redact.js';
import { DEMO_PROFILES, type DemoProfile } from './demo-profile.js';
import { chooseDemoRedis, type DemoRedis, DemoRedisUnavailableError, python3Available } from './demo-redis.js';
import { DemoView } from './demo-view.js';

export interface RunDemoOptions {
  forever: boolean;
  profile: DemoProfile['name'];
  inspect?: boolean | string;
  inspectLog?: string;
  io: CliIo;
}

/** How often the live table is refreshed: smooth enough to watch, cheap enough for two cores. */
const LIVE_REFRESH_MS = 250;
/** Between two checks of a phase's condition (a demo, not a test: polling the status is what a user would do). */
const POLL_MS = 100;
/** Per job: generous, a job sleeps a fraction of a second. */
const JOB_TIMEOUT_MS = 30_000;
const UP_STATES = new Set(['running', 'idle', 'pinging']);
/**
 * Jobs in flight at once. Each waiting caller adds a listener to BullMQ's queue, and more than 10 make Node print
 * a MaxListenersExceededWarning; 8 still keep the queue deep enough for the autoscaler to scale up.
 */
const JOBS_IN_FLIGHT = 8;

class DemoStepFailed extends Error {
  override name = 'DemoStepFailed';
}

async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DemoStepFailed(`${what} did not happen within ${formatDuration(timeoutMs)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function runDemo(options: RunDemoOptions): Promise<number> {
  const { io } = options;
  const profile = DEMO_PROFILES[options.profile];
  const view = new DemoView({ out: io.stdout });
  const demoStarted = Date.now();

  if (!python3Available()) {
    io.stderr.write(
      'The demo runs Python jobs and needs python3 on PATH: install it (Debian/Ubuntu: `sudo apt-get install python3`).\n',
    );
    return EXIT.runtimeError;
  }
  let redis: DemoRedis;
  try {
    redis = await chooseDemoRedis(io.env);
  } catch (error) {
    if (error instanceof DemoRedisUnavailableError) {
      io.stderr.write(`${error.message}\n`);
      return EXIT.runtimeError;
    }
    throw error;
  }

  const workDir = await mkdtemp(join(tmpdir(), 'hero-demo-'));
  const logFile = join(workDir, 'supervisor.log');
  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const config = parseConfig(
    {
      redis: { url: redis.url, keyPrefix: prefix },
      processManager: { type: 'embedded', stateFile: join(workDir, 'children.json') },
      services:
        redis.kind === 'managed'
          ? { redis: { command: redis.service.command, healthCheck: redis.service.healthCheck, stopTimeoutMs: 5_000 } }
          : {},
      scriptTypes: {
        python: {
          binary: 'hero-worker',
          min: profile.minWorkers,
          max: profile.maxWorkers,
          dependencies: redis.kind === 'managed' ? ['redis'] : [],
          stopTimeoutMs: 5_000,
          autoscale: {
            enabled: true,
            targetJobsPerWorker: profile.targetJobsPerWorker,
            stabilizationWindowMs: profile.stabilizationWindowMs,
            cooldownMs: profile.cooldownMs,
            pollIntervalMs: 250,
          },
        },
      },
      health: { idleTimeoutMs: profile.idleTimeoutMs, pingIntervalMs: profile.pingIntervalMs, pingTimeoutMs: 2_000 },
      logging: { level: 'info' },
      admin: { host: '127.0.0.1', port: 0, tokenFile: join(workDir, 'admin.token') },
    },
    { env: {}, source: 'the demo config' },
  );
  const redactor = new Redactor(configSecrets(config));
  const logStream = createWriteStream(logFile, { mode: 0o600 });
  const logger = createRootLogger({ level: 'info', destination: logStream, redactor });
  const inspection = await createInspection({
    ...(options.inspect !== undefined && { inspect: options.inspect }),
    ...(options.inspectLog !== undefined && { inspectLog: options.inspectLog }),
    redactor,
    announce: (message) => view.line(message),
  });

  view.line(`hero-supervisor demo (${profile.name} profile)`);
  view.line(
    redis.kind === 'managed'
      ? `Redis: its own redis-server on 127.0.0.1:${redis.port}, run by the supervisor as a dependency service`
      : `Redis: ${redactor.redact(redis.url)} (from REDIS_URL)`,
  );
  view.line(`Supervisor log: ${logFile}`);

  let daemon: Daemon | undefined;
  let jobs: Supervisor | undefined;
  let refresher: NodeJS.Timeout | undefined;
  const seenPids = new Set<number>();
  const facts = { restarts: 0, peakWorkers: 0 };
  const timings: [string, number][] = [];
  let exitCode: number = EXIT.ok;

  const status = async (): Promise<WorkerReport[]> => {
    const report = await (daemon as Daemon).status();
    for (const worker of report.workers) if (worker.pid) seenPids.add(worker.pid);
    for (const service of report.services) if (service.pid) seenPids.add(service.pid);
    const up = report.workers.filter((worker) => UP_STATES.has(worker.state)).length;
    facts.peakWorkers = Math.max(facts.peakWorkers, up);
    return report.workers;
  };

  const stopRequested = new AbortController();
  const onSigint = () => stopRequested.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  try {
    // ---- 1. start -------------------------------------------------------------------------------
    view.step('1. Starting the supervisor');
    const startAt = Date.now();
    daemon = await Daemon.start({
      config,
      logger,
      redactor,
      ...(inspection !== undefined && { inspect: inspection.inspect }),
    });
    const started = daemon;
    timings.push(['start (dependencies + first worker up)', Date.now() - startAt]);
    started.lifecycle.on('scaler:scaled', (event) => {
      facts.peakWorkers = Math.max(facts.peakWorkers, event.to);
      if (event.reason !== 'initial')
        view.line(
          `  scaler: ${event.scriptType} ${event.from} -> ${event.to} workers (${event.reason}: ${event.detail})`,
        );
    });
    started.lifecycle.on('worker:restarted', (event) => {
      facts.restarts++;
      view.line(`  ${event.worker} restarted (${event.reason ?? 'no reason given'})`);
    });
    started.lifecycle.on('worker:gaveUp', (event) => view.line(`  ${event.worker} gave up: ${event.reason ?? ''}`));
    const initial = await status();
    const report = await started.status();
    for (const service of report.services)
      view.line(`  service ${service.name}: ${service.state}, pid ${service.pid ?? '-'}`);
    view.line(`  ${initial.length} python worker(s) up in ${formatDuration(Date.now() - startAt)}`);
    view.printTable(initial);
    if (view.live) {
      refresher = setInterval(() => {
        status()
          .then((workers) => view.workers(workers))
          .catch(() => {});
      }, LIVE_REFRESH_MS);
    }

    jobs = new SupervisorBuilder().redisUrl(redis.url).prefix(prefix).callerId('hero-demo').logger(logger).build();
    const runJob = (supervisor: Supervisor, index: number) =>
      supervisor.runJobAndAwaitResult(
        supervisor
          .newJob()
          .scriptType(ScriptType.Python)
          .scriptContent(`import time\ntime.sleep(${profile.jobSleepMs / 1000})\nprint(${index} * ${index})`)
          .timeout(JOB_TIMEOUT_MS)
          .build(),
        { timeoutMs: JOB_TIMEOUT_MS },
      );

    // ---- 2. a batch of jobs; the autoscaler scales up ---------------------------------------------
    view.step(`2. Running ${profile.jobs} Python jobs (each sleeps ${profile.jobSleepMs} ms): watch the autoscaler`);
    const batchAt = Date.now();
    let done = 0;
    let failed = 0;
    let wrong = 0;
    view.progress(0, 0, profile.jobs);
    let next = 0;
    const runNext = async (): Promise<void> => {
      while (next < profile.jobs) {
        const index = next++;
        try {
          const output = await runJob(jobs as Supervisor, index);
          if (output.trim() === String(index * index)) done++;
          else wrong++;
        } catch (error) {
          failed++;
          logger.warn({ err: error, job: index }, 'demo job failed');
        }
        view.progress(done, failed + wrong, profile.jobs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(JOBS_IN_FLIGHT, profile.jobs) }, runNext));
    view.endProgress();
    const batchMs = Date.now() - batchAt;
    timings.push([`${profile.jobs} jobs`, batchMs]);
    view.line(
      `  ${done} jobs done, ${failed} failed in ${formatDuration(batchMs)} (${((done / batchMs) * 1000).toFixed(1)} jobs/s), at most ${facts.peakWorkers} workers`,
    );
    if (failed > 0 || wrong > 0) {
      throw new DemoStepFailed(`${failed} job(s) failed and ${wrong} gave a wrong output (see ${logFile})`);
    }

    // ---- 3. back down once the queue stays empty ---------------------------------------------------
    view.step(`3. The queue is empty: scaling back down to ${profile.minWorkers} after the stabilization window`);
    const downAt = Date.now();
    await until(
      async () =>
        (await status()).filter((worker) => UP_STATES.has(worker.state)).length === profile.minWorkers
          ? true
          : undefined,
      profile.phaseTimeoutMs,
      `scale-down to ${profile.minWorkers}`,
    );
    timings.push(['scale down after the batch', Date.now() - downAt]);
    view.printTable(await status());

    // ---- 4. crash: kill a worker, watch it come back ---------------------------------------------
    view.step('4. Killing a worker with SIGKILL');
    const victim = await until(
      async () => (await status()).find((worker) => UP_STATES.has(worker.state) && worker.pid !== null),
      profile.phaseTimeoutMs,
      'a running worker',
    );
    const restartsBefore = facts.restarts;
    const killAt = Date.now();
    await started.processManager.kill(victim.name, 'SIGKILL');
    view.line(`  killed ${victim.name} (pid ${victim.pid})`);
    const back = await until(
      async () =>
        (await status()).find(
          (worker) =>
            worker.name === victim.name &&
            UP_STATES.has(worker.state) &&
            worker.pid !== victim.pid &&
            facts.restarts > restartsBefore,
        ),
      profile.phaseTimeoutMs,
      `${victim.name} back up`,
    );
    const recoveryMs = Date.now() - killAt;
    timings.push(['recovery after SIGKILL', recoveryMs]);
    view.line(`  ${victim.name} is back as pid ${back.pid} after ${formatDuration(recoveryMs)}`);
    const proof = await runJob(jobs, 7);
    view.line(`  and takes jobs again: print(7 * 7) -> ${proof.trim()}`);

    // ---- 5. health: idle workers are pinged --------------------------------------------------------
    view.step(`5. Pinging idle workers (idle after ${formatDuration(profile.idleTimeoutMs)} without a job)`);
    await until(
      async () =>
        (await status()).some((worker) => worker.state === 'idle' || worker.state === 'pinging') ? true : undefined,
      profile.phaseTimeoutMs,
      'an idle worker',
    );
    const pings = await until(
      async () => {
        const results = await started.lifecycle.monitorWorkerHealth();
        return results.length > 0 ? results : undefined;
      },
      profile.phaseTimeoutMs,
      'a ping of an idle worker',
    );
    for (const { worker, outcome } of pings) {
      if (outcome.type === 'ok') {
        started.metrics.observePing('python', 'ok', outcome.latencyMs / 1000);
        view.line(
          `  ${worker}: pong in ${outcome.latencyMs.toFixed(1)} ms (pid ${outcome.reply.pid}, ${outcome.reply.jobsProcessed} jobs so far)`,
        );
      } else view.line(`  ${worker}: ${outcome.type}`);
    }

    // ---- 6. summary ------------------------------------------------------------------------------
    view.step('6. Summary');
    view.line(
      `  jobs: ${done + 1} done, ${failed} failed; restarts: ${facts.restarts}; peak workers: ${facts.peakWorkers}`,
    );
    for (const [what, ms] of timings) view.line(`  ${what.padEnd(40)} ${formatDuration(ms)}`);

    if (options.forever) {
      const address = started.adminAddress;
      const endpoint = address?.type === 'tcp' ? address.url : (address?.socketPath ?? endpointOf(config.admin));
      view.line('');
      view.line('The supervisor keeps running (--forever). In another terminal:');
      const cli = process.argv[1] !== undefined ? `node ${process.argv[1]}` : 'npx hero-supervisor';
      const tokenFile = started.tokenFile ?? config.admin.tokenFile;
      view.line(`  export HERO_ADMIN_TOKEN="$(cat ${tokenFile})" HERO_ADMIN_ENDPOINT=${endpoint}`);
      view.line(`  ${cli} status`);
      if (address?.type === 'tcp') {
        // The token is not printed: it is read from its file (mode 0600) and given in the URL fragment, which the
        // browser keeps to itself; the page swaps it for a session cookie and takes it out of the address bar.
        view.line(`Dashboard: ${address.url}/dashboard (log in with the admin token: cat ${tokenFile})`);
        view.line(`  or open it logged in: xdg-open "${address.url}/dashboard#token=$(cat ${tokenFile})"`);
      }
      view.line('Press Ctrl-C to stop.');
      await new Promise<void>((resolve) =>
        stopRequested.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } catch (error) {
    exitCode = EXIT.runtimeError;
    view.line(`demo failed: ${redactor.redact((error as Error).message)}`);
    logger.error({ err: error }, 'demo failed');
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (refresher !== undefined) clearInterval(refresher);
    view.close();
    view.step('Shutting down');
    const stopAt = Date.now();
    await jobs?.close().catch(() => {});
    await daemon?.stop();
    await inspection?.close();
    const survivors = [...seenPids].filter(isAlive);
    view.line(
      survivors.length === 0
        ? `  stopped cleanly in ${formatDuration(Date.now() - stopAt)}: none of the ${seenPids.size} processes it ran is left`
        : `  WARNING: still running: ${survivors.join(', ')}`,
    );
    if (survivors.length > 0) exitCode = EXIT.runtimeError;
    view.line(`total ${formatDuration(Date.now() - demoStarted)}`);
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
  }
  return exitCode;
}
