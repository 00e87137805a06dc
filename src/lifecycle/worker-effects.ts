/**
 * The worker machine's effects, implemented under the names the machine declares (STYLE.md §4): start, stop and
 * restart through the process manager, ping through the ping client, read the injected clock, log through a pino
 * child per worker, and report each state change to the owner (the lifecycle manager and the parent scaler).
 * `test/lifecycle/worker-effects.test.ts` fails if the machine names an actor or action that is not supplied here.
 */
import type { Logger } from 'pino';
import { type AnyActorRef, enqueueActions, fromPromise } from 'xstate';
import type { ScalerEvent } from '../../machines/scaler.machine.js';
import type { PingOutcome } from '../../machines/worker.events.js';
import type {
  PingActorInput,
  ProcessActorInput,
  WorkerContext,
  WorkerStateChange,
  workerMachine,
} from '../../machines/worker.machine.js';
import type { ProcessManager } from '../process/process-manager.js';
import type { Clock } from './clock.js';
import { verifyBinary } from './integrity.js';
import type { PingPort } from './ping-port.js';
import { judgePing } from './ping-verdict.js';
import type { WorkerConfig } from './worker-config.js';
import { redactSpec, type TemplateValues, toServiceSpec } from './worker-template.js';

/** What a worker's start needs: its config (or its script type's template) and the values of its placeholders. */
export interface WorkerLaunch {
  config: WorkerConfig;
  values: TemplateValues;
  stopTimeoutMs: number;
}

/** A state change as the lifecycle manager receives it. */
export interface WorkerStateReport {
  context: WorkerContext;
  change: WorkerStateChange;
  /** The worker actor, so the owner can reach it (and its parent scaler). */
  self: AnyActorRef;
  /** The event that caused the change (`xstate.init` for the initial `stopped`). */
  eventType: string;
}

/** One finished ping, as the machine sees it (a failure within a grace window is `transport-down`). */
export interface WorkerPingReport {
  worker: string;
  scriptType: string;
  outcome: PingOutcome;
  /** The round trip (`ok`), or how long the ping took to fail. */
  latencyMs: number;
  at: number;
}

export type { PingPort } from './ping-port.js';
export { WORKER_STARTUP_ALLOWANCE_MS } from './ping-verdict.js';

export interface WorkerEffectsDeps {
  processes: ProcessManager;
  pings: PingPort;
  clock: Clock;
  /** The root logger; each worker logs through `logger.child({ worker, scriptType })`. */
  logger: Logger;
  /** Resolves how to launch a worker (throws WorkerNotFoundError for an unknown one). */
  launchFor(worker: string, scriptType: string): WorkerLaunch;
  /** A last check before a failed ping counts: false when Redis itself is unreachable. */
  isRedisReachable(): Promise<boolean>;
  /**
   * When (clock ms) the supervisor's own Redis connection last became ready again after a loss: the workers
   * reconnect with their own backoff, so a failed ping shortly after is the transport's. @defaultValue never
   */
  redisRestoredAt?(): number | undefined;
  /** Called after every ping of the machine with the outcome it acts on (for `worker:pinged`). */
  onPinged?(report: WorkerPingReport): void;
  /**
   * Called for every state change (after logging); returns the event for the worker's parent, its scaler, if any.
   * The effect sends it with `sendParent` (a custom action must not send imperatively): return one only for an
   * actor that has a parent (every worker a scaler spawned; never for a lone actor).
   */
  onStateChange(report: WorkerStateReport): ScalerEvent | undefined;
  /**
   * The scaler of a worker hosted as a root actor of its own (worker-host.ts), to send `report` with `sendTo`
   * instead of `sendParent`; undefined: nothing to send. @defaultValue none: reports go to the parent (a worker its scaler spawned)
   */
  scalerOf?(name: string, worker: AnyActorRef, report: ScalerEvent): AnyActorRef | undefined;
}

