/**
 * Mermaid `stateDiagram-v2` text for a machine graph (GitHub renders it inline). Nested states become
 * composite states; descriptions and the events a state handles in place become notes.
 */
import { type GraphState, type MachineGraph, wrapText } from './machine-graph.js';

/** Mermaid ids may not contain dots or dashes: `worker.failed.gaveUp` → `failed_gaveUp`. */
function mermaidId(graph: MachineGraph, stateId: string): string {
  if (stateId === graph.root.id) return ANY_STATE;
  return stateId.slice(graph.id.length + 1).replace(/[^A-Za-z0-9_]/g, '_');
}

/** Transitions declared on the machine itself apply in every state: drawn from a pseudo-state. */
const ANY_STATE = 'any_state';

/** `;` ends a Mermaid statement and `#` starts an entity code: write both as entity codes. */
function escapeText(text: string): string {
  return text.replace(/[;#]/g, (char) => `#${char.charCodeAt(0)};`);
}

const NOTE_WIDTH = 60;

function writeState(graph: MachineGraph, state: GraphState, indent: string, lines: string[]): void {
  const id = mermaidId(graph, state.id);
  if (state.children.length > 0) {
    lines.push(`${indent}state "${state.key}" as ${id} {`);
    writeChildren(graph, state, `${indent}  `, lines);
    lines.push(`${indent}}`);
  } else {
    lines.push(`${indent}state "${state.key}" as ${id}`);
  }
  const note = [
    ...(state.description ? wrapText(state.description, NOTE_WIDTH) : []),
    ...(state.internal.length > 0 ? [`handles in place: ${state.internal.join(', ')}`] : []),
  ];
  if (note.length > 0) {
    lines.push(`${indent}note right of ${id}`);
    for (const line of note.flatMap((text) => wrapText(text, NOTE_WIDTH))) lines.push(`${indent}  ${escapeText(line)}`);
    lines.push(`${indent}end note`);
  }
}

function writeChildren(graph: MachineGraph, parent: GraphState, indent: string, lines: string[]): void {
  const initial = parent.children.find((child) => child.key === parent.initial);
  if (initial) lines.push(`${indent}[*] --> ${mermaidId(graph, initial.id)}`);
  for (const child of parent.children) writeState(graph, child, indent, lines);
}

export function toMermaid(graph: MachineGraph): string {
  const lines = ['stateDiagram-v2'];
  writeChildren(graph, graph.root, '  ', lines);
  const rootEdges = graph.edges.some((edge) => edge.source === graph.root.id);
  if (rootEdges || graph.root.internal.length > 0) {
    lines.push(`  state "any state" as ${ANY_STATE}`);
    if (graph.root.internal.length > 0) {
      lines.push(`  note right of ${ANY_STATE}`);
      for (const line of wrapText(`handles in place: ${graph.root.internal.join(', ')}`, NOTE_WIDTH)) {
        lines.push(`    ${escapeText(line)}`);
      }
      lines.push('  end note');
    }
  }
  for (const edge of graph.edges) {
    const label = edge.labels.map(escapeText).join('<br/>');
    lines.push(`  ${mermaidId(graph, edge.source)} --> ${mermaidId(graph, edge.target)}: ${label}`);
  }
  return `${lines.join('\n')}\n`;
}
