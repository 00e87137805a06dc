/**
 * SIGTERM reaches the whole process group, not only its leader, before SIGKILL (issue 13, a survivor found by hand).
 * The worker's leader ignores SIGTERM, so the stop has to escalate; its child records each SIGTERM it gets. The record
 * must appear while the leader still runs, that is before the escalation, and SIGKILL must then end both.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedProcessManager } from '../../../src/process/embedded/embedded-process-manager.js';
import { isProcessAlive } from '../../helpers/process-alive.js';
import { waitFor } from '../../helpers/wait-for.js';
import { fixtureCommand, uniqueServiceName } from '../process-manager.contract.js';

/** Long enough that the child's record is seen well before the escalation, even on a loaded machine. */
const STOP_TIMEOUT_MS = 4_000;

describe('stop of a process group (embedded backend)', () => {
  let workDir: string;
  let manager: EmbeddedProcessManager;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'hero-term-group-'));
    manager = new EmbeddedProcessManager();
  });

  afterEach(async () => {
    await manager.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('sends the stop signal to every process of the group before it escalates to SIGKILL', async () => {
    const record = join(workDir, 'sigterm.log');
    const name = uniqueServiceName('group');
    await manager.ensureService({
      name,
      command: fixtureCommand('forks-term-recorder.js', record),
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    await manager.start(name);
    const { leader, child } = JSON.parse(
      await waitFor(() => existsSync(`${record}.pids`) && readFileSync(`${record}.pids`, 'utf8'), {
        description: 'the worker and its child ready',
      }),
    ) as { leader: number; child: number };

    const stopping = manager.stop(name);
    const recorded = await waitFor(() => existsSync(record) && readFileSync(record, 'utf8'), {
      timeoutMs: STOP_TIMEOUT_MS * 2,
      description: 'the child to record SIGTERM',
    });

    // Seen while the leader (which ignores SIGTERM) still runs: the group got SIGTERM before any SIGKILL.
    expect(isProcessAlive(leader)).toBe(true);
    expect(recorded).toBe(`SIGTERM ${child}\n`);
    await stopping;
    expect(isProcessAlive(leader)).toBe(false);
    expect(isProcessAlive(child)).toBe(false);
    expect(readFileSync(record, 'utf8')).toBe(`SIGTERM ${child}\n`);
  });
});
