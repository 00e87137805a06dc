// The diagram generator (issue 2): machine graph labels, the eventless transitions toDirectedGraph leaves
// out, deterministic output, and `--check` naming stale files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workerMachine } from '../machines/worker.machine.js';
import { eventLabel, toMachineGraph } from '../src/visualize/machine-graph.js';
import { toDot } from '../src/visualize/to-dot.js';
import { toMermaid } from '../src/visualize/to-mermaid.js';
import { diagramName, generateVisualizations, renderSvg } from '../src/visualize/write-visualizations.js';

describe('eventLabel', () => {
  it('names delays, invoked actors and eventless transitions readably', () => {
    expect(eventLabel('xstate.after.idleTimeout.worker.running')).toBe('after idleTimeout');
    expect(eventLabel('xstate.done.actor.pingWorker')).toBe('pingWorker done');
    expect(eventLabel('xstate.error.actor.startProcess')).toBe('startProcess error');
    expect(eventLabel('')).toBe('always');
    expect(eventLabel('process.exited')).toBe('process.exited');
  });
});

describe('toMachineGraph', () => {
  const graph = toMachineGraph(workerMachine);

  it('adds the eventless always transition with its guard', () => {
    const idleToPinging = graph.edges.find(
      (edge) => edge.source === 'worker.up.idle' && edge.target === 'worker.up.pinging',
    );
    expect(idleToPinging?.labels).toEqual(['PING', 'after pingInterval', 'always [isPingDue]']);
  });

  it('merges parallel transitions into one edge and keeps targetless ones on their state', () => {
    const pingingToIdle = graph.edges.find(
      (edge) => edge.source === 'worker.up.pinging' && edge.target === 'worker.up.idle',
    );
    expect(pingingToIdle?.labels).toEqual([
      'pingWorker done [isPingOk]',
      'pingWorker done [isPingTransportDown]',
      'pingWorker done',
      'pingWorker error',
    ]);
    const restarting = graph.root.children.find((state) => state.key === 'restarting');
    expect(restarting?.internal).toEqual(['process.spawned', 'process.exited [isExitOfReplacedProcess]']);
  });

  it('writes a Mermaid stateDiagram-v2 with nested states and escaped text', () => {
    const mermaid = toMermaid(graph);
    expect(mermaid.startsWith('stateDiagram-v2\n  [*] --> stopped\n')).toBe(true);
    expect(mermaid).toContain('  state "failed" as failed {\n    [*] --> failed_deciding\n');
    expect(mermaid).toContain('  failed_deciding --> failed_gaveUp: readClock done [isOverRestartIntensity]\n');
    expect(mermaid).not.toMatch(/^\s+note[^\n]*;/m);
  });
});

describe('renderSvg', () => {
  it('renders the same bytes twice', async () => {
    const dot = toDot(toMachineGraph(workerMachine));

    const [first, second] = [await renderSvg(dot), await renderSvg(dot)];

    expect(first).toBe(second);
    expect(first).toContain('<svg');
    expect(first).toContain('>gaveUp</text>');
  });
});

describe('generateVisualizations', () => {
  let outDir: string | undefined;
  afterEach(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('names each diagram after its machine export', () => {
    expect(diagramName('workerMachine')).toBe('worker');
    expect(diagramName('workerPoolMachine')).toBe('worker-pool');
  });

  it('writes every diagram, then reports it current, then names the one that went stale', async () => {
    outDir = mkdtempSync(join(tmpdir(), 'hero-visualize-'));
    const quiet = { outDir, log: () => {}, error: () => {} };

    const missing = await generateVisualizations({ ...quiet, check: true });
    const written = await generateVisualizations(quiet);
    const current = await generateVisualizations({ ...quiet, check: true });
    writeFileSync(join(outDir, 'worker.mmd'), `${readFileSync(join(outDir, 'worker.mmd'), 'utf8')}\n`);
    const errors: string[] = [];
    const stale = await generateVisualizations({ ...quiet, check: true, error: (line) => errors.push(line) });

    expect(missing.stale.length).toBeGreaterThanOrEqual(2);
    expect(written.files.map((file) => file.replace(/^.*\//, ''))).toEqual(
      expect.arrayContaining(['worker.mmd', 'worker.svg']),
    );
    expect(current.stale).toEqual([]);
    expect(stale.stale.map((file) => file.replace(/^.*\//, ''))).toEqual(['worker.mmd']);
    expect(errors).toEqual([expect.stringMatching(/worker\.mmd is stale: run `npm run visualize`/)]);
  });
});
