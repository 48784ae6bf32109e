/**
 * What the controller keeps across a restart (and across a device's own restart): per charger its actuator's
 * snapshot and the maxima that hold until unplug, and the balancer's state; read back from this or the previous
 * version.
 */
import type { ActuatorSnapshot } from './actuator';
import type { BalancerState } from './balancer/types';

export interface PersistedCharger {
  actuator: ActuatorSnapshot;
  manualMaxA: number | null;
  /** Absent in state saved before target power existed. */
  targetMaxA?: number | null;
}

export interface PersistedState {
  version: 2;
  balancer: BalancerState | null;
  chargers: Record<string, PersistedCharger>;
}

/** Read a stored state of this or the previous version (0.2: `{ limitA, paused, manualMaxA }` per charger). */
export function migrateState(raw: unknown): PersistedState | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as { version?: unknown; balancer?: unknown; chargers?: unknown };
  if (!r.chargers || typeof r.chargers !== 'object') return null;
  const balancer = (r.balancer ?? null) as BalancerState | null;
  if (r.version === 2) return { version: 2, balancer, chargers: r.chargers as Record<string, PersistedCharger> };
  if (r.version !== 1) return null;
  const chargers: Record<string, PersistedCharger> = {};
  for (const [id, c] of Object.entries(r.chargers as Record<string, { limitA?: unknown; paused?: unknown; manualMaxA?: unknown }>)) {
    if (!c || typeof c !== 'object') continue;
    const limitA = typeof c.limitA === 'number' ? c.limitA : null;
    chargers[id] = {
      actuator: { target: null, confirmedLevelA: null, assumedLevelA: c.paused === true ? 0 : limitA, pausedByApp: c.paused === true, held: false },
      manualMaxA: typeof c.manualMaxA === 'number' ? c.manualMaxA : null,
    };
  }
  return { version: 2, balancer, chargers };
}
