/**
 * The test setup never lets a run test a stale dist/ (test/helpers/dist-freshness.ts): shown on a small real
 * TypeScript project compiled by the project's own tsc, as `npm run build` would.
 */
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BuildResult, buildWithTsc, ensureFreshDist, findStaleOutputs } from './helpers/dist-freshness.js';

const REPO = resolve('.');

describe('dist/ freshness before tests run', () => {
  let root: string;
  let builds: number;
  /** The real compiler of this repository, run in the scratch project; counts how often it ran. */
  const build = async (dir: string): Promise<BuildResult> => {
    builds++;
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const { execFile } = await import('node:child_process');
    return new Promise((done) =>
      execFile(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir }, (error, stdout, stderr) =>
        done({ ok: error === null, output: `${stdout}${stderr}` }),
      ),
    );
  };
  const later = async (path: string, seconds: number) => {
    const when = new Date(Date.now() + seconds * 1000);
    await utimes(join(root, path), when, when);
  };

  beforeEach(async () => {
    builds = 0;
    root = await mkdtemp(join(tmpdir(), 'hero-dist-fresh-'));
    await mkdir(join(root, 'src', 'deep'), { recursive: true });
    await mkdir(join(root, 'machines'));
    await writeFile(
      join(root, 'tsconfig.build.json'),
      JSON.stringify({
        compilerOptions: { outDir: 'dist', rootDir: '.', module: 'NodeNext', target: 'ES2022', strict: true },
        include: ['src', 'machines'],
      }),
    );
    await writeFile(join(root, 'src', 'deep', 'a.ts'), 'export const answer: number = 1;\n');
    await writeFile(join(root, 'machines', 'm.ts'), 'export const machine = "m";\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('builds a missing dist/, then leaves a fresh one alone without building', async () => {
    expect((await findStaleOutputs({ root })).map((item) => `${item.source}:${item.reason}`).sort()).toEqual([
      'machines/m.ts:missing',
      'src/deep/a.ts:missing',
    ]);
    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: true });
    expect(await readFile(join(root, 'dist', 'src', 'deep', 'a.js'), 'utf8')).toContain('answer = 1');

    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: false });
    expect(builds).toBe(1);
  });

  it('rebuilds when a source under src/ or machines/ is newer than its output', async () => {
    await ensureFreshDist({ root, build });
    await writeFile(join(root, 'src', 'deep', 'a.ts'), 'export const answer: number = 2;\n');
    await later('src/deep/a.ts', 5);
    expect(await findStaleOutputs({ root })).toEqual([
      { source: 'src/deep/a.ts', output: 'dist/src/deep/a.js', reason: 'older' },
    ]);

    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: true });
    expect(await readFile(join(root, 'dist', 'src', 'deep', 'a.js'), 'utf8')).toContain('answer = 2');

    await later('machines/m.ts', 10);
    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: true });
    expect(builds).toBe(3);
  });

  it('settles after a source was only touched: the next run does not build again', async () => {
    await ensureFreshDist({ root, build });
    await later('src/deep/a.ts', 5);
    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: true });
    expect(await ensureFreshDist({ root, build })).toEqual({ rebuilt: false });
    expect(builds).toBe(2);
  });

  it('fails the run, naming what is stale, when the rebuild fails', async () => {
    await ensureFreshDist({ root, build });
    await writeFile(join(root, 'src', 'deep', 'a.ts'), 'export const answer: number = "not a number";\n');
    await later('src/deep/a.ts', 5);

    const failure = ensureFreshDist({ root, build });
    await expect(failure).rejects.toThrow(/dist\/ is stale \(dist\/src\/deep\/a\.js is older than src\/deep\/a\.ts\)/);
    await expect(failure).rejects.toThrow(/rebuilding it failed.*npm run build[\s\S]*TS2322/);
  });

  it('this repository: the default build is the project compiler and dist/ is fresh when tests run', async () => {
    expect(typeof buildWithTsc).toBe('function');
    expect(await findStaleOutputs({ root: REPO })).toEqual([]);
  });
});
