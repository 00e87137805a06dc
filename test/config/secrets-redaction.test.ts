/**
 * Secrets (issue 8 item 8): Redis passwords, admin tokens and env values marked secret never appear in logs;
 * asserted over the logger's captured output, with the redaction utility tested on its own.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSecrets, parseConfig } from '../../src/config/load-config.js';
import { createRootLogger } from '../../src/log/logger.js';
import { REDACTED, Redactor, redactUrl } from '../../src/log/redact.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const SECRET_CONFIG = `
redis: { url: "redis://worker:url-password-1@127.0.0.1:6379", password: redis-password-2 }
admin: { token: admin-token-3-0123456789 }
scriptTypes:
  python:
    binary: hero-worker
    env:
      VISIBLE: not-a-secret
      API_KEY: { value: "api-key-4", secret: true }
`;

describe('Redactor', () => {
  it('replaces every occurrence of every secret, longest first', () => {
    const redactor = new Redactor(['abcd', 'abcdef']);

    expect(redactor.redact('x abcdef y abcd z abcd')).toBe(`x ${REDACTED} y ${REDACTED} z ${REDACTED}`);
  });

  it('replaces the URL-encoded and JSON-escaped forms of a secret too', () => {
    const redactor = new Redactor(['p@ss "word"/x']);

    expect(redactor.redact('redis://:p%40ss%20%22word%22%2Fx@h')).toBe(`redis://:${REDACTED}@h`);
    expect(redactor.redact(JSON.stringify({ password: 'p@ss "word"/x' }))).toBe(`{"password":"${REDACTED}"}`);
  });

  it('never lets a secret through, whatever text surrounds it', () => {
    // Secrets sharing characters with the marker itself could be re-formed from it: keep them apart.
    const secrets = fc
      .string({ minLength: 4 })
      .filter((secret) => !/[[\]REDACT]/.test(secret) && !secret.includes('\u0000'));
    fc.assert(
      fc.property(secrets, fc.string(), fc.string(), (secret, before, after) => {
        const redacted = new Redactor([secret]).redact(`${before}${secret}${after}`);

        expect(redacted.split(REDACTED).join('\u0000')).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});

describe('redactUrl', () => {
  it('hides the password of a connection URL and keeps the rest', () => {
    expect(redactUrl('redis://worker:s3cret@redis.example:6380/2')).toBe(
      `redis://worker:${REDACTED}@redis.example:6380/2`,
    );
  });

  it('leaves a URL without password unchanged', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('the root logger', () => {
  it('keeps every secret of a config out of its output', () => {
    const config = parseConfig(SECRET_CONFIG, { env: {} });
    const { stream, text } = capture();
    const logger = createRootLogger({
      destination: stream,
      redactor: new Redactor(configSecrets(config)),
      level: 'debug',
    });

    logger.info({ config }, 'config loaded');
    logger.info({ redisUrl: config.redis.url }, `connecting to ${config.redis.url}`);
    logger.child({ worker: 'python_worker_0' }).warn({ env: config.scriptTypes.python?.env }, 'worker env');
    logger.error({ err: new Error(`AUTH failed for redis-password-2 with token admin-token-3-0123456789`) }, 'failed');

    const output = text();
    for (const secret of ['url-password-1', 'redis-password-2', 'admin-token-3-0123456789', 'api-key-4']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('not-a-secret');
    expect(output).toContain(REDACTED);
  });

  it('censors fields named like secrets even when their value is unknown to it', () => {
    const { stream, text } = capture();
    const logger = createRootLogger({ destination: stream });

    logger.info({ password: 'pw', redis: { password: 'pw2' }, headers: { authorization: 'Bearer t' } }, 'x');

    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line).toMatchObject({
      password: REDACTED,
      redis: { password: REDACTED },
      headers: { authorization: REDACTED },
    });
  });

  it('writes the fixed field names: level as a label, time, msg', () => {
    const { stream, text } = capture();
    createRootLogger({ destination: stream })
      .child({ worker: 'w', scriptType: 'python' })
      .info({ pid: 1 }, 'worker started');

    expect(Object.keys(JSON.parse(text()) as object)).toEqual(['level', 'time', 'worker', 'scriptType', 'pid', 'msg']);
  });

  it('writes readable lines when pretty', () => {
    const { stream, text } = capture();
    createRootLogger({ destination: stream, pretty: true }).info({ worker: 'w1', pid: 3 }, 'worker started');

    expect(text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}worker started worker=w1 pid=3\n$/);
  });
});
