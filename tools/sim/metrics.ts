/**
 * Trip stress: how close a current trace came to tripping the main fuse, as one comparable figure.
 *
 * For each grid phase, every simulation step adds dt / t_trip(|I| / In), where t_trip is the time the
 * *fastest* device the standard allows would need at that multiple of its rating (Miner's rule, no
 * cooling: an upper bound). The figure is the largest such sum over any 1 h window on the worst phase;
 * 1.0 means the fastest allowed device could trip. Below the first curve point there is no stress.
 *
 * Curve points (and how sure we are of them):
 * - MCB type C, IEC 60898-1 (In ≤ 32 A, 30 °C), the fastest allowed device:
 *   1.13 In → 3600 s (conventional non-tripping current: no trip within 1 h; Schneider Electric FAQ
 *   FA369327, secondary), 2.55 In → 1 s (lower edge of the 1–60 s band; manufacturer table, secondary),
 *   5 In → 0.1 s (type C holds 5 In for 0.1 s, trips at 10 In within 0.1 s; manufacturer table,
 *   secondary); log-log between; at and above 5 In 0.1 s.
 * - gG fuse-link, IEC 60269-1, the fastest allowed fuse: the conventional non-fusing current Inf over
 *   the conventional time (16 ≤ In ≤ 63 A: 1.25 In, 1 h — secondary, the primary Table 2 unread), then
 *   the lower gates of the pre-arcing time-current table, Imin(10 s) and Imin(0.1 s) for the rating
 *   (unverified: the primary table was not available; values as commonly reproduced, see GG_GATES).
 *   The conventional fusing current If (1.6 In melts within 1 h) and the Imax gates bound the slowest
 *   fuse and are not used. Log-log between; at and above Imin(0.1 s) 0.1 s.
 */

import { tripTimeS, type SourceStatus, type TripCurve } from '../../lib/tripCurve';

export { MCB_C_FASTEST, tripTimeS, type CurvePoint, type SourceStatus, type TripCurve } from '../../lib/tripCurve';

/**
 * Lower gates of the gG pre-arcing time-current table (IEC 60269-1, "gates for specified pre-arcing
 * times of gG fuse-links"), In → [Imin(10 s), Imin(0.1 s)] in A. UNVERIFIED: the primary table was not
 * in any stored source; these are the values as commonly reproduced from it.
 */
export const GG_GATES: Readonly<Record<number, readonly [number, number]>> = {
  16: [33, 85],
  20: [42, 110],
  25: [52, 150],
  32: [75, 200],
  40: [95, 260],
  50: [125, 350],
  63: [160, 450],
};

/**
 * Conventional non-fusing current (multiple of In) and conventional time (s) of a gG fuse-link
 * (IEC 60269-1 Table 2 as quoted: In ≤ 4 A 1.5 In; 4 < In < 16 A 1.5 In; 16 ≤ In ≤ 63 A 1.25 In,
 * all 1 h; above 63 A 1.25 In, 2 h up to 160 A).
 */
export function ggConventional(ratedA: number): { multiple: number; seconds: number; status: SourceStatus } {
  if (ratedA < 16) return { multiple: 1.5, seconds: 3600, status: 'unverified' };
  return { multiple: 1.25, seconds: ratedA <= 63 ? 3600 : 7200, status: ratedA <= 63 ? 'secondary' : 'unverified' };
}

/** The gates for a rating: the table row, else multiples interpolated between neighbours (or the nearest end's). */
function ggGates(ratedA: number): { min10A: number; min01A: number; note: string } {
  const exact = GG_GATES[ratedA];
  if (exact) return { min10A: exact[0], min01A: exact[1], note: `table row ${ratedA} A` };
  const sizes = Object.keys(GG_GATES).map(Number).sort((a, b) => a - b);
  const mult = (size: number, k: 0 | 1): number => GG_GATES[size][k] / size;
  if (ratedA < sizes[0] || ratedA > sizes[sizes.length - 1]) {
    const end = ratedA < sizes[0] ? sizes[0] : sizes[sizes.length - 1];
    return { min10A: mult(end, 0) * ratedA, min01A: mult(end, 1) * ratedA, note: `multiples of the ${end} A row, none for ${ratedA} A` };
  }
  const hi = sizes.findIndex((s) => s > ratedA);
  const [a, b] = [sizes[hi - 1], sizes[hi]];
  const w = (ratedA - a) / (b - a);
  const at = (k: 0 | 1): number => (mult(a, k) + w * (mult(b, k) - mult(a, k))) * ratedA;
  return { min10A: at(0), min01A: at(1), note: `multiples interpolated between the ${a} A and ${b} A rows` };
}

/** The fastest gG fuse-link IEC 60269-1 allows for this rating. */
export function ggFastest(ratedA: number): TripCurve {
  const conv = ggConventional(ratedA);
  const gates = ggGates(ratedA);
  const table = `IEC 60269-1 gG pre-arcing gates (${gates.note}; the primary table was not read)`;
  return {
    name: `gG fuse ${ratedA} A (IEC 60269-1), fastest allowed`,
    points: [
      {
        multiple: conv.multiple,
        seconds: conv.seconds,
        source: `IEC 60269-1 conventional non-fusing current Inf = ${conv.multiple} In, no melting within ${conv.seconds / 3600} h (secondary quotes only; the primary Table 2 was not read)`,
        status: conv.status,
      },
      { multiple: gates.min10A / ratedA, seconds: 10, source: `${table}: Imin(10 s) = ${round2(gates.min10A)} A`, status: 'unverified' },
      { multiple: gates.min01A / ratedA, seconds: 0.1, source: `${table}: Imin(0.1 s) = ${round2(gates.min01A)} A`, status: 'unverified' },
    ],
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** One phase's stress increments and their sum over the trailing window. */
class PhaseWindow {
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;
  private sum = 0;
  peak = 0;

  constructor(private readonly windowS: number) {}

  add(startS: number, dtS: number, stress: number): void {
    if (stress > 0) {
      this.times.push(startS);
      this.values.push(stress);
      this.sum += stress;
    }
    const from = startS + dtS - this.windowS;
    while (this.head < this.times.length && this.times[this.head] < from - 1e-9) this.sum -= this.values[this.head++];
    if (this.head === this.times.length) {
      this.times = [];
      this.values = [];
      this.head = 0;
      this.sum = 0;
    } else if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
    if (this.sum > this.peak) this.peak = this.sum;
  }
}

/**
 * Accumulates trip stress per phase for one device curve and rating; `value` is the largest sum over
 * any `windowS` (1 h) window on the worst phase.
 */
export class TripStress {
  private readonly phases: PhaseWindow[];

  constructor(
    private readonly curve: TripCurve,
    private readonly ratedA: number,
    windowS = 3600,
  ) {
    this.phases = [0, 1, 2].map(() => new PhaseWindow(windowS));
  }

  /** The currents (A, signed) held over [startS, startS + dtS). */
  add(startS: number, dtS: number, currentsA: readonly number[]): void {
    for (let p = 0; p < 3; p++) {
      const t = tripTimeS(this.curve, Math.abs(currentsA[p] ?? 0) / this.ratedA);
      this.phases[p].add(startS, dtS, Number.isFinite(t) ? dtS / t : 0);
    }
  }

  get value(): number {
    return Math.max(...this.phases.map((p) => p.peak));
  }
}
