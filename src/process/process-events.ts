/**
 * The normalized vocabulary of process status events: one for Zinit and for the embedded backend. The list itself
 * is declared once, in `machines/worker.events.ts` (`WorkerProcessEvent`); a backend adds the `service` each event
 * is about, and the lifecycle routes it by that name to the worker actor, which consumes it as it is.
 */
import type { WorkerProcessEvent } from '../../machines/worker.events.js';

/** Each process fact with the name of the service it is about. */
type AboutService<E> = E extends unknown ? E & { service: string } : never;

export type ProcessEvent = AboutService<WorkerProcessEvent>;

export type ProcessEventType = ProcessEvent['type'];

export type ProcessEventListener = (event: ProcessEvent) => void;
