/**
 * Keeps tests from running a stale build: many tests spawn the binaries in dist/, and a dist/ older than src/ once
 * let a bug in src/ pass. Each TypeScript source under src/ and machines/ is compared with its output in dist/ (one
 * stat each, so a fresh dist/ costs a few milliseconds); any output missing or older than its source triggers
 * `npm run build`'s compiler, and a build that fails stops the run with a message saying so.
 */
import { execFile } from 'node:child_process';
import { readdir, stat, utimes } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface StaleOutput {
  /** Relative to the project root, e.g. `src/daemon/daemon.ts`. */
  source: string;
  /** Relative to the project root, e.g. `dist/src/daemon/daemon.js`. */
  output: string;
  reason: 'missing' | 'older';
}

export interface BuildResult {
  ok: boolean;
  output: string;
}

export interface FreshnessOptions {
  root: string;
  /** Folders of TypeScript sources, relative to root. @defaultValue ['src', 'machines'] */
  sourceDirs?: readonly string[];
  /** @defaultValue 'dist' */
  outDir?: string;
  /** @defaultValue the project's own compiler on tsconfig.build.json (what `npm run build` runs) */
  build?: (root: string) => Promise<BuildResult>;
}

async function typeScriptSources(root: string, dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Every source whose compiled output is missing or older than the source. */
export async function findStaleOutputs({
  root,
  sourceDirs = ['src', 'machines'],
  outDir = 'dist',
}: FreshnessOptions): Promise<StaleOutput[]> {
  const sources = (await Promise.all(sourceDirs.map((dir) => typeScriptSources(root, dir)))).flat();
  const checks = await Promise.all(
    sources.map(async (source): Promise<StaleOutput | undefined> => {
      const output = join(outDir, source.replace(/\.ts$/, '.js'));
      const [sourceTime, outputTime] = await Promise.all([mtimeOf(join(root, source)), mtimeOf(join(root, output))]);
      if (sourceTime === undefined) return undefined;
      if (outputTime === undefined) return { source, output, reason: 'missing' };
      return sourceTime > outputTime ? { source, output, reason: 'older' } : undefined;
    }),
  );
  return checks.filter((check): check is StaleOutput => check !== undefined);
}

/** `tsc -p tsconfig.build.json` with the project's own TypeScript: what `npm run build` runs. */
export function buildWithTsc(root: string): Promise<BuildResult> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json'],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

function describeStale(stale: readonly StaleOutput[]): string {
  const first = stale
    .slice(0, 3)
    .map((item) => `${item.output} is ${item.reason === 'missing' ? 'missing' : `older than ${item.source}`}`);
  return `${first.join('; ')}${stale.length > 3 ? ` (and ${stale.length - 3} more)` : ''}`;
}

/**
 * Rebuilds dist/ when it is stale; resolves with whether it rebuilt. Rejects, saying what is stale, when the build
 * fails or leaves an output missing.
 */
export async function ensureFreshDist(options: FreshnessOptions): Promise<{ rebuilt: boolean }> {
  const stale = await findStaleOutputs(options);
  if (stale.length === 0) return { rebuilt: false };
  const build = options.build ?? buildWithTsc;
  const result = await build(options.root);
  if (!result.ok) {
    throw new Error(
      `dist/ is stale (${describeStale(stale)}) and rebuilding it failed; fix the errors, then \`npm run build\`:\n${result.output}`,
    );
  }
  const left = await findStaleOutputs(options);
  const missing = left.filter((item) => item.reason === 'missing');
  if (missing.length > 0) {
    throw new Error(`dist/ is still incomplete after \`npm run build\`: ${describeStale(missing)}.`);
  }
  // An incremental build does not rewrite an output whose source was touched but compiles to the same code: the
  // build succeeded, so that output is current; mark it so the next run does not rebuild again.
  await Promise.all(
    left.map(async (item) => {
      const sourceTime = (await mtimeOf(join(options.root, item.source))) ?? Date.now();
      // Rounded up past the source: mtimes are nanoseconds and a Date holds milliseconds, so an equal-looking time
      // could still read as a hair older than the source.
      const when = new Date(Math.ceil(Math.max(Date.now(), sourceTime)) + 1);
      await utimes(join(options.root, item.output), when, when);
    }),
  );
  return { rebuilt: true };
}
