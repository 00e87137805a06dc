/** The package version a worker reports in ping replies, read once from the nearest hero-supervisor package.json. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  // dist/src/worker/ and src/worker/ sit at different depths: walk up until our package.json.
  let url = new URL('./', import.meta.url);
  for (let depth = 0; depth < 5; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'hero-supervisor' && typeof manifest.version === 'string') {
        cached = manifest.version;
        break;
      }
    } catch {
      // no package.json here: keep walking up
    }
    url = new URL('../', url);
  }
  return cached;
}
