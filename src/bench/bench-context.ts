/**
 * What every figure receives: the bench's Redis, a key prefix unique to this run, the smoke switch that shrinks
 * sizes, and a registry of cleanups run when the figure ends (processes, connections, temp dirs).
 */
import type { BenchLine } from './output.js';

export interface BenchContext {
  redisUrl: string;
  /** Tiny sizes for the CI smoke test: the JSON shape matters, not the numbers. */
  smoke: boolean;
  /** Key prefix unique to this bench run, so nothing collides with another run on a shared Redis. */
  prefix: string;
  emit(line: BenchLine): void;
  /** Progress for humans, on stderr (stdout carries only JSON lines). */
  log(message: string): void;
  /** Runs on figure end, last registered first; failures are logged, never thrown. */
  defer(cleanup: () => unknown): void;
  /** `full` normally, `smoke` with --smoke. */
  size<T>(full: T, smoke: T): T;
}

export interface Figure {
  name: string;
  /** What the figure needs, shown when it is skipped or fails. */
  description: string;
  /** Whether `--smoke` of this figure fits the CI smoke test (~30 s for all of them together). */
  smokeInCi: boolean;
  run(ctx: BenchContext): Promise<void>;
}
