/**
 * Who a member is and what its workers are called on the wire. In a fleet a worker's local name
 * (`python_worker_0`, its process name on its own host) is qualified with the host id for everything that crosses
 * Redis: its control queue, its ping replies, its job activity and its job results (`hostA.python_worker_0`). Queue
 * names allow only `[A-Za-z0-9_.-]`, hence the `.` separator. Local names never hold a `.` (config names and
 * `<type>_worker_<n>` do not), so the host is everything before the last `.`: a dotted host id
 * (`build-1.example.org`) is split at the right place, and `build-1` never claims its workers.
 */
import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';

/** Letters, digits, `_`, `.`, `-`; starts with a letter or digit; at most 63 (a worker id is at most 128 in all). */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** `fleet.hostId`, else this machine's hostname; a clear error when neither can be a host id. */
export function resolveHostId(configured: string | undefined, machineName: string = hostname()): string {
  const hostId = configured ?? machineName;
  if (!HOST_ID_PATTERN.test(hostId)) {
    const what = configured === undefined ? `the hostname \`${machineName}\`` : `\`${configured}\``;
    throw new ConfigError(
      `Expected \`fleet.hostId\` to be 1-63 letters, digits, \`_\`, \`.\` or \`-\` starting with a letter or digit, got ${what}: set fleet.hostId.`,
      [{ path: 'fleet.hostId', message: 'invalid host id' }],
    );
  }
  return hostId;
}

/** `hostA` + `python_worker_0` → `hostA.python_worker_0`. */
export function fleetWorkerId(hostId: string, localName: string): string {
  return `${hostId}.${localName}`;
}

/** The local name of one of this host's workers, or undefined when the id belongs to another host. */
export function localWorkerName(hostId: string, workerId: string): string | undefined {
  const prefix = `${hostId}.`;
  if (!workerId.startsWith(prefix)) return undefined;
  const name = workerId.slice(prefix.length);
  return name !== '' && !name.includes('.') ? name : undefined;
}

/** `{workerId}` in a worker template's args or env becomes `<hostId>.{workerId}`: the wire id. */
export function qualifyPlaceholder(text: string, hostId: string): string {
  return text.split('{workerId}').join(`${hostId}.{workerId}`);
}
