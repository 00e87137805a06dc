/**
 * POSIX shell-words splitting and quoting, as Zinit applies them: `exec:` and `test:` are split with the Rust `shlex`
 * crate (v0.2.14) or `shell-words` (v0.2.15+) and run WITHOUT a shell. Both follow the same rules for what we emit:
 * single quotes are literal, double quotes escape only `$ \` " \\` and newline, a backslash outside quotes escapes the
 * next character, space/tab/newline separate words, and `#` at the start of a word begins a comment.
 */

/** Characters that never need quoting. Anything else (including `#`, `~`, quotes, `$`, `;`, whitespace) is quoted. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument so that splitting gives it back unchanged. Single quotes keep everything literal, newline too. */
export function quoteShellWord(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  // A single quote cannot appear inside '...': close, emit an escaped quote, reopen ('it'\''s').
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Joins an argv into one command line that splits back to exactly this argv. */
export function joinShellWords(argv: readonly string[]): string {
  return argv.map(quoteShellWord).join(' ');
}

const WORD_SEPARATORS = new Set([' ', '\t', '\n']);

/**
 * Splits a command line the way shlex does. Returns `undefined` for unbalanced quotes or a trailing backslash
 * (Zinit then reports `invalid command syntax`, or puts the service into `Failure`).
 */
export function splitShellWords(text: string): string[] | undefined {
  const words: string[] = [];
  const chars = [...text];
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i] as string;
    if (WORD_SEPARATORS.has(ch)) {
      i += 1;
      continue;
    }
    if (ch === '#') {
      while (i < chars.length && chars[i] !== '\n') i += 1;
      continue;
    }
    let word = '';
    wordLoop: while (i < chars.length) {
      const c = chars[i] as string;
      if (WORD_SEPARATORS.has(c)) break;
      i += 1;
      if (c === "'") {
        const end = chars.indexOf("'", i);
        if (end === -1) return undefined;
        word += chars.slice(i, end).join('');
        i = end + 1;
      } else if (c === '"') {
        for (;;) {
          if (i >= chars.length) return undefined;
          const d = chars[i] as string;
          i += 1;
          if (d === '"') continue wordLoop;
          if (d === '\\') {
            if (i >= chars.length) return undefined;
            const e = chars[i] as string;
            i += 1;
            if (e === '$' || e === '`' || e === '"' || e === '\\') word += e;
            else if (e !== '\n') word += `\\${e}`;
          } else {
            word += d;
          }
        }
      } else if (c === '\\') {
        if (i >= chars.length) return undefined;
        const e = chars[i] as string;
        i += 1;
        if (e !== '\n') word += e;
      } else {
        word += c;
      }
    }
    words.push(word);
  }
  return words;
}
