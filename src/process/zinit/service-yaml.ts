/**
 * The Zinit service config generated for a ServiceSpec (NOTES §6): `exec`, `test`, `oneshot`, `after`, `env`, `dir`,
 * `log: ring`, `signal.stop`, `shutdown_timeout`. `exec` and `test` are quoted with quoteShellWord() so that Zinit's
 * shell-words split gives back exactly the argv: spaces, quotes, `$`, `;` and newlines arrive unchanged.
 *
 * Every YAML scalar is written as a JSON string: JSON strings are valid YAML double-quoted scalars, so no value can
 * turn into a YAML number, boolean, null or structure (a value `yes` or `null` stays a string).
 */
import { resolveStopTimeoutMs, type ServiceSpec } from '../process-manager.js';
import { joinShellWords } from './shell-words.js';

/** The config as Zinit reads it; also the `content` of JSON-RPC `service_create`. */
export interface ZinitServiceConfig {
  exec: string;
  test?: string;
  oneshot: boolean;
  after: string[];
  env: Record<string, string>;
  dir?: string;
  /** Always `ring`: the client reads logs from Zinit's ring buffer. (`null` fails to load; NOTES §6.) */
  log: 'ring';
  signal: { stop: string };
  /** Seconds; Zinit only uses it at shutdown/reboot. */
  shutdown_timeout: number;
}

/**
 * Zinit's config has no user/group option. When the spec asks for `uid`/`gid`, the command is wrapped in util-linux
 * `setpriv`, which changes ids and then execs the command: the pid Zinit tracks stays the worker's. Supplementary
 * groups are always cleared. This needs Zinit to run as root (it normally does), or the worker fails to start.
 */
export const SETPRIV_BINARY = 'setpriv';

export function withPrivilegeDrop(argv: readonly string[], spec: Pick<ServiceSpec, 'uid' | 'gid'>): readonly string[] {
  if (spec.uid === undefined && spec.gid === undefined) return argv;
  return [
    SETPRIV_BINARY,
    ...(spec.uid === undefined ? [] : [`--reuid=${spec.uid}`]),
    ...(spec.gid === undefined ? [] : [`--regid=${spec.gid}`]),
    '--clear-groups',
    '--',
    ...argv,
  ];
}

export function toZinitServiceConfig(spec: ServiceSpec): ZinitServiceConfig {
  const config: ZinitServiceConfig = {
    exec: joinShellWords(withPrivilegeDrop(spec.command, spec)),
    oneshot: spec.oneshot ?? false,
    after: [...(spec.after ?? [])],
    env: { ...(spec.env ?? {}) },
    log: 'ring',
    signal: { stop: (spec.stopSignal ?? 'SIGTERM').toLowerCase() },
    shutdown_timeout: Math.max(1, Math.ceil(resolveStopTimeoutMs(undefined, spec) / 1000)),
  };
  if (spec.healthCheck !== undefined && spec.healthCheck.length > 0)
    config.test = joinShellWords(withPrivilegeDrop(spec.healthCheck, spec));
  if (spec.cwd !== undefined) config.dir = spec.cwd;
  return config;
}

const q = (value: string) => JSON.stringify(value);

/** Renders the config as the `<name>.yaml` file Zinit loads on `monitor`. Deterministic: same spec, same bytes. */
export function renderServiceYaml(config: ZinitServiceConfig): string {
  const lines = [`exec: ${q(config.exec)}`];
  if (config.test !== undefined) lines.push(`test: ${q(config.test)}`);
  lines.push(`oneshot: ${config.oneshot ? 'true' : 'false'}`);
  lines.push(`after: [${config.after.map(q).join(', ')}]`);
  const envEntries = Object.entries(config.env);
  if (envEntries.length === 0) lines.push('env: {}');
  else {
    lines.push('env:');
    for (const [key, value] of envEntries) lines.push(`  ${q(key)}: ${q(value)}`);
  }
  if (config.dir !== undefined) lines.push(`dir: ${q(config.dir)}`);
  lines.push(`log: ${config.log}`);
  lines.push('signal:', `  stop: ${q(config.signal.stop)}`);
  lines.push(`shutdown_timeout: ${config.shutdown_timeout}`);
  return `${lines.join('\n')}\n`;
}
