/**
 * `after` ordering, as Zinit does it: a dependency is met when it is running and not a oneshot, or when it has
 * succeeded (a oneshot that exited 0). Dependencies are checked only before a spawn: a dependency that stops later
 * does not stop its dependents. A missing dependency, or a failed oneshot, blocks forever (until it changes).
 */
import type { ServiceState } from '../process-manager.js';

export interface DependencyView {
  state: ServiceState;
  oneshot: boolean;
}

export function isDependencyMet(dependency: DependencyView | undefined): boolean {
  if (dependency === undefined) return false;
  return (dependency.state === 'running' && !dependency.oneshot) || dependency.state === 'success';
}

/** The names in `after` that are not met yet, in their declared order. */
export function unmetDependencies(
  after: readonly string[],
  lookup: (name: string) => DependencyView | undefined,
): string[] {
  return after.filter((name) => !isDependencyMet(lookup(name)));
}

/**
 * Groups services into stop waves for shutdown: dependents before what they depend on. Wave 0 holds services nothing
 * declared depends on; each later wave holds the dependencies of earlier ones. Cycles (possible across several specs,
 * since each spec is validated alone) end in the last wave instead of looping.
 */
export function stopWaves(services: ReadonlyMap<string, readonly string[]>): string[][] {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  // Depth of a service = 1 + the deepest service that depends on it (0 when nothing does).
  const dependents = new Map<string, string[]>();
  for (const [name, after] of services) {
    for (const dependency of after) {
      if (!services.has(dependency)) continue;
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), name]);
    }
  }
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return services.size;
    visiting.add(name);
    const value = Math.max(-1, ...(dependents.get(name) ?? []).map(depthOf)) + 1;
    visiting.delete(name);
    depth.set(name, value);
    return value;
  };
  const waves: string[][] = [];
  for (const name of services.keys()) {
    const wave = depthOf(name);
    while (waves.length <= wave) waves.push([]);
    waves[wave]?.push(name);
  }
  return waves.filter((wave) => wave.length > 0);
}
