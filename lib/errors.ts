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

/** The one line to show a user for any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return oneLine(err.message || err.name);
  return oneLine(String(err));
}
