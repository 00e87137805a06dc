/**
 * Counts what the real system was driven through against the hand-written spec's own lists (never against the
 * system's machines): states observed and transitions taken, printed after the run; anything missed fails.
 */
import { expect } from 'vitest';

export class SpecCoverage {
  readonly #states = new Set<string>();
  readonly #transitions = new Set<string>();

  constructor(
    readonly name: string,
    readonly allStates: readonly string[],
    readonly allTransitions: readonly string[],
  ) {}

  /** Records a step once its observations passed. */
  record(state: string, transition: string | null): void {
    this.#states.add(state);
    if (transition !== null) this.#transitions.add(transition);
  }

  report(): string {
    const states = this.allStates.filter((state) => this.#states.has(state)).length;
    const transitions = this.allTransitions.filter((transition) => this.#transitions.has(transition)).length;
    return `system model coverage: ${this.name} states ${states}/${this.allStates.length}, transitions ${transitions}/${this.allTransitions.length}`;
  }

  expectComplete(): void {
    const missed = [
      ...this.allStates.filter((state) => !this.#states.has(state)).map((state) => `state ${state}`),
      ...this.allTransitions.filter((transition) => !this.#transitions.has(transition)),
    ];
    expect(missed, `${this.name}: spec parts never executed against the system`).toEqual([]);
  }
}
