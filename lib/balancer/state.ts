/**
 * What the balancer persists across a restart (`BalancerState`): per charger the limit it wanted, who
 * paused it, the phases its car used and whether a car was there. Hold timers start afresh.
 */
import type { BalancerChargerState, BalancerState } from './types';
import { finiteOr, newMemo, type Memo } from './work';

export function memosToState(memos: Map<string, Memo>): BalancerState {
  const chargers: Record<string, BalancerChargerState> = {};
  for (const [id, m] of memos) {
    chargers[id] = {
      allowedA: m.allowedA,
      pausedByBalancer: m.pausedByBalancer,
      sessionPhaseMask: m.sessionPhaseMask,
      carConnected: m.carConnected,
    };
  }
  return { version: 1, chargers };
}

/** Malformed entries are skipped: persisted data is not trusted. */
export function restoreMemos(memos: Map<string, Memo>, state: BalancerState): void {
  if (!state || typeof state !== 'object' || state.version !== 1 || !state.chargers || typeof state.chargers !== 'object') return;
  for (const [id, s] of Object.entries(state.chargers)) {
    if (!s || typeof s !== 'object') continue;
    const allowedA = finiteOr(s.allowedA, -1);
    if (allowedA < 0 || allowedA > 1000) continue;
    const m = newMemo(-Infinity);
    m.allowedA = Math.floor(allowedA);
    m.pausedByBalancer = s.pausedByBalancer === true;
    m.sessionPhaseMask = Number.isInteger(s.sessionPhaseMask) ? s.sessionPhaseMask & 7 : 0;
    m.carConnected = s.carConnected === true;
    m.restored = true;
    memos.set(id, m);
  }
}
