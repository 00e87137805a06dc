/**
 * What the lifecycle knows of its workers before any actor runs: the configured workers by name, the script types
 * with their templates, and which script type a name belongs to (`python_worker_3` → `python`); from these, how to
 * launch a worker.
 */
import { WorkerNotFoundError } from '../errors.js';
import type { ResolvedScriptType } from './lifecycle-options.js';
import type { WorkerConfig } from './worker-config.js';
import type { WorkerLaunch } from './worker-effects.js';

export class WorkerCatalog {
  readonly #configs: Map<string, WorkerConfig>;
  readonly #scriptTypes: ReadonlyMap<string, ResolvedScriptType>;
  readonly #redisUrl: string;
  readonly #prefix: string | undefined;
  readonly #stopTimeoutMs: number;

  constructor(
    configs: ReadonlyMap<string, WorkerConfig>,
    scriptTypes: ReadonlyMap<string, ResolvedScriptType>,
    { redisUrl, prefix, stopTimeoutMs }: { redisUrl: string; prefix?: string; stopTimeoutMs: number },
  ) {
    this.#configs = new Map(configs);
    this.#scriptTypes = scriptTypes;
    this.#redisUrl = redisUrl;
    this.#prefix = prefix;
    this.#stopTimeoutMs = stopTimeoutMs;
  }

  get scriptTypes(): ReadonlyMap<string, ResolvedScriptType> {
    return this.#scriptTypes;
  }

  configuredNames(): string[] {
    return [...this.#configs.keys()];
  }

  /** Adds or replaces a worker's config (a worker started by config). */
  configure(config: WorkerConfig): void {
    this.#configs.set(config.name, config);
  }

  /** The script type `name` belongs to: its config's, or `<type>` of a generated `<type>_worker_<n>`. */
  scriptTypeOf(name: string): string | undefined {
    const configured = this.#configs.get(name);
    if (configured !== undefined) return configured.scriptType;
    const match = /^(.+)_worker_\d+$/.exec(name);
    return match !== null && this.#scriptTypes.has(match[1] as string) ? match[1] : undefined;
  }

  /** How to launch `worker`: its own config, or its script type's template with its values filled in. */
  launchFor(worker: string, scriptTypeHint: string): WorkerLaunch {
    const scriptType = this.#configs.get(worker)?.scriptType ?? (scriptTypeHint || this.scriptTypeOf(worker));
    const config =
      this.#configs.get(worker) ?? (scriptType === undefined ? undefined : this.#scriptTypes.get(scriptType)?.template);
    if (config === undefined || scriptType === undefined) throw new WorkerNotFoundError(worker, this.configuredNames());
    return {
      config,
      values: { workerId: worker, redisUrl: this.#redisUrl, scriptType, prefix: this.#prefix },
      stopTimeoutMs: this.#stopTimeoutMs,
    };
  }
}
