/** Turns socket-level failures into one clear, typed error that names the socket and what to check. */
import { BackendUnavailableError } from '../../errors.js';

/**
 * ENOENT (no socket file), ECONNREFUSED (a stale socket a dead Zinit left), ECONNRESET/EPIPE (it died mid-request):
 * all mean "Zinit is not running there". EACCES/EPERM get their own advice.
 */
export function zinitUnavailableError(socketPath: string, error: unknown): BackendUnavailableError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new BackendUnavailableError(
      `Cannot connect to Zinit at ${socketPath} (${code}): permission denied. Run the supervisor as a user that may open the socket, or use the embedded backend.`,
      { cause: error },
    );
  }
  const shown = code ?? (error instanceof Error ? error.message : String(error));
  return new BackendUnavailableError(
    `Zinit is not running at ${socketPath} (${shown}). Is zinit running? Check the socket path, or use the embedded backend.`,
    { cause: error },
  );
}
