/// <reference lib="dom" /> -- the functions given to page.evaluate run in the browser
/**
 * The dashboard in a real browser (issue 15): Debian's chromium against a real daemon with real hero-worker
 * processes and the test Redis. The page refuses without the token and loads with it; the table lists the
 * workers; a SIGKILLed worker's row and highlighted state go through failed/restarting and back to running; a
 * scale action changes the row count; the charts draw; the page reconnects by itself to a restarted daemon; no
 * error reaches the browser console. Screenshots go to test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DaemonUnderTest, startDaemon } from '../../cli/daemon-process.js';
import { launchChromium, type TestBrowser } from '../../helpers/chromium.js';
import { waitFor } from '../../helpers/wait-for.js';

const ARTIFACTS = 'test-artifacts';
/** A crash is followed by a backoff this long, so the page shows `failed` for a while, not just in passing. */
const DAEMON_YAML = {
  python: '{ binary: hero-worker, min: 2, max: 3 }',
  extraYaml: 'restartPolicy: { backoffBaseMs: 2500, resetBackoffAfterMs: 10m }',
};

let daemon: DaemonUnderTest;
let browser: TestBrowser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  [daemon, browser] = await Promise.all([
    startDaemon({ redisUrl: inject('redisUrl'), ...DAEMON_YAML }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
});

function dashboardUrl(): string {
  return `${daemon.endpoint}/dashboard`;
}

/** The states a row and the diagram went through, recorded in the page as they change. */
async function recordStates(worker: string): Promise<void> {
  await browser.page.evaluate((name) => {
    const seen = { row: [] as string[], chart: [] as string[] };
    (window as unknown as { heroSeen: typeof seen }).heroSeen = seen;
    const note = (list: string[], value: string | undefined) => {
      if (value !== undefined && list.at(-1) !== value) list.push(value);
    };
    const row = () => document.querySelector<HTMLElement>(`tr[data-worker="${name}"]`);
    const chart = document.getElementById('statechart') as HTMLElement;
    new MutationObserver(() => {
      note(seen.row, row()?.dataset.state);
      note(seen.chart, chart.dataset.current);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-state', 'data-current'] });
  }, worker);
}

async function seenStates(): Promise<{ row: string[]; chart: string[] }> {
  return browser.page.evaluate(() => (window as unknown as { heroSeen: { row: string[]; chart: string[] } }).heroSeen);
}

async function rowState(worker: string): Promise<{ state: string; pid: string } | undefined> {
  return browser.page.evaluate((name) => {
    const row = document.querySelector<HTMLElement>(`tr[data-worker="${name}"]`);
    return row === null ? undefined : { state: row.dataset.state ?? '', pid: row.dataset.pid ?? '' };
  }, worker);
}

describe('the dashboard in chromium', () => {
  it('refuses without the token: the login form, no fleet', async () => {
    const { page } = browser;
    await page.goto(dashboardUrl());
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.locator('#login').waitFor();
    expect(await page.locator('tr.worker').count()).toBe(0);
    // A wrong token is said to be wrong.
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-login.png` });
  });

  it('loads with the token (in the URL fragment) and lists the running workers', async () => {
    const { page } = browser;
    await page.goto(`${dashboardUrl()}#token=${encodeURIComponent(daemon.token)}`);
    await page.waitForURL((url) => url.pathname === '/dashboard' && url.hash === '');
    await waitFor(
      async () => {
        const states = await page.$$eval('tr.worker', (rows) => rows.map((row) => row.getAttribute('data-state')));
        return states.length === 2 && states.every((state) => state === 'running');
      },
      { timeoutMs: 15_000, description: 'two running workers in the table' },
    );
    expect(await page.$$eval('tr.worker', (rows) => rows.map((row) => row.getAttribute('data-worker')))).toEqual([
      'python_worker_0',
      'python_worker_1',
    ]);
    expect(await page.textContent('tbody.group[data-type="python"] .summary')).toContain('min 2 · desired 2 · max 3');
    // The secret is nowhere in the page, nor in its address.
    expect(await page.content()).not.toContain(daemon.token);
    expect(page.url()).not.toContain(daemon.token);
    await waitFor(() => page.getAttribute('#statechart', 'data-current').then((value) => value === 'running'), {
      description: 'the statechart to light up running',
    });
    // The lit node is the diagram's own `worker.running` (found by its title, not by position).
    expect(await page.textContent('#statechart g.current > title')).toBe('worker.running');
    // The selected worker (the first) shows its transitions and its last log lines.
    expect(await page.textContent('#detail-name')).toBe('python_worker_0');
    await waitFor(() => page.textContent('#logs').then((text) => text?.includes('worker ready')), {
      description: "python_worker_0's log lines",
    });
    expect(await page.textContent('#transitions')).toContain('starting → running');
  });

  it('shows a SIGKILLed worker go to failed/restarting and back to running, row and statechart', async () => {
    const { page } = browser;
    const worker = 'python_worker_1';
    await page.click(`tr[data-worker="${worker}"] td.c-name`);
    await waitFor(() => page.textContent('#detail-name').then((name) => name === worker), {
      description: 'the worker to be selected',
    });
    const before = await rowState(worker);
    const pid = Number(before?.pid);
    expect(pid).toBeGreaterThan(0);
    await recordStates(worker);
    process.kill(pid, 'SIGKILL');
    // The first restart after a crash is immediate: the page may show `failed` for a moment only, so the states
    // are read from what the page recorded as it changed, not by polling the row.
    await waitFor(async () => (await seenStates()).row.some((state) => state === 'failed' || state === 'restarting'), {
      timeoutMs: 10_000,
      description: `${worker}'s row to show failed or restarting`,
    });
    await waitFor(
      async () => {
        const row = await rowState(worker);
        return row?.state === 'running' && row.pid !== String(pid) && row.pid !== '';
      },
      { timeoutMs: 20_000, description: `${worker} back to running with a new pid` },
    );
    const seen = await seenStates();
    expect(seen.row.some((state) => state === 'failed' || state === 'restarting')).toBe(true);
    expect(seen.row.at(-1)).toBe('running');
    expect(seen.chart.some((state) => state.startsWith('failed') || state === 'restarting')).toBe(true);
    expect(seen.chart.at(-1)).toBe('running');
    await waitFor(() => page.textContent(`tr[data-worker="${worker}"] .c-restarts`).then((text) => text === '1'), {
      description: 'the restart counted in the row',
    });
    expect(await page.textContent('#transitions')).toContain('running → failed');
    // Each transition names the machine event behind it (whatever the machine calls it).
    const failedRow = page.locator('#transitions tr', { hasText: 'running → failed' }).first();
    expect((await failedRow.locator('td').nth(2).textContent())?.trim()).toMatch(/^[\w.]+$/);
    expect(await page.textContent('#activity')).toContain(`${worker} restarted`);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-after-sigkill.png`, fullPage: true });
  });

  it('scales the type up through the confirmed action', async () => {
    const { page } = browser;
    await page.click('tbody.group[data-type="python"] button[data-action="scale"]');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    await page.fill('#confirm-count', '3');
    await page.click('#confirm-ok');
    await waitFor(() => page.getAttribute('#fleet', 'data-workers').then((count) => count === '3'), {
      timeoutMs: 15_000,
      description: 'three rows in the table',
    });
    await waitFor(() => rowState('python_worker_2').then((row) => row?.state === 'running'), {
      timeoutMs: 15_000,
      description: 'the new worker running',
    });
    expect(await page.textContent('#activity')).toContain('python 2 → 3 (manual)');
  });

  it('draws the four charts', async () => {
    const { page } = browser;
    await waitFor(
      () =>
        page.$$eval('.chart', (charts) =>
          charts.every(
            (chart) => chart.querySelector('canvas') !== null && Number(chart.getAttribute('data-points')) >= 3,
          ),
        ),
      { description: 'four charts with points' },
    );
    expect(await page.locator('.chart canvas').count()).toBe(4);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
  });

  it('logged no error in the browser console', () => {
    expect(browser.errors).toEqual([]);
  });

  it('reconnects by itself after the daemon restarts', async () => {
    const { page } = browser;
    const { port, token } = daemon;
    await daemon.stop();
    await waitFor(() => page.getAttribute('#connection', 'data-state').then((state) => state === 'reconnecting'), {
      description: 'the page to notice the daemon is gone',
    });
    daemon = await startDaemon({ redisUrl: inject('redisUrl'), ...DAEMON_YAML, port, token });
    await waitFor(() => page.getAttribute('#connection', 'data-state').then((state) => state === 'live'), {
      timeoutMs: 20_000,
      description: 'the page to reconnect',
    });
    await waitFor(() => page.getAttribute('#fleet', 'data-workers').then((count) => count === '2'), {
      description: 'the new daemon’s two workers in the table',
    });
    // While the daemon was away the browser said it could not connect; nothing else went wrong.
    expect(browser.errors.filter((error) => !error.includes('net::ERR_CONNECTION_REFUSED'))).toEqual([]);
  });
});
