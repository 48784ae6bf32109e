/**
 * The actuator's timing and tolerances (docs/balancer.md, "The actuator") and the small judgements it
 * makes about readings and errors. Only lib/actuator.ts uses these, but for COMPLY_TOLERANCE_A, which the balancer's
 * resume check shares (a paused charger drawing no more than this has stopped).
 */
import type { ChargerStatus } from './charger';
import { backoffMs } from './backoff';
import { PeerError } from './errors';

/** A reading within this much of the told level complies (A). */
export const COMPLY_TOLERANCE_A = 1.5;
export const DECREASE_RETRY_MS = 2_000;
export const DECREASE_RETRY_MAX_MS = 5_000;
export const DECREASE_RETRY_AFTER_CAP_MS = 10_000;
export const RAISE_BACKOFF_BASE_MS = 2_000;
export const RAISE_BACKOFF_MAX_MS = 5 * 60_000;
/** A local charger's reading normally confirms a decrease within this; after it, it counts at worst case. */
export const LOCAL_GRACE_MS = 10_000;
/** How long a charger may take to show that a write took effect, per latency class. */
export const CONFIRM_MS = { local: 15_000, cloud: 75_000 } as const;

export type WriteKind = 'decrease' | 'raise';

/** A decrease refused in a way that will not pass by itself: 5 s, doubling, at most this (ms). */
export const DECREASE_REFUSED_MAX_MS = 30_000;

/** Failures in a row of one kind of write; `transient`: the last one may pass by itself. */
export interface WriteFailures {
  count: number;
  atMs: number;
  retryAfterMs: number;
  transient: boolean;
}

/**
 * How long after the last of `failed.count` failures in a row a write of this kind waits (docs/balancer.md): a
 * decrease after 2 s, 4 s, then every 5 s, a server's Retry-After holding it back at most 10 s; a decrease refused
 * in a way that will not pass by itself (a refused login, a 4xx) after 5 s, 10 s, 20 s, then every 30 s, so a cut
 * still goes out soon once it can and a cloud is not hammered; a raise backs off exponentially with jitter from
 * 2 s to 5 min, or the Retry-After, whichever is longer.
 */
export function retryDelayMs(kind: WriteKind, failed: WriteFailures, random: () => number): number {
  if (failed.count === 0) return 0;
  if (kind === 'decrease') {
    const spacing = failed.transient
      ? backoffMs(failed.count - 1, DECREASE_RETRY_MS, DECREASE_RETRY_MAX_MS)
      : backoffMs(failed.count - 1, 5_000, DECREASE_REFUSED_MAX_MS);
    return Math.max(spacing, Math.min(failed.retryAfterMs, DECREASE_RETRY_AFTER_CAP_MS));
  }
  const backoff = backoffMs(failed.count - 1, RAISE_BACKOFF_BASE_MS, RAISE_BACKOFF_MAX_MS) * (0.5 + random() / 2);
  return Math.max(backoff, failed.retryAfterMs);
}

/** Worth retrying soon: no answer, overload, a server error or a maintenance page; not a refusal. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof PeerError)) return false;
  if (err.kind === 'timeout' || err.kind === 'unreachable' || err.kind === 'rate-limit') return true;
  if (err.kind === 'http') return (err.status ?? 500) >= 500;
  return err.kind === 'protocol';
}

/** The current a target asks for per phase (0 = paused). */
export const level = (t: { limitA: number; paused: boolean }): number => (t.paused ? 0 : t.limitA);

export function carPresent(s: ChargerStatus): boolean {
  return ['connected', 'charging', 'complete'].includes(s.state);
}

export function strongestPhase(s: ChargerStatus): number {
  let k = 0;
  for (let i = 1; i < 3; i++) if ((s.phases[i].currentA ?? 0) > (s.phases[k].currentA ?? 0)) k = i;
  return k;
}
