// The scaler's slot store (#12): an immutable hash trie that must behave exactly like a Map, and leave every
// earlier version as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptyStore,
  type SlotStore,
  storeDelete,
  storeGet,
  storeHas,
  storeSet,
  storeValues,
} from '../../machines/slot-store.js';

const keyArbitrary = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map((n) => `python_worker_${n}`),
  fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', ''),
  fc.string({ maxLength: 4 }),
);
const opArbitrary = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: keyArbitrary, value: fc.integer() }),
  fc.record({ op: fc.constant('delete' as const), key: keyArbitrary }),
);

describe('slot store', () => {
  it('behaves like a Map and never changes an earlier version', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 400 }), (ops) => {
        const model = new Map<string, number>();
        let store: SlotStore<number> = emptyStore();
        const versions: { store: SlotStore<number>; entries: [string, number][] }[] = [];
        for (const op of ops) {
          if (op.op === 'set') {
            model.set(op.key, op.value);
            store = storeSet(store, op.key, op.value);
          } else {
            model.delete(op.key);
            store = storeDelete(store, op.key);
          }
          versions.push({ store, entries: [...model] });
        }
        expect(store.size).toBe(model.size);
        for (const [key, value] of model) {
          expect(storeGet(store, key)).toBe(value);
          expect(storeHas(store, key)).toBe(true);
        }
        for (const version of versions) {
          expect([...storeValues(version.store)].sort()).toEqual(version.entries.map(([, value]) => value).sort());
        }
      }),
    );
  });

  it('holds 10,000 generated ids', () => {
    let store: SlotStore<string> = emptyStore();
    for (let i = 0; i < 10_000; i += 1) store = storeSet(store, `osis_worker_${i}`, `v${i}`);
    expect(store.size).toBe(10_000);
    expect(storeGet(store, 'osis_worker_9999')).toBe('v9999');
    expect(storeGet(store, 'osis_worker_10000')).toBeUndefined();
  });
});
