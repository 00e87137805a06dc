/**
 * Keeps secrets out of everything the supervisor prints: logs, `status`, metrics, error messages.
 * A `Redactor` knows the secret values (Redis password, admin token, env values marked secret) and replaces
 * every occurrence in a string; `redactUrl` hides the password of a connection URL.
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/**
 * Secrets shorter than this are not searched for in free text: replacing every `a` in a log line would
 * destroy the line and, worse, tell a reader which characters the secret is made of. Fields known to hold
 * secrets are still redacted whatever their length (see `SECRET_FIELD_NAMES`).
 */
export const MIN_SEARCHABLE_SECRET_LENGTH = 4;

/** Field names whose values are always secrets, wherever they appear in a logged object. */
export const SECRET_FIELD_NAMES = ['password', 'token', 'authorization', 'secret', 'apiKey'] as const;

export class Redactor {
  #secrets: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** Adds secret values (e.g. once the config is loaded, or a generated token). */
  add(secrets: Iterable<string>): void {
    for (const secret of secrets) {
      if (secret.length >= MIN_SEARCHABLE_SECRET_LENGTH && !this.#secrets.includes(secret)) this.#secrets.push(secret);
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.#secrets.length;
  }

  /** `text` with every known secret (and its URL- and JSON-escaped forms) replaced by `[REDACTED]`. */
  redact(text: string): string {
    let result = text;
    for (const secret of this.#secrets) {
      for (const form of secretForms(secret)) {
        if (result.includes(form)) result = result.split(form).join(REDACTED);
      }
    }
    return result;
  }
}

/** A secret may show up as written, URL-encoded (in a connection string) or JSON-escaped (in a log line). */
function secretForms(secret: string): string[] {
  const forms = new Set([secret]);
  forms.add(encodeURIComponent(secret));
  forms.add(JSON.stringify(secret).slice(1, -1));
  return [...forms].filter((form) => form.length >= MIN_SEARCHABLE_SECRET_LENGTH);
}

/** `redis://user:pw@host:6379` → `redis://user:[REDACTED]@host:6379`; anything unparsable is returned unchanged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = 'REDACTED';
    return parsed.toString().replace(':REDACTED@', `:${REDACTED}@`);
  } catch {
    return url;
  }
}

/** The password of a connection URL, decoded, or undefined. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}
