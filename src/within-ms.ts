/**
 * Resolves with the promise's value, or `undefined` once `ms` passed (the promise is left to settle unobserved).
 * The one deadline helper of the code base: rejections pass through, the timer never outlives the race.
 */
export function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

/** True when `work` settles within `ms` (rejections pass through): `withinMs` cannot tell a late void from done. */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return withinMs(
    work.then(() => true),
    ms,
  ).then((done) => done === true);
}
