/**
 * The generated Zinit service file: `exec` must survive Zinit's shell-words split unchanged, whatever the argv holds
 * (issue 3, issue 8 item 7), and the YAML must load back to the same values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderServiceYaml, toZinitServiceConfig } from '../../../src/process/zinit/service-yaml.js';
import { joinShellWords, quoteShellWord, splitShellWords } from '../../../src/process/zinit/shell-words.js';

const TRICKY = [
  '$HOME',
  'a;b',
  `it's "quoted"`,
  'line1\nline2',
  'two  spaces',
  '*',
  '`echo x`',
  '$(id)',
  '|',
  '&&',
  '#not-a-comment',
  '',
  '\\',
  "'",
  '"',
  'tab\there',
  'é✓',
];

describe('shell words', () => {
  it('splits a joined argv back into exactly that argv, for shell metacharacters, quotes, newlines and empties', () => {
    expect(splitShellWords(joinShellWords(TRICKY))).toEqual(TRICKY);
  });

  it('round-trips any argv of strings without NUL (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 8 },
        ),
        (argv) => {
          expect(splitShellWords(joinShellWords(argv))).toEqual(argv);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves plain words unquoted, so simple commands read naturally in the file', () => {
    expect(joinShellWords(['/usr/bin/node', '--max-old-space-size=512', 'worker.js'])).toBe(
      '/usr/bin/node --max-old-space-size=512 worker.js',
    );
  });

  it('splits as Zinit does: double quotes drop, backslash escapes, `#` starts a comment, unbalanced quotes fail', () => {
    expect(splitShellWords('status "sleeper"')).toEqual(['status', 'sleeper']);
    expect(splitShellWords('a\\ b "c\\"d" \'e\\f\'')).toEqual(['a b', 'c"d', 'e\\f']);
    expect(splitShellWords('run # comment')).toEqual(['run']);
    expect(splitShellWords('list\r')).toEqual(['list\r']);
    expect(splitShellWords('status "sleeper')).toBeUndefined();
    expect(quoteShellWord('#x')).toBe("'#x'");
  });
});

describe('renderServiceYaml', () => {
  it('writes every key of the design and loads back to the same values', () => {
    const config = toZinitServiceConfig({
      name: 'api',
      command: ['/usr/bin/node', 'worker.js', 'a b'],
      healthCheck: ['/usr/bin/test', '-f', '/tmp/ready'],
      env: { FOO: 'yes', EMPTY: '', NUMBER: '0012', NULLISH: 'null' },
      cwd: '/srv/app',
      after: ['redis'],
      stopSignal: 'SIGINT',
      stopTimeoutMs: 2500,
    });

    const loaded = parseYaml(renderServiceYaml(config));

    expect(loaded).toEqual({
      exec: "/usr/bin/node worker.js 'a b'",
      test: '/usr/bin/test -f /tmp/ready',
      oneshot: false,
      after: ['redis'],
      env: { FOO: 'yes', EMPTY: '', NUMBER: '0012', NULLISH: 'null' },
      dir: '/srv/app',
      log: 'ring',
      signal: { stop: 'sigint' },
      shutdown_timeout: 3,
    });
  });

  it('keeps exec intact through YAML and shell-words for any argv (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 6 },
        ),
        (command) => {
          const loaded = parseYaml(renderServiceYaml(toZinitServiceConfig({ name: 'x', command }))) as { exec: string };
          expect(splitShellWords(loaded.exec)).toEqual(command);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic, so an unchanged spec is recognised as unchanged', () => {
    const spec = { name: 'w', command: ['/bin/sleep', '1000'], env: { A: '1' } };

    expect(renderServiceYaml(toZinitServiceConfig(spec))).toBe(renderServiceYaml(toZinitServiceConfig(spec)));
  });
});

describe('running as another user (Zinit has no user option)', () => {
  it('wraps exec and test in setpriv with the ids, clearing supplementary groups', () => {
    const config = toZinitServiceConfig({
      name: 'w',
      command: ['/usr/bin/node', 'w.js'],
      healthCheck: ['/bin/true'],
      uid: 1000,
      gid: 1001,
    });

    expect(splitShellWords(config.exec)).toEqual([
      'setpriv',
      '--reuid=1000',
      '--regid=1001',
      '--clear-groups',
      '--',
      '/usr/bin/node',
      'w.js',
    ]);
    expect(splitShellWords(config.test as string)).toEqual([
      'setpriv',
      '--reuid=1000',
      '--regid=1001',
      '--clear-groups',
      '--',
      '/bin/true',
    ]);
  });

  it('leaves the command alone when no ids are given', () => {
    expect(toZinitServiceConfig({ name: 'w', command: ['/bin/sleep', '1'] }).exec).toBe('/bin/sleep 1');
  });
});
