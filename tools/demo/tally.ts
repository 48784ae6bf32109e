/**
 * The demo's ground truth, second by second: how long and how far the main fuse was over its rating
 * with the balancer and without it (both cars at full current), how close that came to tripping the
 * fastest circuit breaker the standard allows, and how much energy the fuse left room for. The
 * report's plain-language summary is built from these figures.
 */
import type { Triple } from '../../lib/balancer/types';
import { MCB_C_FASTEST, TripStress, tripTimeS, type TripCurve } from '../sim/metrics';

/** The breaker the summary judges by: the fastest type C MCB IEC 60898-1 allows. */
export const TRIP_CURVE: TripCurve = MCB_C_FASTEST;

/** One uninterrupted time over the fuse on any phase. */
export interface OverStretch {
  startS: number;
  durationS: number;
  /** 0-based phase of the highest current in the stretch. */
  phase: number;
  peakA: number;
  /** On that phase at the start: the house (without the cars) one second before and at the start, and the cars' draw. */
  houseBeforeA: number;
  houseA: number;
  carsA: number;
}

export interface FuseStats {
  /** Seconds in which at least one phase was above the fuse. */
  overS: number;
  longestOverS: number;
  /** Every stretch over the fuse (at most MAX_STRETCHES; `stretchCount` counts them all). */
  stretches: OverStretch[];
  stretchCount: number;
  peakA: number;
  peakPhase: number;
  peakAtS: number;
  /** Σ over phases of ∫ max(0, |I| − fuse) dt (A·s). */
  overloadAmpSeconds: number;
  /** Largest Miner sum Σ dt / t_trip over any hour on the worst phase (1 = the breaker could trip). */
  tripStress: number;
  /** The second the trip stress first reached 1, or null. */
  tripAtS: number | null;
}

const MAX_STRETCHES = 50;

/** Accumulates FuseStats from per-second phase currents at the meter. */
export class FuseTally {
  private readonly stats: FuseStats = {
    overS: 0, longestOverS: 0, stretches: [], stretchCount: 0, peakA: 0, peakPhase: 0, peakAtS: 0, overloadAmpSeconds: 0, tripStress: 0, tripAtS: null,
  };
  private readonly stress: TripStress;
  private current: OverStretch | null = null;
  private lastHouse: Triple<number> | null = null;

  constructor(private readonly fuseA: number) {
    this.stress = new TripStress(TRIP_CURVE, fuseA);
  }

  /** The second ending at `simS`: the meter's current per phase, the house's share and the cars'. */
  add(simS: number, meterA: Triple<number>, houseA: Triple<number>): void {
    const s = this.stats;
    let over = false;
    let worst = 0;
    for (let p = 0; p < 3; p++) {
      const a = Math.abs(meterA[p]);
      s.overloadAmpSeconds += Math.max(0, a - this.fuseA);
      if (a > this.fuseA) over = true;
      if (a > Math.abs(meterA[worst])) worst = p;
      if (a > s.peakA) Object.assign(s, { peakA: a, peakPhase: p, peakAtS: simS });
    }
    this.stress.add(simS - 1, 1, meterA);
    s.tripStress = this.stress.value;
    if (s.tripAtS === null && s.tripStress >= 1) s.tripAtS = simS;
    if (over) {
      s.overS++;
      const a = Math.abs(meterA[worst]);
      if (!this.current) {
        const before = this.lastHouse ?? houseA;
        this.current = { startS: simS, durationS: 0, phase: worst, peakA: a, houseBeforeA: before[worst], houseA: houseA[worst], carsA: meterA[worst] - houseA[worst] };
        s.stretchCount++;
        if (s.stretches.length < MAX_STRETCHES) s.stretches.push(this.current);
      } else if (a > this.current.peakA) {
        Object.assign(this.current, { peakA: a, phase: worst });
      }
      this.current.durationS++;
      s.longestOverS = Math.max(s.longestOverS, this.current.durationS);
    } else {
      this.current = null;
    }
    this.lastHouse = houseA;
  }

  result(): FuseStats {
    return { ...this.stats, stretches: this.stats.stretches.map((x) => ({ ...x })) };
  }
}

/** Seconds the fastest allowed breaker holds `currentA` on a `fuseA` rating (Infinity below its curve). */
export function secondsToTrip(currentA: number, fuseA: number): number {
  return tripTimeS(TRIP_CURVE, Math.abs(currentA) / fuseA);
}

/** A car as the energy bound sees it: the most it draws per grid phase (0 where it does not draw). */
export interface CarLimit {
  maxDrawA: Triple<number>;
  minA: number;
}

/**
 * Watt-hours the cars could have taken in one second without any phase going over `limitA`, had the
 * house's load been known in advance: the best whole-amp currents (0, or from the minimum to the
 * maximum) for every car, by trying them all (two cars: 144 combinations).
 */
export function bestChargeWh(houseA: Triple<number>, cars: CarLimit[], limitA: number, voltageV: number): number {
  const options = cars.map((c) => {
    const max = Math.max(...c.maxDrawA);
    const list = [0];
    for (let a = c.minA; a <= max; a++) list.push(a);
    return list;
  });
  let best = 0;
  const pick: number[] = new Array(cars.length).fill(0);
  const walk = (i: number): void => {
    if (i === cars.length) {
      const load: Triple<number> = [houseA[0], houseA[1], houseA[2]];
      let watts = 0;
      cars.forEach((c, k) => {
        for (let p = 0; p < 3; p++) {
          if (c.maxDrawA[p] > 0) {
            load[p] += pick[k];
            watts += pick[k] * voltageV;
          }
        }
      });
      if (load.every((a) => a <= limitA) && watts > best) best = watts;
      return;
    }
    for (const a of options[i]) {
      pick[i] = a;
      walk(i + 1);
    }
  };
  walk(0);
  return best / 3600;
}
