/**
 * The one output format of `npm run bench`: one JSON object per line, each figure beside its baseline measured
 * in the same run. `ratio` is value / baselineValue (what counts on a noisy machine).
 */
import { round } from './stats.js';

export interface BenchLine {
  /** `<figure>` or `<figure>.<variant>`, e.g. `recovery`, `ping.redis`, `scale.heap-per-actor.10000`. */
  name: string;
  /** The median of `runs` measurements, in `unit`; null when the figure could not run (see notes). */
  value: number | null;
  unit: string;
  /** What the value is compared with, measured in the same run (or `goal` when the issue gives a fixed goal). */
  baseline: string;
  baselineValue: number | null;
  /** value / baselineValue; null when either is missing. */
  ratio: number | null;
  runs: number;
  notes: string;
}

export interface LineInput {
  name: string;
  value: number | null;
  unit: string;
  baseline: string;
  baselineValue: number | null;
  runs: number;
  notes?: string;
}

export function benchLine(input: LineInput): BenchLine {
  const { value, baselineValue } = input;
  const ratio = value !== null && baselineValue !== null && baselineValue !== 0 ? round(value / baselineValue) : null;
  return {
    name: input.name,
    value: value === null ? null : round(value),
    unit: input.unit,
    baseline: input.baseline,
    baselineValue: baselineValue === null ? null : round(baselineValue),
    ratio,
    runs: input.runs,
    notes: input.notes ?? '',
  };
}

/** A line for a figure that could not run: it still appears, with the reason, so the table has no holes. */
export function missingLine(name: string, unit: string, baseline: string, notes: string): BenchLine {
  return benchLine({ name, value: null, unit, baseline, baselineValue: null, runs: 0, notes });
}

export function formatLine(line: BenchLine): string {
  return JSON.stringify(line);
}

/** The keys every line has, in order: the smoke test checks them. */
export const BENCH_LINE_KEYS = [
  'name',
  'value',
  'unit',
  'baseline',
  'baselineValue',
  'ratio',
  'runs',
  'notes',
] as const;
