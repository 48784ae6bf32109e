/**
 * Errors a user may see. Every message is one line that says what was wrong and what was expected.
 * Nothing here ever carries a secret: messages pass through `redact` before they are built.
 */

/** Bad input from a person: a setting, flow argument, CLI flag or file. */
export class UserInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(oneLine(`${field}: ${message}`));
    this.name = 'UserInputError';
    this.field = field;
  }
}

/** A peer (charger, cloud, meter) answered in a way we cannot use, or not at all. */
export class PeerError extends Error {
  /** HTTP status where there was one. */
  readonly status?: number;
  /** 'timeout' | 'unreachable' | 'http' | 'protocol' | 'auth' | 'rate-limit' */
  readonly kind: PeerErrorKind;
  /** How long the peer asked us to wait before the next request (ms, from its Retry-After), where it said so. */
  readonly retryAfterMs?: number;
  constructor(kind: PeerErrorKind, message: string, status?: number, options: { retryAfterMs?: number } = {}) {
    super(oneLine(message));
    this.name = 'PeerError';
    this.kind = kind;
    this.status = status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

export type PeerErrorKind = 'timeout' | 'unreachable' | 'http' | 'protocol' | 'auth' | 'rate-limit';

const secretValues = new Set<string>();

/** Remember a secret value (password, token, API key) so that `redact` removes it from any text. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secretValues.add(value);
}

/** Replace every registered secret and anything that looks like a bearer token or JWT with "***". */
export function redact(text: string): string {
  let out = text;
  for (const s of secretValues) out = out.split(s).join('***');
  out = out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '***');
  out = out.replace(/(bearer\s+)[^\s"']+/gi, '$1***');
  out = out.replace(/((?:password|token|apikey|api_key|refreshToken)["']?\s*[:=]\s*["']?)[^"'\s,&}]+/gi, '$1***');
  return out;
}

/** Collapse a message to one line (no stack, no newlines) and redact it. */
export function oneLine(text: string): string {
  return redact(text.replace(/\s*\n\s*/g, ' ').trim());
}

/**
 * Input a person gave, fit to quote in a message: a user name or password in front of an "@" (as in
 * `http://user:secret@host` or `user:secret@host`) is dropped, newlines and control characters become
 * spaces, registered secrets are redacted, and anything longer than `maxChars` is cut to a prefix
 * ending in "…". Returns the text in double quotes; a non-string is named by its type.
 */
export function quoteInput(value: unknown, maxChars = 40): string {
  if (typeof value !== 'string') {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a value of type ${typeof value}`;
  }
  const limit = Math.max(1, Math.floor(maxChars));
  const text = withoutUserinfo(value);
  // Clean a bounded head only: a 1 MB field costs no more than a short one.
  const head = redact(text.slice(0, limit + 200).replace(/[\u0000-\u001f\u007f]+/g, ' '));
  return `"${head.length > limit || text.length > limit + 200 ? `${head.slice(0, limit)}…` : head}"`;
}

/** `scheme://user:pass@host/…` or `user:pass@host` → the same without everything up to the last "@" of the authority. */
function withoutUserinfo(value: string): string {
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const end = rest.search(/[/?#]/);
  const at = rest.lastIndexOf('@', end < 0 ? rest.length : end);
  return at < 0 ? value : scheme + rest.slice(at + 1);
}

/** The one line to show a user for any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return oneLine(err.message || err.name);
  return oneLine(String(err));
}
