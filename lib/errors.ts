/**
 * Errors a user may see. Every message is one line that says what was wrong and what was expected.
 * Nothing here ever carries a secret: messages pass through `redact` before they are built.
 */

/** Bad input from a person: a setting, flow argument, CLI flag or file. */
export class UserInputError extends Error {
  readonly field: string;
  /** The problem without the field's name (where the caller names the field itself). */
  readonly problem: string;
  constructor(field: string, message: string) {
    super(oneLine(`${field}: ${message}`));
    this.name = 'UserInputError';
    this.field = field;
    this.problem = oneLine(message);
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

/** The secrets `redact` removes, each with how many holders it has (Infinity: registered for good). */
const secretValues = new Map<string, number>();

const isSecret = (value: string | undefined | null): value is string => typeof value === 'string' && value.length >= 4;

/** Remember a secret value (password, API key, a paired token) for good, so that `redact` removes it from any text. */
export function registerSecret(value: string | undefined | null): void {
  if (isSecret(value)) secretValues.set(value, Infinity);
}

/**
 * One secret that is replaced over time (a session's access or refresh token): `set` registers the new value and
 * forgets the one it replaces, so a session that renews every two hours holds two secrets, not thousands. A value
 * also held elsewhere (another slot, or `registerSecret`) stays registered until its last holder lets go.
 */
export class SecretSlot {
  private value: string | null = null;

  set(value: string | undefined | null): void {
    const next = isSecret(value) ? value : null;
    if (next === this.value) return;
    if (next !== null) secretValues.set(next, (secretValues.get(next) ?? 0) + 1);
    const previous = this.value;
    this.value = next;
    if (previous === null) return;
    const holders = (secretValues.get(previous) ?? 1) - 1;
    if (holders > 0) secretValues.set(previous, holders);
    else secretValues.delete(previous);
  }

  clear(): void {
    this.set(null);
  }
}

/** How many secrets `redact` checks each text for (tests: the registry stays bounded). */
export function registeredSecretCount(): number {
  return secretValues.size;
}

/** Replace every registered secret and anything that looks like a bearer token or JWT with "***". */
export function redact(text: string): string {
  let out = text;
  for (const s of secretValues.keys()) out = out.split(s).join('***');
  out = out.replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '***');
  out = out.replace(/(bearer\s+)[^\s"']+/gi, '$1***');
  // key=value and "key":"value" secrets not registered: a quoted value, or an unquoted one of 6+ characters with a
  // digit (a token, a key), so that prose ("the meter refused the token: pair it again") is left as it is
  out = out.replace(/((?:password|token|apikey|api_key|refreshToken)["']?\s*[:=]\s*)(["'])[^"']*\2/gi, '$1$2***$2');
  out = out.replace(/((?:password|token|apikey|api_key|refreshToken)["']?\s*[:=]\s*)(?=[^"'\s,&}]*\d)[^"'\s,&}]{6,}/gi, '$1***');
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
