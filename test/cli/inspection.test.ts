/**
 * `--inspect-log <file>` (issue 6): every actor event is written as a JSON line in Stately's inspection-event
 * shape, with secrets scrubbed, so that a run can be replayed into the inspector later.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { createInspection } from '../../src/cli/inspection.js';
import { Redactor } from '../../src/log/redact.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hero-inspect-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const toggle = createMachine({
  id: 'toggle',
  initial: 'off',
  context: { apiKey: 'secret-api-key-123' },
  states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } } },
});

describe('createInspection with inspectLog', () => {
  it('writes the actor, its events and snapshots as JSON lines, secrets redacted', async () => {
    const file = join(dir, 'events.jsonl');
    const inspection = await createInspection({
      inspectLog: file,
      redactor: new Redactor(['secret-api-key-123']),
      announce: () => {},
    });
    const actor = createActor(toggle, { inspect: inspection?.inspect });

    actor.start();
    actor.send({ type: 'FLIP' });
    actor.stop();
    await inspection?.close();

    const text = await readFile(file, 'utf8');
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; event?: { type: string }; snapshot?: { value?: unknown } });
    expect(events.map((event) => event.type)).toContain('@xstate.actor');
    expect(events.filter((event) => event.type === '@xstate.event').map((event) => event.event?.type)).toContain(
      'FLIP',
    );
    expect(events.filter((event) => event.type === '@xstate.snapshot').map((event) => event.snapshot?.value)).toContain(
      'on',
    );
    expect(text).not.toContain('secret-api-key-123');
    expect(text).toContain('[REDACTED]');
  });

  it('is off when neither --inspect nor --inspect-log is given', async () => {
    expect(await createInspection({ redactor: new Redactor(), announce: () => {} })).toBeUndefined();
  });

  it('refuses an --inspect value that is neither a port nor a ws:// URL', async () => {
    await expect(
      createInspection({ inspect: 'localhost', redactor: new Redactor(), announce: () => {} }),
    ).rejects.toThrow('Expected --inspect to be a port or a ws:// URL, got `localhost`.');
  });
});
