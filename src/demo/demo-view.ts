/**
 * What the demo prints. On a TTY: a live footer (progress bar and the worker table) redrawn in place, with the
 * story's lines scrolling above it. Not a TTY (CI, a pipe, a file): plain lines only, no escape codes, progress
 * every quarter and the table when a step asks for it.
 */
import type { WorkerReport } from '../admin/status-report.js';
import { renderTable, WORKER_HEADER, workerRow } from '../cli/status-table.js';

const BAR_WIDTH = 30;
/** Columns of the demo's table: the status table's without CPU and reason, which do not fit a narrow terminal. */
const COLUMNS = [0, 1, 2, 3, 4, 5, 6, 8];

export interface DemoViewOptions {
  out: NodeJS.WritableStream;
  /** Live redraws (cursor movement). @defaultValue out.isTTY */
  live?: boolean;
}

export function progressBar(done: number, failed: number, total: number): string {
  const finished = done + failed;
  const filled = total === 0 ? BAR_WIDTH : Math.round((finished / total) * BAR_WIDTH);
  const percent = total === 0 ? 100 : Math.floor((finished / total) * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%  ${done} done, ${failed} failed, ${total} total`;
}

export function workerTable(workers: readonly WorkerReport[], now: number = Date.now()): string {
  const pick = (row: readonly string[]) => COLUMNS.map((index) => row[index] ?? '');
  return renderTable(
    pick(WORKER_HEADER),
    workers.map((worker) => pick(workerRow(worker, now))),
  );
}

export class DemoView {
  readonly #out: NodeJS.WritableStream;
  readonly live: boolean;
  #footer: string[] = [];
  #progress: string | undefined;
  #table: string | undefined;
  #lastQuarter = -1;

  constructor(options: DemoViewOptions) {
    this.#out = options.out;
    this.live = options.live ?? (options.out as { isTTY?: boolean }).isTTY === true;
  }

  /** A heading for the next part of the story. */
  step(title: string): void {
    this.line('');
    this.line(this.live ? `\x1b[1m== ${title}\x1b[0m` : `== ${title}`);
  }

  /** One line of the story (above the live footer). */
  line(text: string): void {
    this.#clearFooter();
    this.#out.write(`${text}\n`);
    this.#drawFooter();
  }

  progress(done: number, failed: number, total: number): void {
    const bar = progressBar(done, failed, total);
    if (this.live) {
      this.#progress = bar;
      this.#redraw();
      return;
    }
    const quarter = total === 0 ? 4 : Math.floor(((done + failed) / total) * 4);
    if (quarter !== this.#lastQuarter) {
      this.#lastQuarter = quarter;
      this.#out.write(`${bar}\n`);
    }
  }

  /** The live worker table (TTY only; plain output prints tables with `printTable`). */
  workers(workers: readonly WorkerReport[]): void {
    if (!this.live) return;
    this.#table = workerTable(workers);
    this.#redraw();
  }

  printTable(workers: readonly WorkerReport[]): void {
    if (this.live) {
      this.workers(workers);
      return;
    }
    for (const row of workerTable(workers).split('\n')) this.#out.write(`  ${row}\n`);
  }

  /** Ends the live footer, leaving its last state on screen. */
  close(): void {
    this.#footer = [];
    this.#progress = undefined;
    this.#table = undefined;
  }

  endProgress(): void {
    if (this.#progress !== undefined) {
      const last = this.#progress;
      this.#progress = undefined;
      this.line(last);
    }
    this.#lastQuarter = -1;
  }

  #redraw(): void {
    this.#clearFooter();
    this.#drawFooter();
  }

  #clearFooter(): void {
    if (!this.live || this.#footer.length === 0) return;
    // Up to the first footer line, then clear everything below.
    this.#out.write(`\x1b[${this.#footer.length}F\x1b[J`);
    this.#footer = [];
  }

  #drawFooter(): void {
    if (!this.live) return;
    const lines = [
      ...(this.#progress !== undefined ? [this.#progress] : []),
      ...(this.#table !== undefined ? ['', ...this.#table.split('\n').map((row) => `  ${row}`)] : []),
    ];
    if (lines.length === 0) return;
    this.#out.write(`${lines.join('\n')}\n`);
    this.#footer = lines;
  }
}
