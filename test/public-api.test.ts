/** The public entry's export list, sorted: a change to the API shows up in review as a snapshot diff. */
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('the public entry (src/index.ts)', () => {
  it('exports exactly the reviewed names', () => {
    expect(Object.keys(api).sort()).toMatchSnapshot();
  });

  it('exports the names the issues give to the public API', () => {
    const contract = [
      'EmbeddedProcessManager',
      'ZinitProcessManager',
      'SupervisorBuilder',
      'ScriptType',
      'JobTimeoutError',
      'JobFailedError',
      'InvalidJobError',
      'WorkerConfig',
      'WorkerLifecycleManagerBuilder',
      'WorkerLifecycleManager',
      'createWorker',
      'workerMachine',
      'scalerMachine',
      'supervisorMachine',
    ];
    expect(contract.filter((name) => !(name in api))).toEqual([]);
  });
});
