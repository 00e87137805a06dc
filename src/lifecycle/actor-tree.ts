/**
 * Builds and wires the actor tree: the supervisor statechart (machines/supervisor.machine.ts) with one scaler per
 * script type, each owning worker actors (hosted as root actors of their own: worker-host.ts); every effect supplied (process manager, pings, dependencies, reports)
 * and every actor timer on the injected clock. Returns the root actor, not started.
 */
import { type Actor, type AnyActorRef, createActor } from 'xstate';
import { scalerMachine } from '../../machines/scaler.machine.js';
import { scalerId, supervisorMachine } from '../../machines/supervisor.machine.js';
import type { WorkerSettings } from '../../machines/worker.defaults.js';
import { workerMachine } from '../../machines/worker.machine.js';
import type { ProcessManager, ServiceSpec } from '../process/process-manager.js';
import { xstateClockOf } from './clock.js';
import { createDependencyActors } from './dependency-services.js';
import type { ResolvedLifecycleOptions, ResolvedScriptType } from './lifecycle-options.js';
import type { ReportBridge } from './report-bridge.js';
import { createWorkerEffects, type PingPort, type WorkerLaunch } from './worker-effects.js';
import { WorkerHost } from './worker-host.js';

export type SupervisorActor = Actor<typeof supervisorMachine>;

export interface ActorTreeDeps {
  options: ResolvedLifecycleOptions;
  scriptTypes: ReadonlyMap<string, ResolvedScriptType>;
  services: readonly ServiceSpec[];
  dependencyOrder: readonly string[];
  processes: ProcessManager;
  pings: PingPort;
  bridge: ReportBridge;
  /** Per script type: workers that already run (name → pid), adopted instead of started. */
  adoptedWorkers: ReadonlyMap<string, Record<string, number>>;
  adoptedServices: ReadonlySet<string>;
  launchFor(worker: string, scriptTypeHint: string): WorkerLaunch;
  isRedisReachable(): Promise<boolean>;
  redisRestoredAt(): number | undefined;
  /** Opens the transport once the dependencies run (Redis may itself be one). */
  afterDependencies(): Promise<void>;
  onDependencyError(error: Error): void;
}

export function buildActorTree(deps: ActorTreeDeps): SupervisorActor {
  const { options, bridge, processes } = deps;
  const clock = xstateClockOf(options.clock);
  // Workers are root actors hosted outside their scaler (see worker-host.ts): their effects reach it through here.
  let host: WorkerHost | undefined;
  const effects = createWorkerEffects({
    processes,
    pings: deps.pings,
    clock: options.clock,
    logger: options.logger,
    launchFor: deps.launchFor,
    isRedisReachable: deps.isRedisReachable,
    redisRestoredAt: deps.redisRestoredAt,
    onPinged: (report) => bridge.onPinged(report),
    onStateChange: (report) => bridge.onWorkerState(report),
    scalerOf: (name, worker, report) => host?.scalerFor(name, worker, report),
  });
  host = new WorkerHost({
    logic: workerMachine.provide(effects),
    clock,
    inspect: options.inspect,
    onError: (worker, error) => bridge.reportError(`worker ${worker} actor`, error),
  });
  const workerHost = host;
  const logic = supervisorMachine.provide({
    actors: {
      scaler: scalerMachine.provide({
        actions: {
          reportScaled: ({ context }) => bridge.onScaled(context.scriptType, context.lastDecision),
          ...workerHost.scalerActions(),
        },
      }),
      ...createDependencyActors({
        processes: () => processes,
        services: new Map(deps.services.map((spec) => [spec.name, spec])),
        adopted: deps.adoptedServices,
        startTimeoutMs: options.timings.dependencyStartTimeoutMs,
        logger: options.logger,
        clock: options.clock,
        afterStart: deps.afterDependencies,
        onStartError: deps.onDependencyError,
        onStopError: (name, error) => bridge.reportError(`stop dependency ${name}`, error),
      }),
    },
    actions: {
      reportPhase: ({ context }, { phase }) => bridge.onPhase(phase, phase === 'failed' ? context.reason : null),
    },
  });
  const workerInput = { settings: workerSettings(options.settings, processes) };
  const supervisor = createActor(logic, {
    ...(options.inspect !== undefined && { inspect: options.inspect }),
    ...(clock !== undefined && { clock }),
    input: {
      dependencies: deps.dependencyOrder,
      scalers: [...deps.scriptTypes.values()].map((type) => ({
        scriptType: type.scriptType,
        min: type.min,
        max: type.max,
        initial: type.initial,
        workerIds: type.workerIds,
        adopted: deps.adoptedWorkers.get(type.scriptType) ?? {},
        autoscale: type.autoscale,
        workerInput,
      })),
    },
  });
  // A supervisor that stops without draining its scalers (an error, an abort) takes its hosted workers along.
  supervisor.subscribe({
    error: (error) => {
      workerHost.stopAll();
      bridge.reportError('supervisor actor', error as Error);
    },
    complete: () => workerHost.stopAll(),
  });
  return supervisor;
}

/** The worker settings, with the respawn grace of a backend that restarts services by itself (Zinit). */
function workerSettings(settings: Partial<WorkerSettings>, processes: ProcessManager): Partial<WorkerSettings> {
  const grace = processes.respawnGraceMs ?? 0;
  if (settings.backendRestartGraceMs !== undefined || grace <= 0) return settings;
  return { ...settings, backendRestartGraceMs: grace };
}

/** The scaler actor of a script type, once the supervisor runs. */
export function scalerOf(supervisor: SupervisorActor | undefined, scriptType: string): AnyActorRef | undefined {
  const children = supervisor?.getSnapshot().children as Record<string, AnyActorRef | undefined> | undefined;
  return children?.[scalerId(scriptType)];
}
