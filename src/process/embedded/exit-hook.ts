/**
 * No child outlives the supervisor: one synchronous `process.on('exit')` hook, shared by every manager in the process,
 * SIGKILLs each live process group. It runs on a normal exit, on `process.exit()` (what an app's SIGINT/SIGTERM
 * handler calls) and on an uncaught exception. Nothing runs when the supervisor itself gets SIGKILL, or when a signal
 * without a handler ends Node: the state file covers those (the next supervisor reaps the groups).
 */

/** What the hook needs from a manager: kill its groups now, synchronously. */
export interface ExitHookParticipant {
  killAllSync(): void;
}

const participants = new Set<ExitHookParticipant>();
let installed = false;

function onProcessExit(): void {
  for (const participant of participants) {
    try {
      participant.killAllSync();
    } catch {
      // The process is exiting: keep going with the other managers.
    }
  }
}

export function registerExitHook(participant: ExitHookParticipant): () => void {
  if (!installed) {
    process.on('exit', onProcessExit);
    installed = true;
  }
  participants.add(participant);
  return () => {
    participants.delete(participant);
  };
}
