/**
 * One fast-check seed per test run, so that a failing property can be re-run exactly: `FC_SEED=<n> npx vitest run
 * <file>`. Without FC_SEED each run draws a new seed (properties keep exploring); the seed is printed at the start.
 */
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    fcSeed: number;
  }
}

/** FC_SEED parsed, or undefined when unset; anything but a 32-bit integer is refused by name. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.FC_SEED;
  if (text === undefined || text.trim() === '') return undefined;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < -0x80000000 || seed > 0xffffffff) {
    throw new Error(`FC_SEED must be a 32-bit integer (as fast-check prints it), got ${JSON.stringify(text)}`);
  }
  return seed | 0;
}

export function drawSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0;
}
