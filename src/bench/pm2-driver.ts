/**
 * PM2, the baseline supervisor of the `recovery` figure, driven through its programmatic API with its own
 * PM2_HOME in a temp dir (never the user's ~/.pm2), and its daemon killed at the end. PM2 is a devDependency,
 * loaded lazily so that the other figures run without it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The subset of PM2's API instance the bench uses (its typings do not declare `custom`). */
interface Pm2Api {
  connect(callback: (error?: Error | null) => void): void;
  start(options: Record<string, unknown>, callback: (error?: Error | null) => void): void;
  delete(name: string, callback: (error?: Error | null) => void): void;
  killDaemon(callback: (error?: Error | null) => void): void;
  disconnect(): void;
}

type Pm2Constructor = new (options: { pm2_home: string; daemon_mode?: boolean }) => Pm2Api;

function call(fn: (callback: (error?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
}

export interface Pm2Driver {
  home: string;
  /** Starts `script` under PM2 with immediate restarts (`restart_delay: 0`). */
  startApp(app: { name: string; script: string; args: readonly string[]; env?: Record<string, string> }): Promise<void>;
  /** Deletes the apps, kills PM2's daemon and removes its home. Idempotent. */
  close(): Promise<void>;
}

export async function openPm2(): Promise<Pm2Driver> {
  const module = (await import('pm2')) as unknown as { default: { custom: Pm2Constructor } };
  const home = await mkdtemp(join(tmpdir(), 'hero-bench-pm2-'));
  const pm2 = new module.default.custom({ pm2_home: home, daemon_mode: true });
  await call((cb) => pm2.connect(cb));
  const apps: string[] = [];
  let closing: Promise<void> | undefined;
  return {
    home,
    startApp: async (app) => {
      apps.push(app.name);
      await call((cb) =>
        pm2.start(
          {
            name: app.name,
            script: app.script,
            args: [...app.args],
            interpreter: process.execPath,
            exec_mode: 'fork',
            autorestart: true,
            restart_delay: 0,
            // The bench kills the worker on purpose, many times in a row: never let PM2 give up on it.
            max_restarts: 100_000,
            min_uptime: 100,
            env: app.env ?? {},
            merge_logs: true,
            out_file: '/dev/null',
            error_file: '/dev/null',
          },
          cb,
        ),
      );
    },
    close: () => {
      closing ??= (async () => {
        for (const name of apps) await call((cb) => pm2.delete(name, cb)).catch(() => {});
        await call((cb) => pm2.killDaemon(cb)).catch(() => {});
        pm2.disconnect();
        await rm(home, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
