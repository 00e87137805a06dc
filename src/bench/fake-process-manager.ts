/**
 * FakeProcessManager: a process-manager DOUBLE for the `scale` figure only (issue 7 allows it there, and only
 * there, to measure the actor layer). It implements the `ProcessManager` contract without any process: a start
 * "spawns" a fake pid and reports `process.spawned` then `process.running` on the next tick; a stop or kill
 * reports the exit. `crashAll()` makes every running fake process exit at once, as a mass crash would.
 *
 * Never use it to measure anything about real processes: it has no fork, no exec, no signals.
 */
import { UnknownServiceError } from '../errors.js';
import type { ProcessEvent, ProcessEventListener } from '../process/process-events.js';
import type {
  LogOptions,
  ProcessManager,
  ServiceSpec,
  ServiceState,
  ServiceStatus,
} from '../process/process-manager.js';

/** Fake pids start high so that they never look like a real process of this machine in logs. */
const FIRST_FAKE_PID = 10_000_000;

interface FakeService {
  spec: ServiceSpec;
  state: ServiceState;
  pid: number;
  target: 'up' | 'down';
}

export class FakeProcessManager implements ProcessManager {
  readonly #services = new Map<string, FakeService>();
  readonly #listeners = new Set<ProcessEventListener>();
  #nextPid = FIRST_FAKE_PID;
  #closed = false;
  /** Every start so far (the bench checks that the actors really drove the double). */
  starts = 0;

  // ---- declaration -------------------------------------------------------------------------------
  async ensureService(spec: ServiceSpec): Promise<void> {
    const existing = this.#services.get(spec.name);
    if (existing) existing.spec = spec;
    else this.#services.set(spec.name, { spec, state: 'unknown', pid: 0, target: 'down' });
  }

  async remove(name: string): Promise<void> {
    this.#get(name);
    this.#services.delete(name);
  }

  // ---- lifecycle ---------------------------------------------------------------------------------
  async start(name: string): Promise<void> {
    const service = this.#get(name);
    service.target = 'up';
    if (service.pid !== 0) return;
    this.#spawn(service);
  }

  async stop(name: string): Promise<void> {
    const service = this.#get(name);
    service.target = 'down';
    if (service.pid === 0) {
      this.#emit({ type: 'process.stopped', service: name, at: Date.now() });
      return;
    }
    this.#exit(service, null, 'SIGTERM');
    service.state = 'stopped';
    this.#emit({ type: 'process.stopped', service: name, at: Date.now() });
  }

  async restart(name: string): Promise<void> {
    const service = this.#get(name);
    if (service.pid !== 0) this.#exit(service, null, 'SIGTERM');
    service.target = 'up';
    this.#spawn(service);
  }

  async kill(name: string, signal: NodeJS.Signals): Promise<void> {
    const service = this.#get(name);
    if (service.pid !== 0) this.#exit(service, null, signal);
  }

  /** Every running fake process exits with SIGKILL now; returns how many did. */
  crashAll(): number {
    let crashed = 0;
    for (const service of this.#services.values()) {
      if (service.pid === 0) continue;
      this.#exit(service, null, 'SIGKILL');
      crashed += 1;
    }
    return crashed;
  }

  // ---- inspection --------------------------------------------------------------------------------
  async status(name: string): Promise<ServiceStatus> {
    return this.#statusOf(this.#get(name));
  }

  async list(): Promise<ServiceStatus[]> {
    return [...this.#services.values()].map((service) => this.#statusOf(service));
  }

  /** A fake process prints nothing: an empty log (after checking the name, as a real backend would). */
  async *logs(name: string, _options?: LogOptions): AsyncIterable<string> {
    this.#get(name);
    yield* [];
  }

  // ---- events ------------------------------------------------------------------------------------
  subscribe(listener: ProcessEventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#services.clear();
  }

  // ---- internals ---------------------------------------------------------------------------------
  #get(name: string): FakeService {
    const service = this.#services.get(name);
    if (service === undefined) throw new UnknownServiceError(name);
    return service;
  }

  #spawn(service: FakeService): void {
    this.starts += 1;
    const pid = this.#nextPid++;
    service.pid = pid;
    service.state = 'spawned';
    const name = service.spec.name;
    // Like a real backend, the events arrive after start() resolved, never inside it.
    setImmediate(() => {
      if (service.pid !== pid) return;
      this.#emit({ type: 'process.spawned', service: name, pid, at: Date.now() });
      service.state = 'running';
      this.#emit({ type: 'process.running', service: name, pid, at: Date.now() });
    });
  }

  #exit(service: FakeService, code: number | null, signal: NodeJS.Signals | null): void {
    const pid = service.pid;
    service.pid = 0;
    service.state = code === 0 ? 'success' : 'error';
    this.#emit({ type: 'process.exited', service: service.spec.name, pid, code, signal, at: Date.now() });
  }

  #statusOf(service: FakeService): ServiceStatus {
    return {
      name: service.spec.name,
      state: service.state,
      pid: service.pid,
      target: service.target,
      dependencies: {},
    };
  }

  #emit(event: ProcessEvent): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(event);
  }
}
