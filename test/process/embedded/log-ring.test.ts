/** LogRing: the bounded per-service output buffer behind logs({ tail, follow }). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogRing, MAX_LINE_LENGTH, splitLines } from '../../../src/process/embedded/log-ring.js';

async function take(iterator: AsyncIterator<string>, count: number): Promise<string[]> {
  const lines: string[] = [];
  while (lines.length < count) {
    const { value, done } = await iterator.next();
    if (done) break;
    lines.push(value);
  }
  return lines;
}

describe('LogRing', () => {
  it('drops the oldest lines beyond its capacity', () => {
    const ring = new LogRing(3);

    for (const line of ['a', 'b', 'c', 'd']) ring.push(line);

    expect(ring.tail()).toEqual(['b', 'c', 'd']);
    expect(ring.tail(2)).toEqual(['c', 'd']);
  });

  it('follows: yields the tail, then lines pushed later, then ends on close', async () => {
    const ring = new LogRing(10);
    ring.push('old-1');
    ring.push('old-2');
    const follower = ring.read({ tail: 1, follow: true })[Symbol.asyncIterator]();

    const first = await take(follower, 1);
    const pending = take(follower, 2);
    ring.push('new-1');
    ring.push('new-2');

    expect(first).toEqual(['old-2']);
    expect(await pending).toEqual(['new-1', 'new-2']);
    ring.close();
    expect(await follower.next()).toEqual({ value: undefined, done: true });
  });

  it('lets a follower that fell behind skip the dropped lines', async () => {
    const ring = new LogRing(2);
    const follower = ring.read({ follow: true })[Symbol.asyncIterator]();
    const firstLine = follower.next();
    ring.push('1');
    await firstLine;

    for (const line of ['2', '3', '4', '5']) ring.push(line);

    expect(await take(follower, 2)).toEqual(['4', '5']);
    ring.close();
  });
});

describe('splitLines', () => {
  it('splits chunks on \\n and \\r\\n and flushes a last line without newline', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    splitLines(stream, (line) => lines.push(line));

    stream.write('one\r\ntw');
    stream.write('o\nthree');
    stream.end();
    await new Promise((resolve) => stream.once('end', resolve));

    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('cuts a line longer than MAX_LINE_LENGTH into pieces', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    splitLines(stream, (line) => lines.push(line));

    stream.end(`${'x'.repeat(MAX_LINE_LENGTH + 10)}\n`);
    await new Promise((resolve) => stream.once('end', resolve));

    expect(lines.map((line) => line.length)).toEqual([MAX_LINE_LENGTH, 10]);
  });
});
