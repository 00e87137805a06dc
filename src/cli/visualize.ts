/**
 * `npm run visualize` (and `hero-supervisor visualize`): writes the statechart diagrams of every
 * `machines/*.machine.ts` into `visualizations/`. With `--check`, writes nothing and exits 1 naming any stale file.
 */
import { fileURLToPath } from 'node:url';
import { writeVisualizations } from '../visualize/write-visualizations.js';

export { generateVisualizations, writeVisualizations } from '../visualize/write-visualizations.js';

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];

if (invokedDirectly) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`Unknown argument ${unknown.join(' ')}. Usage: npm run visualize [-- --check]`);
    process.exitCode = 2;
  } else {
    const current = await writeVisualizations({ check: args.includes('--check') });
    if (!current) process.exitCode = 1;
  }
}
