/**
 * The state file: which children this supervisor runs ({name, pid, pgid, startedAt, command}), rewritten atomically on
 * every spawn and exit. If the supervisor is killed with SIGKILL (no exit hook runs), the next one reads it and ends
 * the previous one's process groups that are still alive (issue 8, scenario 4).
 */
import { readFileSync } from 'node:fs';
import { writePrivateFileSync } from '../../fs/private-file.js';
import { isGroupAlive, readCommandLine, readProcessGroup, signalGroup, waitForGroupExit } from '../process-group.js';
import { ownIdentity, type ProcessIdentity } from '../process-identity.js';
import { KILL_CONFIRM_TIMEOUT_MS } from '../process-manager.js';

export interface ChildRecord {
  name: string;
  pid: number;
  pgid: number;
  /** Epoch ms. */
  startedAt: number;
  command: string[];
}

export interface OrphanReport {
  name: string;
  pid: number;
  pgid: number;
  /**
   * `terminated`: ended by SIGTERM; `killed`: needed SIGKILL; `gone`: nothing left; `skipped`: the pid now belongs to
   * another program (pid reused), left alone.
   */
  outcome: 'terminated' | 'killed' | 'gone' | 'skipped';
  reason: string;
}

const FILE_VERSION = 1;

function isChildRecord(value: unknown): value is ChildRecord {
  const record = value as Partial<ChildRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.name === 'string' &&
    Number.isInteger(record.pid) &&
    (record.pid ?? 0) > 1 &&
    Number.isInteger(record.pgid) &&
    (record.pgid ?? 0) > 1 &&
    Array.isArray(record.command)
  );
}

/** Reads the records; a missing or unreadable file means none (a corrupt file is not a reason to refuse to start). */
export function readStateFile(path: string): ChildRecord[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(raw) as { children?: unknown };
    return Array.isArray(parsed.children) ? parsed.children.filter(isChildRecord) : [];
  } catch {
    return [];
  }
}

/** The supervisor that wrote the file (its pid and, on Linux, its start time), or undefined when unknown. */
export function readStateFileOwner(path: string): ProcessIdentity | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as {
      supervisorPid?: unknown;
      supervisorStartTicks?: unknown;
    };
    if (!Number.isInteger(parsed.supervisorPid)) return undefined;
    return {
      pid: parsed.supervisorPid as number,
      ...(typeof parsed.supervisorStartTicks === 'string' && { startTicks: parsed.supervisorStartTicks }),
    };
  } catch {
    return undefined;
  }
}

/**
 * Writes the records atomically (a fresh 0600 temp file + rename, never through a symbolic link), synchronously so
 * that the exit hook can use it too.
 */
export function writeStateFile(path: string, children: readonly ChildRecord[]): void {
  const owner = ownIdentity();
  writePrivateFileSync(
    path,
    JSON.stringify({
      version: FILE_VERSION,
      supervisorPid: owner.pid,
      supervisorStartTicks: owner.startTicks,
      children,
    }),
    'stateFile',
  );
}

/**
 * The live process is the recorded one when its argv is the recorded command, or ends with the recorded arguments
 * after the recorded binary (a script whose shebang put an interpreter in front: `/bin/sh /path/script args`).
 */
function commandMatches(actual: readonly string[], recorded: readonly string[]): boolean {
  if (actual.length === recorded.length && actual.every((part, index) => part === recorded[index])) return true;
  const binaryAt = actual.indexOf(recorded[0] ?? '');
  if (binaryAt === -1) return false;
  const rest = actual.slice(binaryAt);
  return rest.length === recorded.length && rest.every((part, index) => part === recorded[index]);
}

/** Decides whether a record still names a live group of ours, and why (or why not). */
function classify(record: ChildRecord): { alive: boolean; reason: string } {
  if (record.pgid === process.pid || record.pid === process.pid) {
    return { alive: false, reason: `pid ${record.pid} (group ${record.pgid}) is now this supervisor` };
  }
  if (!isGroupAlive(record.pgid)) return { alive: false, reason: 'no process of the group is left' };
  const leaderGroup = readProcessGroup(record.pid);
  if (leaderGroup === undefined) {
    // A process group id cannot be reused while the group exists, so remaining members are the old service's.
    return { alive: true, reason: 'the leader is gone but members of its process group remain' };
  }
  const commandLine = readCommandLine(record.pid);
  if (leaderGroup !== record.pgid || commandLine === undefined || !commandMatches(commandLine, record.command)) {
    return { alive: false, reason: `pid ${record.pid} now runs another program` };
  }
  return { alive: true, reason: 'still running from a previous supervisor' };
}

/** Ends every recorded group still alive: SIGTERM, up to `timeoutMs`, then SIGKILL. Reports each record. */
export async function reapOrphans(records: readonly ChildRecord[], timeoutMs: number): Promise<OrphanReport[]> {
  return Promise.all(
    records.map(async (record): Promise<OrphanReport> => {
      const base = { name: record.name, pid: record.pid, pgid: record.pgid };
      const { alive, reason } = classify(record);
      if (!alive) return { ...base, outcome: reason.startsWith('pid') ? 'skipped' : 'gone', reason };
      signalGroup(record.pgid, 'SIGTERM');
      if (await waitForGroupExit(record.pgid, timeoutMs)) return { ...base, outcome: 'terminated', reason };
      signalGroup(record.pgid, 'SIGKILL');
      await waitForGroupExit(record.pgid, KILL_CONFIRM_TIMEOUT_MS);
      return { ...base, outcome: 'killed', reason };
    }),
  );
}
