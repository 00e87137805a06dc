/**
 * The dashboard's files: its page, script and styles (src/admin/dashboard/static/), uPlot from node_modules, and
 * the worker machine's generated diagram (visualizations/worker.svg), all read from disk at run time, so that
 * nothing is fetched from the internet and a regenerated diagram shows without a rebuild. Only the names below
 * are served: a request can never name a path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The folder with hero-supervisor's package.json: src/ and dist/src/ sit at different depths below it. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'hero-supervisor') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the hero-supervisor package root (its package.json).');
    dir = parent;
  }
}

function uplotDist(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('uplot/package.json')), 'dist');
}

/** Public name (under /dashboard/assets/) → file. */
function assetFiles(root: string): Map<string, string> {
  const statics = join(root, 'src', 'admin', 'dashboard', 'static');
  const files = new Map<string, string>();
  for (const name of [
    'dashboard.html',
    'login.html',
    'dashboard.css',
    'dashboard.js',
    'login.js',
    'charts.js',
    'statechart.js',
    'format.js',
  ])
    files.set(name, join(statics, name));
  const uplot = uplotDist();
  files.set('uPlot.esm.js', join(uplot, 'uPlot.esm.js'));
  files.set('uPlot.min.css', join(uplot, 'uPlot.min.css'));
  files.set('worker.svg', join(root, 'visualizations', 'worker.svg'));
  return files;
}

export class DashboardAssets {
  readonly #files: Map<string, string>;
  readonly #cache = new Map<string, Asset>();

  constructor(root = packageRoot()) {
    this.#files = assetFiles(root);
  }

  has(name: string): boolean {
    return this.#files.has(name);
  }

  /** The asset, read once and kept (they are small, and the same for the daemon's life). */
  async get(name: string): Promise<Asset | undefined> {
    const cached = this.#cache.get(name);
    if (cached !== undefined) return cached;
    const file = this.#files.get(name);
    if (file === undefined) return undefined;
    const extension = name.slice(name.lastIndexOf('.'));
    const asset = { body: await readFile(file), contentType: TYPES[extension] ?? 'application/octet-stream' };
    this.#cache.set(name, asset);
    return asset;
  }
}
