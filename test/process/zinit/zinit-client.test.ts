/**
 * The `list` reply as the Zinit clients read it (issue 3; fault F9): a Map built once from the parsed JSON, so a service
 * named after a property of every JS object (`toString`, `constructor`, `__proto__`) is listed exactly when Zinit
 * lists it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZinitProtocolError } from '../../../src/errors.js';
import { toServiceList } from '../../../src/process/zinit/zinit-client.js';

const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** Service names as Zinit may list them, prototype-property names always among the candidates. */
const serviceName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/));
const state = fc.constantFrom('Running', 'Spawned', 'Success', 'Blocked', 'Error(Exited(Pid(12), 1))');

describe('toServiceList', () => {
  it('lists exactly the services of the JSON reply, whatever their names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(serviceName, state), { selector: ([name]) => name, maxLength: 8 }),
        (entries) => {
          // The wire text, parsed as the connections parse it: JSON.parse keeps `__proto__` as an own key.
          const body: unknown = JSON.parse(JSON.stringify(Object.fromEntries(entries)));

          const listed = toServiceList(body, 'list');

          // Object key order puts integer-like names first: compare as sets of entries.
          const byName = (a: [string, string], b: [string, string]) => a[0].localeCompare(b[0]);
          expect([...listed].sort(byName)).toEqual([...entries].sort(byName));
          for (const name of PROTOTYPE_NAMES)
            expect(listed.has(name)).toBe(entries.some(([listedName]) => listedName === name));
        },
      ),
      { examples: [[[]], [[['toString', 'Running']]], [[['__proto__', 'Running']]]] },
    );
  });

  it('reads a missing (null) reply as no services', () => {
    expect(toServiceList(null, 'list').size).toBe(0);
  });

  it('refuses a reply that is not a map of states with ZinitProtocolError quoting it', () => {
    expect(() => toServiceList(['a'], 'service_list')).toThrow(ZinitProtocolError);
    expect(() => toServiceList('Running', 'list')).toThrow(
      'Zinit answered `list` with "Running", not a map of service states.',
    );
  });
});
