/** The assignments the coordinator writes per script type: who may run how many workers, under which token. */

export interface TypeAssignment {
  /** The coordinator's fencing token when it wrote this. */
  token: number;
  /** The fleet's desired count the shares add up to (once the moves have settled). */
  desired: number;
  /** Host id → workers it may run now. */
  shares: Record<string, number>;
}

export function parseAssignment(text: string | undefined | null): TypeAssignment | undefined {
  if (text === undefined || text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<TypeAssignment>;
    if (typeof value.token !== 'number' || typeof value.desired !== 'number') return undefined;
    if (typeof value.shares !== 'object' || value.shares === null) return undefined;
    return { token: value.token, desired: value.desired, shares: { ...value.shares } };
  } catch {
    return undefined;
  }
}

export function sameShares(a: ReadonlyMap<string, number>, b: Record<string, number> | undefined): boolean {
  if (b === undefined) return false;
  const keys = Object.keys(b);
  return keys.length === a.size && keys.every((key) => a.get(key) === b[key]);
}
