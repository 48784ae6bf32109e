/**
 * The zero-latency ideals the solar bench measures against (tools/sim/solar.ts). Each second the ideal knows the
 * export exactly and charges the best whole-amp current it allows (≥ the car's minimum, ≤ its maximum and the fuse)
 * on 1 or 3 phases; `idealW` is that second's power. How often the ideal may change phases:
 *
 * - **free** (`freeIdealWs`): every second, at no cost — the ideal of the text taken literally; a contactor and
 *   a car cannot do it (each switch pauses the car, the go-e simulates an unplug).
 * - **switch-limited** (`switchLimitedIdealWs`): each switch charges nothing for `pauseS` (the firmware's stop and
 *   simulated unplug) and at most `maxPerHour` switches fall in any hour — the contactor's own limit, which the
 *   issue's "≤ 4 switches per hour" line sets for us too. Computed exactly (dynamic programming over the seconds)
 *   for the relaxation "at most `maxPerHour` switches in each clock hour of the trace" — every schedule with at most
 *   `maxPerHour` in any rolling hour is one of those, so this figure is an UPPER bound of the rolling-hour ideal
 *   (generous to the ideal, strict for us). `minGapIdealWs` is the matching lower bound: switches at least
 *   3600 / `maxPerHour` s apart (a subset of the rolling-hour schedules).
 *
 * The ideal may start on either phase count.
 */
import type { Triple } from '../../lib/balancer/types';
import type { CarOptions } from './models';

const VOLTS = 230;

/** Best whole-amp charging power (W) a zero-latency ideal could take from `surplusW` on `n` phases within the fuse. */
export function idealW(surplusW: number, household: Triple<number>, n: 1 | 3, car: CarOptions, fuseA: number): number {
  const phases = n === 3 ? [0, 1, 2] : [0];
  const fuseRoom = Math.min(...phases.map((g) => fuseA - household[g]));
  const a = Math.min(car.maxA, Math.floor(surplusW / (VOLTS * n) + 1e-9), Math.floor(fuseRoom));
  return a >= (car.minA ?? 6) ? a * VOLTS * n : 0;
}

/** Per second the ideal power on 1 and on 3 phases (W). */
export interface IdealSeries {
  one: number[];
  three: number[];
}

/** The ideal that may change phases every second at no cost (Ws). */
export function freeIdealWs(s: IdealSeries): number {
  let sum = 0;
  for (let t = 0; t < s.one.length; t++) sum += Math.max(s.one[t], s.three[t]);
  return sum;
}

/** The ideal on one phase count only (Ws). */
export function fixedIdealWs(s: IdealSeries, phases: 1 | 3): number {
  return (phases === 1 ? s.one : s.three).reduce((a, b) => a + b, 0);
}

export interface SwitchLimits {
  /** Switches allowed per hour. */
  maxPerHour: number;
  /** Seconds a switch keeps the car from charging. */
  pauseS: number;
}

/**
 * Best energy (Ws) with at most `maxPerHour` switches in each clock hour of the trace (hour k = seconds
 * [3600k, 3600k + 3600)), each switch charging nothing for `pauseS`: backward dynamic programming over
 * (second, phase count, switches used this clock hour).
 */
export function switchLimitedIdealWs(s: IdealSeries, lim: SwitchLimits): number {
  const n = s.one.length;
  const kMax = lim.maxPerHour;
  const pause = Math.max(1, Math.round(lim.pauseS));
  const width = 2 * (kMax + 1);
  // value[t][p][k], p 0 = 1 phase, 1 = 3 phases; row n is all zero
  const value = new Float64Array((n + 1) * width);
  const at = (t: number, p: number, k: number): number => value[t * width + p * (kMax + 1) + k];
  const hour = (t: number): number => Math.floor(t / 3600);
  for (let t = n - 1; t >= 0; t--) {
    for (let p = 0; p < 2; p++) {
      const e = p === 0 ? s.one[t] : s.three[t];
      for (let k = 0; k <= kMax; k++) {
        const kNext = hour(t + 1) > hour(t) ? 0 : k;
        let best = e + at(t + 1, p, kNext);
        if (k < kMax) {
          const t2 = Math.min(n, t + pause);
          const k2 = hour(t2) > hour(t) ? 0 : k + 1;
          best = Math.max(best, at(t2, 1 - p, k2));
        }
        value[t * width + p * (kMax + 1) + k] = best;
      }
    }
  }
  return Math.max(at(0, 0, 0), at(0, 1, 0));
}

/**
 * Best energy (Ws) with switches at least 3600 / `maxPerHour` s apart, each charging nothing for `pauseS`: never more
 * than `maxPerHour` in any rolling hour, so a LOWER bound of the rolling-hour ideal. Dynamic programming over
 * (second, phase count, seconds since the last switch, capped at the gap).
 */
export function minGapIdealWs(s: IdealSeries, lim: SwitchLimits): number {
  const n = s.one.length;
  const gap = Math.ceil(3600 / lim.maxPerHour);
  const pause = Math.max(1, Math.round(lim.pauseS));
  const width = 2 * (gap + 1);
  // a ring of the last `pause` + 1 rows: value[t][p][d], d = seconds since the last switch (capped at `gap`)
  const rows = pause + 1;
  const ring = new Float64Array(rows * width);
  const row = (t: number): number => ((t % rows) + rows) % rows * width;
  const get = (t: number, p: number, d: number): number => (t >= n ? 0 : ring[row(t) + p * (gap + 1) + Math.min(gap, d)]);
  for (let t = n - 1; t >= 0; t--) {
    const base = row(t);
    for (let p = 0; p < 2; p++) {
      const e = p === 0 ? s.one[t] : s.three[t];
      for (let d = 0; d <= gap; d++) {
        let best = e + get(t + 1, p, d + 1);
        if (d >= gap) best = Math.max(best, get(t + pause, 1 - p, pause));
        ring[base + p * (gap + 1) + d] = best;
      }
    }
  }
  return Math.max(get(0, 0, gap), get(0, 1, gap));
}
