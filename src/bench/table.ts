/**
 * Turns `npm run bench` output (JSON lines on stdin) into the Markdown table of src/bench/README.md:
 *
 *   npm run bench > bench.jsonl && node dist/src/bench/table.js < bench.jsonl
 *
 * The goal column reads each line's own goal: `goal ≤ 1.2×` / `goal ≥ 0.9×` in its notes (a ratio), or a
 * baseline that is itself the goal (`goal ...`: the value must stay below it).
 */
import { text } from 'node:stream/consumers';
import type { BenchLine } from './output.js';

function cell(value: number | null, unit = ''): string {
  if (value === null) return '—';
  const magnitude = Math.abs(value);
  const shown = magnitude >= 100 ? value.toFixed(0) : magnitude >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit ? `${shown} ${unit}` : shown;
}

function goal(line: BenchLine): string {
  const ratioGoal = /goal ([≤≥]) ([\d.]+)×/.exec(line.notes);
  if (ratioGoal) {
    const [, sign, limitText] = ratioGoal;
    const limit = Number(limitText);
    if (line.ratio === null) return `${sign} ${limit}×: not measured`;
    const met = sign === '≤' ? line.ratio <= limit : line.ratio >= limit;
    return `${sign} ${limit}×: ${met ? 'met' : 'missed'}`;
  }
  if (line.baseline.startsWith('goal')) {
    if (line.value === null || line.baselineValue === null) return 'not measured';
    return line.value < line.baselineValue ? 'under: met' : 'over: missed';
  }
  return '';
}

const input = await text(process.stdin);
const lines = input
  .split('\n')
  .filter((line) => line.startsWith('{'))
  .map((line) => JSON.parse(line) as BenchLine);
const rows = [
  '| figure | value | baseline | baseline value | ratio | goal | runs |',
  '|---|---|---|---|---|---|---|',
  ...lines.map(
    (line) =>
      `| \`${line.name}\` | ${cell(line.value, line.unit)} | ${line.baseline || '—'} | ${cell(line.baselineValue, line.unit)} | ` +
      `${line.ratio === null ? '—' : `${line.ratio.toFixed(2)}×`} | ${goal(line)} | ${line.runs} |`,
  ),
];
process.stdout.write(`${rows.join('\n')}\n`);
