/**
 * Shell-words splitting and quoting as Zinit applies them to `exec:` and `test:` (issue 13: pure modules, run by
 * StrykerJS per mutant). Each rule of the splitter on its own, and what the quoting leaves alone. The round trip over
 * arbitrary argv is a property in service-yaml.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { joinShellWords, quoteShellWord, splitShellWords } from '../../../src/process/zinit/shell-words.js';

describe('quoteShellWord', () => {
  it('leaves a word of safe characters as it is', () => {
    const safe = 'AZaz09_@%+=:,./-';

    expect(quoteShellWord(safe)).toBe(safe);
    expect(quoteShellWord('/usr/bin/node')).toBe('/usr/bin/node');
  });

  it.each([
    ['', "''"],
    ['a b', "'a b'"],
    ['$HOME', "'$HOME'"],
    ['~', "'~'"],
    ['#x', "'#x'"],
    ['a"b', `'a"b'`],
    ['tab\there', "'tab\there'"],
    ['é', "'é'"],
    ['x*', "'x*'"],
  ])('quotes %j in single quotes: %s', (word, quoted) => {
    expect(quoteShellWord(word)).toBe(quoted);
  });

  it('writes each single quote as close, escaped quote, reopen', () => {
    expect(quoteShellWord("it's")).toBe("'it'\\''s'");
    expect(quoteShellWord("''")).toBe("''\\'''\\'''");
  });
});

describe('joinShellWords', () => {
  it('joins the quoted words with one space', () => {
    expect(joinShellWords(['echo', 'a b', ''])).toBe("echo 'a b' ''");
    expect(joinShellWords([])).toBe('');
  });
});

describe('splitShellWords', () => {
  it('splits on spaces, tabs and newlines, however many', () => {
    expect(splitShellWords('  a \t b\n\nc  ')).toEqual(['a', 'b', 'c']);
    expect(splitShellWords('')).toEqual([]);
    expect(splitShellWords(' \t\n')).toEqual([]);
  });

  it('keeps other whitespace (a carriage return) inside the word', () => {
    expect(splitShellWords('list\r')).toEqual(['list\r']);
  });

  it('starts a comment with `#` at the start of a word only, up to the end of the line', () => {
    expect(splitShellWords('# all of it')).toEqual([]);
    expect(splitShellWords('a # b c\nd')).toEqual(['a', 'd']);
    expect(splitShellWords('a#b')).toEqual(['a#b']);
    expect(splitShellWords("'#x'")).toEqual(['#x']);
  });

  it('keeps everything inside single quotes, backslashes and newlines too', () => {
    expect(splitShellWords('\'a \\ b\n"c"\'')).toEqual(['a \\ b\n"c"']);
    expect(splitShellWords("''")).toEqual(['']);
  });

  it('joins quoted and unquoted parts of one word', () => {
    expect(splitShellWords(`a'b c'"d e"f`)).toEqual(['ab cd ef']);
  });

  it('unescapes only $, `, " and \\ inside double quotes, and drops an escaped newline', () => {
    expect(splitShellWords('"\\$ \\` \\" \\\\"')).toEqual(['$ ` " \\']);
    expect(splitShellWords('"a\\nb\\x"')).toEqual(['a\\nb\\x']);
    expect(splitShellWords('"a\\\nb"')).toEqual(['ab']);
    expect(splitShellWords('"a b" c')).toEqual(['a b', 'c']);
    expect(splitShellWords('""')).toEqual(['']);
  });

  it('keeps a single quote inside double quotes and a double quote inside single quotes', () => {
    expect(splitShellWords(`"it's" 'say "hi"'`)).toEqual(["it's", 'say "hi"']);
  });

  it('takes a backslash outside quotes as escaping the next character, and backslash-newline as nothing', () => {
    expect(splitShellWords('a\\ b \\"c\\\\')).toEqual(['a b', '"c\\']);
    expect(splitShellWords('a\\\nb')).toEqual(['ab']);
    expect(splitShellWords('\\#x')).toEqual(['#x']);
  });

  it.each([
    ['an unterminated single quote', "a 'b"],
    ['an unterminated double quote', 'a "b'],
    ['a backslash ending a double-quoted word', 'a "b\\'],
    ['a trailing backslash', 'a b\\'],
  ])('refuses %s (Zinit: invalid command syntax)', (_, text) => {
    expect(splitShellWords(text)).toBeUndefined();
  });

  it('splits characters outside the BMP as single characters', () => {
    expect(splitShellWords('😀 "a😀" \\😀')).toEqual(['😀', 'a😀', '😀']);
  });
});
