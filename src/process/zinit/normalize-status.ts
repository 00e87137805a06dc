/**
 * State normalisation: a raw Zinit status (Rust Debug state string, pid, target) becomes the contract's
 * ServiceStatus. Pure. Besides Zinit's reply it uses what only the manager knows: the declared specs (to name what
 * failed to spawn) and the services it holds down on purpose (restart mode never/on-failure), which Zinit shows
 * like any other exited service.
 */
import type { ServiceSpec, ServiceState, ServiceStatus } from '../process-manager.js';
import type { ZinitRawStatus } from './zinit-client.js';
import { parseZinitState, SPAWN_FAILURE_REASON, TEST_FAILURE_REASON } from './zinit-state.js';

/** What the manager knows beyond Zinit's reply. */
export interface ZinitKnowledge {
  /** Specs declared through this manager, by name. */
  readonly specs: ReadonlyMap<string, ServiceSpec>;
  /** Services kept down after an exit because their restart mode says so (Zinit would restart them). */
  readonly heldDown: ReadonlySet<string>;
}

/** Stopped on request: target Down and no process, unless the manager itself holds it down after an exit. */
export function isStoppedOnPurpose(
  raw: Pick<ZinitRawStatus, 'name' | 'target' | 'pid'>,
  heldDown: ReadonlySet<string>,
): boolean {
  return raw.target === 'Down' && raw.pid === 0 && !heldDown.has(raw.name);
}

/**
 * Why Zinit could not spawn a service (`Failure`), naming the binary of its spec when it was declared here. Zinit only
 * says `Failure`: a missing binary, no execute permission and an unparsable exec line all look the same.
 */
export function spawnFailureReason(spec: ServiceSpec | undefined): string {
  if (spec === undefined) return SPAWN_FAILURE_REASON;
  return `Zinit could not spawn ${spec.command[0]}: missing binary, no execute permission, or an unparsable exec line`;
}

/** Why Zinit could not run a service's health check (`TestFailure`), naming the check of its spec when known. */
export function healthCheckFailureReason(spec: ServiceSpec | undefined): string {
  const check = spec?.healthCheck?.[0];
  return check === undefined ? TEST_FAILURE_REASON : `Zinit could not run the health check ${check}`;
}

/** The reason of a state: the spec's words for the two failures, else what the state string said. */
export function reasonFor(
  spec: ServiceSpec | undefined,
  state: ServiceState,
  parsedReason: string | undefined,
): string | undefined {
  if (state === 'failure') return spawnFailureReason(spec);
  if (state === 'test-failure') return healthCheckFailureReason(spec);
  return parsedReason;
}

/** Zinit's rule (NOTES §5): a dependency is met when it is Running and not a oneshot, or when it is Success. */
export function dependencySatisfied(rawState: string, dependencySpec: ServiceSpec | undefined): boolean {
  const state = parseZinitState(rawState).state;
  if (state === 'success') return true;
  return state === 'running' && dependencySpec?.oneshot !== true;
}

/** Raw Zinit status → ServiceStatus. A service stopped on purpose (target Down, no process) is `stopped`. */
export function normalizeStatus(raw: ZinitRawStatus, knowledge: ZinitKnowledge): ServiceStatus {
  const parsed = parseZinitState(raw.state);
  const stopped = isStoppedOnPurpose(raw, knowledge.heldDown);
  const status: ServiceStatus = {
    name: raw.name,
    state: stopped ? 'stopped' : parsed.state,
    pid: raw.pid,
    target: raw.target === 'Down' ? 'down' : 'up',
    dependencies: Object.fromEntries(
      Object.entries(raw.after).map(([dependency, state]) => [dependency, parseZinitState(state).state]),
    ),
  };
  const reason = stopped ? undefined : reasonFor(knowledge.specs.get(raw.name), parsed.state, parsed.reason);
  if (reason !== undefined) status.reason = reason;
  return status;
}

/** A service declared through this manager that Zinit does not monitor yet (never started): stopped, no process. */
export function declaredOnlyStatus(spec: ServiceSpec): ServiceStatus {
  return {
    name: spec.name,
    state: 'stopped',
    pid: 0,
    target: 'down',
    dependencies: Object.fromEntries((spec.after ?? []).map((dependency) => [dependency, 'unknown' as ServiceState])),
  };
}
