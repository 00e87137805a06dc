/**
 * Graphviz DOT for a machine graph, rendered to SVG by a WASM Graphviz (`@viz-js/viz`). Each state is a rounded
 * box with its name, its description and the events it handles in place; compound states are clusters
 * entered through a dot (their initial state); parallel transitions share one edge with a label line each.
 */
import { type GraphState, type MachineGraph, wrapText } from './machine-graph.js';

// Narrow enough that wider fallback fonts (a viewer without Helvetica) still fit inside the boxes.
const DESCRIPTION_WIDTH = 40;
const FONT = 'Helvetica,Arial,sans-serif';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function quote(id: string): string {
  return `"${id.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The node an edge attaches to: the state itself, or for a compound state the dot of its initial state. */
function anchorOf(state: GraphState): string {
  return state.children.length > 0 ? `${state.id}.__initial` : state.id;
}

function clusterOf(state: GraphState): string {
  return `cluster_${state.id}`;
}

function stateLabel(state: GraphState): string {
  const rows = [`<b>${escapeHtml(state.key)}</b>`];
  for (const line of state.description ? wrapText(state.description, DESCRIPTION_WIDTH) : []) {
    rows.push(`<font point-size="9" color="#555555">${escapeHtml(line)}</font>`);
  }
  if (state.internal.length > 0) {
    const handled = wrapText(`in place: ${state.internal.join(', ')}`, DESCRIPTION_WIDTH);
    for (const line of handled) rows.push(`<font point-size="8" color="#2f6f9f"><i>${escapeHtml(line)}</i></font>`);
  }
  return `<${rows.join('<br/>')}>`;
}

function writeState(state: GraphState, indent: string, lines: string[]): void {
  if (state.children.length === 0) {
    const final = state.type === 'final' ? ', peripheries=2' : '';
    lines.push(`${indent}${quote(state.id)} [label=${stateLabel(state)}${final}];`);
    return;
  }
  lines.push(`${indent}subgraph ${quote(clusterOf(state))} {`);
  lines.push(`${indent}  label=${stateLabel(state)};`);
  lines.push(`${indent}  style="rounded"; color="#7a8a99"; labeljust="l";`);
  lines.push(`${indent}  ${quote(anchorOf(state))} [shape=point, width=0.12, label=""];`);
  writeChildren(state, `${indent}  `, lines);
  lines.push(`${indent}}`);
}

function writeChildren(parent: GraphState, indent: string, lines: string[]): void {
  for (const child of parent.children) writeState(child, indent, lines);
  const initial = parent.children.find((child) => child.key === parent.initial);
  if (initial) lines.push(`${indent}${quote(anchorOf(parent))} -> ${quote(anchorOf(initial))} [arrowsize=0.6];`);
}

export function toDot(graph: MachineGraph): string {
  const states = new Map<string, GraphState>();
  const collect = (state: GraphState) => {
    states.set(state.id, state);
    for (const child of state.children) collect(child);
  };
  collect(graph.root);

  const lines = [
    `digraph ${quote(graph.id)} {`,
    `  graph [fontname="${FONT}", fontsize=12, rankdir=TB, compound=true, nodesep=0.5, ranksep=0.55, newrank=true, pad=0.4];`,
    `  node [fontname="${FONT}", fontsize=12, shape=box, style="rounded,filled", fillcolor="#f4f7fb", color="#4a6278", margin="0.3,0.1"];`,
    `  edge [fontname="${FONT}", fontsize=9, color="#4a6278", fontcolor="#1f3347", arrowsize=0.7];`,
  ];
  // The machine itself is the outermost frame: its initial dot, its states, its own (any-state) transitions.
  lines.push(`  ${quote(anchorOf(graph.root))} [shape=point, width=0.15, label=""];`);
  writeChildren(graph.root, '  ', lines);

  // Transitions declared on the machine itself apply in every state: drawn from a dashed "any state" box.
  const anyState = `${graph.root.id}.__any`;
  if (graph.edges.some((edge) => edge.source === graph.root.id) || graph.root.internal.length > 0) {
    const internal = graph.root.internal.length > 0 ? `in place: ${graph.root.internal.join(', ')}` : '';
    const rows = ['<i>any state</i>', ...wrapText(internal, DESCRIPTION_WIDTH).map(escapeHtml)];
    lines.push(`  ${quote(anyState)} [label=<${rows.join('<br/>')}>, style="rounded,dashed"];`);
  }

  for (const edge of graph.edges) {
    const source = states.get(edge.source);
    const target = states.get(edge.target);
    if (!source || !target) continue;
    const attributes = [`label=<${edge.labels.map(escapeHtml).join('<br/>')}>`];
    if (source.children.length > 0 && source !== graph.root) attributes.push(`ltail=${quote(clusterOf(source))}`);
    if (target.children.length > 0) attributes.push(`lhead=${quote(clusterOf(target))}`);
    if (source === graph.root) attributes.push('style=dashed');
    const from = source === graph.root ? anyState : anchorOf(source);
    lines.push(`  ${quote(from)} -> ${quote(anchorOf(target))} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
