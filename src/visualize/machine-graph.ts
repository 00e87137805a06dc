/**
 * A machine as a plain graph for the diagram writers: the state tree from `toDirectedGraph` (xstate/graph)
 * plus the eventless `always` transitions it leaves out, with readable labels (`after idleTimeout`,
 * `pingWorker done [isPingOk]`). Parallel edges between the same two states are merged into one edge
 * with one label line each; targetless transitions are listed on their state instead of as self-loops.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { type DirectedGraphNode, toDirectedGraph } from 'xstate/graph';

export interface GraphState {
  /** The state node id, `worker.failed.gaveUp`. */
  id: string;
  /** The key, `gaveUp`. */
  key: string;
  description: string | undefined;
  /** The key of the initial child, for compound states. */
  initial: string | undefined;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  children: GraphState[];
  /** Targetless transitions handled here without leaving the state, as labels. */
  internal: string[];
}

export interface GraphEdge {
  source: string;
  target: string;
  /** One line per transition between these two states, in machine order. */
  labels: string[];
}

export interface MachineGraph {
  id: string;
  root: GraphState;
  edges: GraphEdge[];
}

interface TransitionLike {
  eventType: string;
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
  reenter?: boolean;
}

/** `xstate.after.idleTimeout.worker.running` → `after idleTimeout`, `xstate.done.actor.ping` → `ping done`. */
export function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (done) return `${done[2]} ${done[1] === 'done' ? 'done' : 'error'}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

export function guardLabel(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') return guard.name && guard.name !== 'guard' ? guard.name : 'inline guard';
  return 'guard';
}

export function transitionLabel(transition: TransitionLike): string {
  const guard = guardLabel(transition.guard);
  return guard ? `${eventLabel(transition.eventType)} [${guard}]` : eventLabel(transition.eventType);
}

function toGraphState(node: DirectedGraphNode, internal: Map<string, string[]>): GraphState {
  const stateNode = node.stateNode;
  return {
    id: stateNode.id,
    key: stateNode.key,
    description: stateNode.description,
    initial: stateNode.initial?.target?.[0]?.key,
    type: stateNode.type,
    children: node.children.map((child) => toGraphState(child, internal)),
    internal: internal.get(stateNode.id) ?? [],
  };
}

export function toMachineGraph(machine: AnyStateMachine): MachineGraph {
  const directed = toDirectedGraph(machine);
  const edges = new Map<string, GraphEdge>();
  const internal = new Map<string, string[]>();

  const addTransition = (source: AnyStateNode, transition: TransitionLike) => {
    const label = transitionLabel(transition);
    const targets = transition.target ?? [];
    if (targets.length === 0) {
      internal.set(source.id, [...(internal.get(source.id) ?? []), label]);
      return;
    }
    for (const target of targets) {
      const key = `${source.id}\u0000${target.id}`;
      const edge = edges.get(key) ?? { source: source.id, target: target.id, labels: [] };
      if (!edge.labels.includes(label)) edge.labels.push(label);
      edges.set(key, edge);
    }
  };

  const visit = (node: DirectedGraphNode) => {
    for (const edge of node.edges) {
      // toDirectedGraph draws a targetless transition as an edge back to its source; keep it internal instead.
      addTransition(node.stateNode, { ...edge.transition, target: edge.transition.target ?? [] });
    }
    for (const transition of node.stateNode.always ?? []) addTransition(node.stateNode, transition);
    for (const child of node.children) visit(child);
  };
  visit(directed);

  return { id: machine.id, root: toGraphState(directed, internal), edges: [...edges.values()] };
}

/** Every state of the graph, depth first, root excluded. */
export function allGraphStates(state: GraphState): GraphState[] {
  return state.children.flatMap((child) => [child, ...allGraphStates(child)]);
}

/** Wrap text at word boundaries into lines of at most `width` characters. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
