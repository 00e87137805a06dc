/**
 * The steps of a shutdown after the actors stopped (unsubscribe, close queues, transport, process manager), run in
 * order; a failing step is reported and never skips the others.
 */
export class ShutdownSteps {
  readonly #steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];

  /** Adds a step at the end, or `first` (before the earlier ones: unsubscribe before closing what they use). */
  add(name: string, run: () => Promise<unknown> | unknown, first = false): void {
    if (first) this.#steps.unshift({ name, run });
    else this.#steps.push({ name, run });
  }

  async runAll(onError: (step: string, error: Error) => void): Promise<void> {
    for (const step of this.#steps) {
      try {
        await step.run();
      } catch (error) {
        onError(`shutdown step: ${step.name}`, error as Error);
      }
    }
  }
}
