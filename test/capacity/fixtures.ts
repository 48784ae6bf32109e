/**
 * What the capacity guard tests share: a Brussels Monday evening, one charger drawing `a` A on each phase, and a
 * meter sample of `powerW` spread evenly over three phases.
 */
import type { ChargerInput, MeterSample, Triple } from '../../lib/balancer/types';

export const ZONE = 'Europe/Brussels';
/** Monday 13 January 2025, 17:00 in Brussels. */
export const T0 = Date.UTC(2025, 0, 13, 16, 0);
export const MIN = 60_000;

/** The charger `ev` drawing `a` A per phase (null: its current is not known). */
export const ch = (a: number | null, latencyClass: ChargerInput['latencyClass'] = 'local'): ChargerInput => ({
  id: 'ev', name: 'EV', enabled: true, phaseMap: ['L1', 'L2', 'L3'], measuredA: [a, a, a] as Triple<number | null>, currentLimitA: 16,
  minCurrentA: 6, maxCurrentA: 16, paused: false, carConnected: true, priority: 5, latencyClass,
});

/** A sample at wall time `w` of `powerW` W, evenly over three phases at 230 V. */
export const smp = (w: number, powerW: number): MeterSample => ({ timeMs: w, currentsA: [powerW / 690, powerW / 690, powerW / 690], powerW }) as MeterSample;
