/**
 * The transitions of a machine, flattened to what can be observed: (leaf source state, event) → leaf target, in the
 * order the machine tries them. A transition declared once on a parent state appears under each of its leaves, and
 * a target that is a compound state resolves to the leaf it enters (`failed` → `deciding`), so the flattened list
 * stays the same when states are only regrouped (a structure-only refactor) and changes when behaviour changes.
 */
import type { AnyStateMachine, AnyStateNode, InspectionEvent, StateValue } from 'xstate';
import { getStateNodes } from 'xstate/graph';

/** One flattened transition: `running --process.exited [isExitOfCurrentProcess]--> deciding`. */
export interface FlatTransition {
  /** The leaf state the machine is in. */
  from: string;
  /** `START`, `after idleTimeout`, `done pingWorker`, `error restartProcess`, `(always)`. */
  event: string;
  guard?: string;
  /** The leaf entered; `null` when the transition has no target (actions only: the state stays). */
  to: string | null;
  /** The target is exited and entered again (its timers re-armed) even though the machine is already in it. */
  reenter?: true;
}

export function flatKey({ from, event, guard, to, reenter }: FlatTransition): string {
  const target = `${to ?? '(stays)'}${reenter ? ' (re-entered)' : ''}`;
  return `${from} --${event}${guard === undefined ? '' : ` [${guard}]`}--> ${target}`;
}

/** The inverse of flatKey, for oracles written as lines. */
export function parseFlatKey(key: string): FlatTransition {
  const match = /^(\S+) --(.+?)(?: \[(\w+)\])?--> (\S+)( \(re-entered\))?$/.exec(key);
  if (!match) throw new Error(`Not a flattened transition: ${JSON.stringify(key)}`);
  const [, from, event, guard, to, reenter] = match as unknown as [
    string,
    string,
    string,
    string | undefined,
    string,
    string | undefined,
  ];
  return {
    from,
    event,
    ...(guard === undefined ? {} : { guard }),
    to: to === '(stays)' ? null : to,
    ...(reenter === undefined ? {} : { reenter: true as const }),
  };
}

/** `xstate.after.idleTimeout.worker.running` → `after idleTimeout`; `xstate.done.actor.x` → `done x`. */
export function normalizeEventType(eventType: string): string {
  if (eventType === '') return '(always)';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  if (eventType.startsWith('xstate.done.actor.')) return `done ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error ${eventType.slice('xstate.error.actor.'.length)}`;
  return eventType;
}

/** The leaf a target state enters: compound states are followed through their initial child. */
export function enteredLeaf(node: AnyStateNode): AnyStateNode {
  let current = node;
  while (current.type === 'compound') {
    const next = current.initial.target[0] as AnyStateNode | undefined;
    if (next === undefined) throw new Error(`State ${current.id} has no initial child`);
    current = next;
  }
  return current;
}

interface TransitionLike {
  source: AnyStateNode;
  eventType: string;
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
  reenter?: boolean;
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') return guard.name || '(inline guard)';
  return String(guard);
}

export function flatten(from: string, transition: TransitionLike): FlatTransition {
  const target = transition.target?.[0];
  const guard = guardName(transition.guard);
  const to = target === undefined ? null : enteredLeaf(target).key;
  // A leaf that targets itself is exited and entered again (its timers re-armed) when the transition says `reenter`,
  // or when it is declared on an ancestor: the ancestor stays, but its active child is left and entered again.
  const reentered = to === from && (transition.reenter === true || transition.source.key !== from);
  return {
    from,
    event: normalizeEventType(transition.eventType),
    ...(guard === undefined ? {} : { guard }),
    to,
    ...(reentered ? { reenter: true as const } : {}),
  };
}

function ancestry(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let current: AnyStateNode | undefined = node; current; current = current.parent) chain.push(current);
  return chain;
}

export function leafNodes(machine: AnyStateMachine): AnyStateNode[] {
  return getStateNodes(machine.root).filter((node) => node.type === 'atomic' || node.type === 'final');
}

/**
 * Every flattened transition of the machine: for each leaf and each event, the candidates of the leaf, then of its
 * parent, and so on up (as the machine tries them), ending at the first one without a guard (later ones are shadowed).
 */
export function flattenMachine(machine: AnyStateMachine): FlatTransition[] {
  const result: FlatTransition[] = [];
  for (const leaf of leafNodes(machine)) {
    const chain = ancestry(leaf);
    const eventTypes = new Set<string>();
    for (const node of chain) {
      if ((node.always ?? []).length > 0) eventTypes.add('');
      for (const eventType of node.transitions.keys()) eventTypes.add(eventType);
    }
    const byEvent = new Map<string, FlatTransition[]>();
    for (const eventType of eventTypes) {
      const candidates: FlatTransition[] = [];
      search: for (const node of chain) {
        const definitions: readonly TransitionLike[] =
          eventType === '' ? (node.always ?? []) : (node.transitions.get(eventType) ?? []);
        for (const definition of definitions) {
          candidates.push(flatten(leaf.key, definition));
          if (definition.guard === undefined) break search;
        }
      }
      // A parent's delayed transition has its own event type per state node: merge them by normalized name.
      const event = normalizeEventType(eventType);
      byEvent.set(event, [...(byEvent.get(event) ?? []), ...candidates]);
    }
    for (const candidates of byEvent.values()) result.push(...candidates);
  }
  return canonicalOrder(result);
}

/** Sorted by source leaf and event; the candidates of one (leaf, event) keep the order the machine tries them in. */
export function canonicalOrder(transitions: readonly FlatTransition[]): FlatTransition[] {
  return [...transitions].sort((a, b) => compare(a.from, b.from) || compare(a.event, b.event));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The leaf of a state value: `{ failed: 'gaveUp' }` → `gaveUp`. */
export function leafOfValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value)[0] ?? [];
  if (key === undefined) throw new Error('Empty state value');
  return child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
    ? key
    : leafOfValue(child as StateValue);
}

/**
 * Records the flattened transitions a real actor takes (pass `inspect` to `createActor`), and reports them against
 * a hand-written list: the denominator is the oracle, so a transition deleted from the machine shows as not reached,
 * and one the machine takes but the oracle does not know shows as unexpected.
 */
export function createOracleCoverageTracker(oracle: readonly FlatTransition[]) {
  const taken = new Set<string>();
  // The leaf each root actor was in before its current microstep, by session.
  const leafBySession = new Map<string, string>();
  return {
    inspect(event: InspectionEvent): void {
      if (event.actorRef.sessionId !== event.rootId) return;
      const session = event.actorRef.sessionId;
      const value = 'snapshot' in event ? (event.snapshot as { value?: StateValue }).value : undefined;
      if (event.type === '@xstate.microstep') {
        const before = leafBySession.get(session);
        for (const transition of event._transitions as unknown as TransitionLike[]) {
          if (before === undefined || transition.eventType.startsWith('xstate.init')) continue;
          taken.add(flatKey(flatten(before, transition)));
        }
      }
      if ((event.type === '@xstate.microstep' || event.type === '@xstate.snapshot') && value !== undefined) {
        leafBySession.set(session, leafOfValue(value));
      }
    },
    taken(): ReadonlySet<string> {
      return taken;
    },
    report() {
      const expected = oracle.map(flatKey);
      const known = new Set(expected);
      return {
        reached: expected.filter((key) => taken.has(key)).length,
        total: expected.length,
        missing: expected.filter((key) => !taken.has(key)),
        unexpected: [...taken].filter((key) => !known.has(key)),
      };
    },
  };
}

export type OracleCoverageReport = ReturnType<ReturnType<typeof createOracleCoverageTracker>['report']>;
