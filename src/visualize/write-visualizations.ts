/**
 * Writes `visualizations/<name>.mmd` (Mermaid) and `visualizations/<name>.svg` (Graphviz, via the WASM build
 * in `@viz-js/viz`) for every machine exported as `<name>Machine` from `machines/*.machine.ts`. The output is
 * deterministic, so `check` can compare it byte for byte and name the stale files.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type AnyStateMachine, StateMachine } from 'xstate';
import { toMachineGraph } from './machine-graph.js';
import { toDot } from './to-dot.js';
import { toMermaid } from './to-mermaid.js';

export interface WriteVisualizationsOptions {
  /** Compare instead of writing; report the files that would change. @defaultValue false */
  check?: boolean;
  /** The package root (holding `machines/` and `visualizations/`). @defaultValue found from this file */
  rootDir?: string;
  /** Where to write. @defaultValue `<rootDir>/visualizations` */
  outDir?: string;
  /** Where progress and problems go. @defaultValue console.log / console.error */
  log?: (line: string) => void;
  error?: (line: string) => void;
}

export interface VisualizationsResult {
  /** Files (relative to the root) that were written, or in check mode that are current. */
  files: string[];
  /** Files whose content differs from what the machines produce (check mode). */
  stale: string[];
}

/** The package root: the nearest directory above this file with a `machines/` folder. */
function findRootDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'machines')) || !existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the package root (a folder with machines/ and package.json).');
    dir = parent;
  }
  return dir;
}

/** Machine modules next to the running code: `machines/*.machine.ts` under tsx, `dist/machines/*.machine.js` built. */
async function machineModules(rootDir: string): Promise<string[]> {
  const here = fileURLToPath(import.meta.url);
  const built = here.endsWith('.js') && here.includes(`${join('dist', 'src')}`);
  const dir = built ? join(rootDir, 'dist', 'machines') : join(rootDir, 'machines');
  const extension = built ? '.machine.js' : '.machine.ts';
  const files = (await readdir(dir)).filter((file) => file.endsWith(extension)).sort();
  return files.map((file) => join(dir, file));
}

/** `workerMachine` → `worker`; `fooBarMachine` → `foo-bar`. */
export function diagramName(exportName: string): string {
  return exportName
    .replace(/Machine$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  return viz.renderString(dot, { format: 'svg' });
}

export async function writeVisualizations(options: WriteVisualizationsOptions = {}): Promise<boolean> {
  const result = await generateVisualizations(options);
  return result.stale.length === 0;
}

export async function generateVisualizations(options: WriteVisualizationsOptions = {}): Promise<VisualizationsResult> {
  const rootDir = options.rootDir ?? findRootDir();
  const log = options.log ?? ((line: string) => console.log(line));
  const error = options.error ?? ((line: string) => console.error(line));
  const outDir = options.outDir ?? join(rootDir, 'visualizations');
  const files: string[] = [];
  const stale: string[] = [];

  const outputs: [string, string][] = [];
  for (const file of await machineModules(rootDir)) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const machines = Object.entries(module)
      .filter(
        (entry): entry is [string, AnyStateMachine] => entry[0].endsWith('Machine') && entry[1] instanceof StateMachine,
      )
      .sort(([a], [b]) => a.localeCompare(b));
    for (const [exportName, machine] of machines) {
      const graph = toMachineGraph(machine);
      const name = diagramName(exportName);
      outputs.push([join(outDir, `${name}.mmd`), toMermaid(graph)]);
      outputs.push([join(outDir, `${name}.svg`), await renderSvg(toDot(graph))]);
    }
  }

  if (!options.check) mkdirSync(outDir, { recursive: true });
  for (const [path, content] of outputs) {
    const shown = relative(rootDir, path);
    const current = existsSync(path) ? await readFile(path, 'utf8') : undefined;
    if (options.check) {
      if (current === content) files.push(shown);
      else {
        stale.push(shown);
        error(`${shown} is ${current === undefined ? 'missing' : 'stale'}: run \`npm run visualize\` and commit it.`);
      }
      continue;
    }
    if (current !== content) await writeFile(path, content);
    files.push(shown);
    log(`${current === content ? 'unchanged' : 'wrote'} ${shown}`);
  }
  if (options.check && stale.length === 0) log(`visualizations are current (${files.length} files)`);
  return { files, stale };
}
