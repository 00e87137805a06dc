// Stately's tools must be able to read every machine file (issue 2): each `machines/*.machine.ts` is parsed
// with @xstate/machine-extractor, and every state of the real machine must be found in the extraction.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { StateMachine } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { loadMachineExtractor } from './load-machine-extractor.js';

const machinesDir = fileURLToPath(new URL('../../machines/', import.meta.url));
const machineFiles = readdirSync(machinesDir)
  .filter((file) => file.endsWith('.machine.ts'))
  .sort();

interface ExtractedState {
  states?: Record<string, ExtractedState>;
  on?: Record<string, unknown>;
}

/** Paths of every state in an extracted config: `failed`, `failed.gaveUp`, … */
function extractedStatePaths(config: ExtractedState, prefix: string[] = []): string[] {
  return Object.entries(config.states ?? {}).flatMap(([key, child]) => [
    [...prefix, key].join('.'),
    ...extractedStatePaths(child, [...prefix, key]),
  ]);
}

function extractedEventTypes(config: ExtractedState): string[] {
  return [
    ...Object.keys(config.on ?? {}),
    ...Object.values(config.states ?? {}).flatMap((child) => extractedEventTypes(child)),
  ];
}

function exportedMachines(module: Record<string, unknown>): [string, AnyStateMachine][] {
  return Object.entries(module).filter(
    (entry): entry is [string, AnyStateMachine] => entry[0].endsWith('Machine') && entry[1] instanceof StateMachine,
  );
}

describe('machine files', () => {
  const { extractMachinesFromFile } = loadMachineExtractor();

  it('include the worker machine', () => {
    expect(machineFiles).toContain('worker.machine.ts');
  });

  describe.each(machineFiles)('%s', (file) => {
    it('is read by Stately’s extractor with every state of the machine it exports', async () => {
      const extracted = extractMachinesFromFile(readFileSync(`${machinesDir}${file}`, 'utf8'));
      const configs = (extracted?.machines ?? []).map(
        (machine) => machine?.toConfig() as (ExtractedState & { id?: string }) | undefined,
      );
      const module = (await import(/* @vite-ignore */ pathToFileURL(`${machinesDir}${file}`).href)) as Record<
        string,
        unknown
      >;
      const machines = exportedMachines(module);
      expect(machines.length, `${file} exports a <name>Machine`).toBeGreaterThan(0);

      for (const [exportName, machine] of machines) {
        const config = configs.find((candidate) => candidate?.id === machine.id);
        expect(config, `${exportName} (id ${machine.id}) found by the extractor`).toBeDefined();
        const found = new Set(extractedStatePaths(config as ExtractedState));
        const states = getStateNodes(machine.root).map((node) => node.path.join('.'));
        expect(
          states.filter((path) => !found.has(path)),
          `states of ${exportName} the extractor missed`,
        ).toEqual([]);
        // Ordinary events too: a transition hidden from the extractor would vanish from Stately's editor.
        const events = new Set(extractedEventTypes(config as ExtractedState));
        const realEvents = [machine.root, ...getStateNodes(machine.root)].flatMap((node) =>
          Object.keys((node.config as ExtractedState).on ?? {}),
        );
        expect(
          realEvents.filter((type) => !events.has(type)),
          `events of ${exportName} the extractor missed`,
        ).toEqual([]);
      }
    });
  });
});