export function createWorkerEffects(deps: WorkerEffectsDeps) {
  const loggers = new Map<string, Logger>();
  const loggerFor = (context: WorkerContext): Logger => {
    let logger = loggers.get(context.name);
    if (logger === undefined) {
      logger = deps.logger.child({ worker: context.name, scriptType: context.scriptType });
      loggers.set(context.name, logger);
    }
    return logger;
  };

  const launch = async (name: string, scriptTypeHint: string | undefined) => {
    const { config, values, stopTimeoutMs } = deps.launchFor(name, scriptTypeHint ?? '');
    const spec = toServiceSpec(config, values, { stopTimeoutMs });
    if (config.sha256 !== undefined) await verifyBinary(name, config.binaryPath, config.sha256);
    await deps.processes.ensureService(spec);
    return { spec, config, values };
  };

  // Actor inputs carry only the name: remember each worker's script type from its context for launchFor.
  const scriptTypes = new Map<string, string>();
  // The state each worker last logged, so a re-entry (job activity in `running`) is not logged as a change.
  const loggedStates = new Map<string, string>();
  // The `upSince` of the process that last answered a ping, per worker: its failures count from then on.
  const answeredSince = new Map<string, number | null>();

  /** Pings through the port, then lets the pure verdict (ping-verdict.ts) decide whose fault a failure is. */
  const pingAndJudge = async (input: PingActorInput): Promise<PingOutcome> => {
    const outcome = await deps.pings.pingWorker(input.name, { timeoutMs: input.timeoutMs });
    const failed = outcome.type !== 'ok' && outcome.type !== 'transport-down';
    const now = deps.clock.now();
    const restoredAt = deps.redisRestoredAt?.();
    const verdict = judgePing({
      outcome,
      timeoutMs: input.timeoutMs,
      redisReachable: failed ? await deps.isRedisReachable() : undefined,
      sinceRedisRestoredMs: restoredAt === undefined ? null : now - restoredAt,
      upForMs: input.upSince === null ? null : now - input.upSince,
      answeredBefore: answeredSince.has(input.name) && answeredSince.get(input.name) === input.upSince,
    });
    if (verdict.kind === 'ok') answeredSince.set(input.name, input.upSince);
    return verdict.outcome;
  };

  return {
    actions: {
      logTransition: ({ context }: { context: WorkerContext }, params: WorkerStateChange) => {
        scriptTypes.set(context.name, context.scriptType);
        const fields = { state: params.state, pid: context.pid, reason: context.reason };
        const previous = loggedStates.get(context.name);
        loggedStates.set(context.name, params.state);
        // Every job start and finish re-enters `running` (to re-arm idleTimeout): not a change, not info-worthy.
        // Finding F11 in test/faults/README.md.
        if (previous === params.state && !params.gaveUp) loggerFor(context).debug(fields, 'worker state re-entered');
        else if (params.gaveUp) loggerFor(context).warn(fields, 'worker gave up: restart intensity exceeded');
        else if (params.state === 'failed') loggerFor(context).warn(fields, 'worker failed');
        else loggerFor(context).info(fields, 'worker state changed');
      },
      reportStateChange: enqueueActions(({ context, self, event, enqueue }, params: WorkerStateChange) => {
        const forScaler = deps.onStateChange({ context, change: params, self, eventType: event.type });
        if (forScaler === undefined) return;
        if (deps.scalerOf === undefined) {
          enqueue.sendParent(forScaler);
          return;
        }
        // Hosted: a worker no longer hosted (released, or stopped with the supervisor) has no scaler to tell, and
        // a report its scaler already knows is not sent.
        const scaler = deps.scalerOf(context.name, self, forScaler);
        if (scaler !== undefined) enqueue.sendTo(scaler, forScaler);
      }),
    },
    actors: {
      startProcess: fromPromise<void, ProcessActorInput>(async ({ input }) => {
        const { spec, config, values } = await launch(input.name, scriptTypes.get(input.name));
        loggers
          .get(input.name)
          ?.info({ spec: redactSpec(spec, config.secretEnvKeys, [values.redisUrl]) }, 'starting worker process');
        await deps.processes.start(input.name);
      }),
      stopProcess: fromPromise<void, ProcessActorInput>(async ({ input }) => {
        const { stopTimeoutMs, config } = deps.launchFor(input.name, scriptTypes.get(input.name) ?? '');
        await deps.processes.stop(input.name, { timeoutMs: config.stopTimeoutMs ?? stopTimeoutMs });
      }),
      restartProcess: fromPromise<void, ProcessActorInput>(async ({ input }) => {
        // Re-declare first: the binary is verified again and a changed template applies to the new process.
        await launch(input.name, scriptTypes.get(input.name));
        await deps.processes.restart(input.name);
      }),
      pingWorker: fromPromise<PingOutcome, PingActorInput>(async ({ input }) => {
        const sentAt = deps.clock.now();
        const outcome = await pingAndJudge(input);
        const at = deps.clock.now();
        deps.onPinged?.({
          worker: input.name,
          scriptType: scriptTypes.get(input.name) ?? '',
          outcome,
          latencyMs: outcome.type === 'ok' ? outcome.latencyMs : at - sentAt,
          at,
        });
        return outcome;
      }),
      readClock: fromPromise<number, void>(async () => deps.clock.now()),
    },
  } satisfies Parameters<typeof workerMachine.provide>[0];
}

export type WorkerEffects = ReturnType<typeof createWorkerEffects>;
