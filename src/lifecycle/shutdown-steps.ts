/**
 * The steps of a shutdown, run in order; a failing step is reported and never skips the others. Two phases:
 * `beforeDrain` steps run when a shutdown begins, while Redis and the other dependencies still run (stop what only
 * serves a running system, such as the autoscaler's wake-ups); the others run after the actors stopped
 * (unsubscribe, close queues, transport, process manager).
 */
type Step = { name: string; run: () => Promise<unknown> | unknown };

export class ShutdownSteps {
  readonly #beforeDrain: Step[] = [];
  readonly #steps: Step[] = [];

  /** Adds a step at the end, or `first` (before the earlier ones: unsubscribe before closing what they use). */
  add(name: string, run: () => Promise<unknown> | unknown, first = false): void {
    if (first) this.#steps.unshift({ name, run });
    else this.#steps.push({ name, run });
  }

  /** Adds a step run when the shutdown begins, before the actors drain and the dependencies stop. */
  addBeforeDrain(name: string, run: () => Promise<unknown> | unknown): void {
    this.#beforeDrain.push({ name, run });
  }

  runBeforeDrain(onError: (step: string, error: Error) => void): Promise<void> {
    return runSteps(this.#beforeDrain, onError);
  }

  runAll(onError: (step: string, error: Error) => void): Promise<void> {
    return runSteps(this.#steps, onError);
  }
}

async function runSteps(steps: readonly Step[], onError: (step: string, error: Error) => void): Promise<void> {
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      onError(`shutdown step: ${step.name}`, error as Error);
    }
  }
}
