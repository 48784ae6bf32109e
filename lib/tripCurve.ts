/**
 * Time-current curves of the main fuse: how long the *fastest* device a standard allows holds a current
 * (a multiple of its rating). The balancer's fuse-stress figure (lib/balancer/fuseStress.ts) and the
 * simulator's trip-stress metric (tools/sim/metrics.ts) both read them here.
 *
 * MCB type C, IEC 60898-1 (In ≤ 32 A, 30 °C), the fastest allowed device: 1.13 In → 3600 s (conventional
 * non-tripping current: no trip within 1 h; Schneider Electric FAQ FA369327, secondary), 2.55 In → 1 s
 * (lower edge of the 1–60 s band; manufacturer table, secondary), 5 In → 0.1 s (type C holds 5 In for
 * 0.1 s, trips at 10 In within 0.1 s; manufacturer table, secondary); log-log between; at and above 5 In
 * 0.1 s. Below 1.13 In no stress.
 */

export type SourceStatus = 'primary' | 'secondary' | 'unverified';

export interface CurvePoint {
  /** Current as a multiple of the rating, I / In. */
  multiple: number;
  /** Time to trip (or melt) of the fastest allowed device at that current (s). */
  seconds: number;
  /** Where the point comes from. */
  source: string;
  status: SourceStatus;
}

export interface TripCurve {
  name: string;
  /** Increasing in `multiple`, decreasing in `seconds`. */
  points: CurvePoint[];
}

const SCHNEIDER_FAQ = 'IEC 60898-1 conventional non-tripping current, quoted by Schneider Electric FAQ FA369327 (https://www.se.com/in/en/faqs/FA369327/)';
const IEK_TABLE = 'IEC 60898-1 time-current table, quoted by the IEK VA47-100 manual (https://manualshive.com/en/manual/iek/va47-100/620093?page=10)';

/** The fastest type C MCB IEC 60898-1 allows (In ≤ 32 A). */
export const MCB_C_FASTEST: TripCurve = {
  name: 'MCB type C (IEC 60898-1), fastest allowed',
  points: [
    { multiple: 1.13, seconds: 3600, source: `${SCHNEIDER_FAQ}: no trip within 1 h`, status: 'secondary' },
    { multiple: 2.55, seconds: 1, source: `${IEK_TABLE}: 2.55 In trips in 1 s < t < 60 s (In ≤ 32 A)`, status: 'secondary' },
    { multiple: 5, seconds: 0.1, source: `${IEK_TABLE}: type C does not trip at 5 In within 0.1 s, trips at 10 In within 0.1 s`, status: 'secondary' },
  ],
};

/** Time to trip at `multiple` × In on `curve` (s): Infinity below the first point, log-log between, flat after the last. */
export function tripTimeS(curve: TripCurve, multiple: number): number {
  const pts = curve.points;
  if (!(multiple >= pts[0].multiple)) return Infinity;
  for (let i = 1; i < pts.length; i++) {
    const [a, b] = [pts[i - 1], pts[i]];
    if (multiple <= b.multiple) {
      const w = Math.log(multiple / a.multiple) / Math.log(b.multiple / a.multiple);
      return Math.exp(Math.log(a.seconds) + w * (Math.log(b.seconds) - Math.log(a.seconds)));
    }
  }
  return pts[pts.length - 1].seconds;
}
