/**
 * How much the balanced chargers may draw for the rest of the period, and that as amps per grid phase.
 *
 * The meter counts import only: an export never pays back an import, and a load that swings around zero imports on
 * its upswings even when its mean is an export. So the plan works on the expected import (`expectedImportW`, the
 * house's spread as its mean deviation), not on the mean net power. A decision lands only after the reaction time
 * (the charger's latency + the car): until then the chargers draw what they draw now (`committed`), and a house
 * jump in the time it is seen (one meter interval) and reacted to is cushioned. The rest of the budget is spread over the time after it (`rateWithinW`):
 * the house at its level now (+ 2 × its mean deviation, the reserve) for the next five minutes, then at its usual
 * level. The chargers charge at that while it is at least their floor (their minimum current on the phases they use).
 * Below it they are held at the floor while the expected import still fits with the floor (`hardW`, no reserve), and
 * paused only when even the floor would take the period over the cap. A pause holds until the period ends unless
 * the plan has room again with a margin and five minutes are left; within the last reaction time nothing changes
 * (guard.ts): at most one pause per period, never a pause storm at its end.
 */
import type { ChargerInput, MeterSample, Triple } from '../balancer/types';
import { GRID_PHASES } from '../balancer/types';

/** The cushion covers a house jump of at least this much (W), or 4 × the house's mean deviation, from one meter
 *  reading to the chargers' reaction. */
export const CUSHION_MIN_JUMP_W = 1500;
/** The variation reserve covers this much of the time left, at most (ms), at 2 × the house's mean deviation. */
export const VARIATION_WINDOW_MS = 5 * 60_000;
/** After a pause, the plan must allow this much more than the floor (×), with this much time left, to resume. */
export const RESUME_FACTOR = 1.2;
export const RESUME_MIN_LEFT_MS = 5 * 60_000;
/** The balancer resumes a paused charger only with its minimum + this much headroom (BalancerConfig default). */
export const RESUME_HYSTERESIS_A = 1;

export type PlanMode = 'charge' | 'hold' | 'pause';

export interface PlanInput {
  capW: number;
  periodMs: number;
  leftMs: number;
  importWh: number;
  /** The house's own load now, conservatively (without the balanced chargers; negative = export) (W). */
  houseNowW: number;
  /** The house's usual load (W): a rise above it is expected to last `spikeMs`, then the load is back to this. */
  houseUsualW: number;
  spikeMs: number;
  /** Mean absolute deviation of the house's own load (W). */
  houseVarW: number;
  /** What the balanced chargers draw now (W). */
  chargersNowW: number;
  /** Cuts sent earlier that have not landed yet, each deeper than the one before: what each allows them (W), and
   *  in how long it lands (ms). */
  cuts?: readonly { allowedW: number; landsInMs: number }[];
  /** From a decision to the chargers drawing accordingly: the charger's latency + the car following (ms). */
  reactionMs: number;
  /** The meter's interval (ms): a house jump is seen up to this much later. */
  meterMs: number;
  /** The chargers' floor: their minimum on their phases, as power (W). */
  floorW: number;
  /** Paused by this plan earlier in this period. */
  latchedPause: boolean;
}

export interface Plan {
  mode: PlanMode;
  /** What all balanced chargers together may draw (W). */
  allowedW: number;
  /** The planned rate, for status (W). */
  planW: number;
}

/**
 * The expected import rate (W) of a net load whose mean is `meanW` and which varies around it by a mean absolute
 * deviation of `devW` (a Laplace spread): the meter counts import only, so export does not pay back import, and a
 * load that swings around zero imports on its upswings even when its mean is an export.
 */
export function expectedImportW(meanW: number, devW: number): number {
  const d = Math.max(1, devW);
  return meanW >= 0 ? meanW + (d / 2) * Math.exp(-meanW / d) : (d / 2) * Math.exp(meanW / d);
}

/**
 * The most the chargers may draw (W) from now to the period's end so that the expected import stays within
 * `budgetWh`: the house at `nowW` for `spikeMs` (of `leftMs`), at `usualW` after it, each with the spread `devW`.
 * Import only: an export later in the period never pays for an import now.
 */
export function rateWithinW(budgetWh: number, leftMs: number, nowW: number, usualW: number, spikeMs: number, devW: number): number {
  const a = Math.min(spikeMs, leftMs) / 3.6e6;
  const b = Math.max(0, leftMs) / 3.6e6 - a;
  const top = Math.max(nowW, usualW);
  // the linear plan (net import throughout) is the upper bound: expectedImportW(m) ≥ m
  const linear = (budgetWh - a * top - b * usualW) / Math.max(a + b, 1e-9);
  // far enough below the house's export that the expected import is nil
  let lo = -top - 30 * Math.max(1, devW);
  if (budgetWh <= 0 || a + b <= 0) return Math.min(linear, lo);
  const used = (c: number): number => a * expectedImportW(top + c, devW) + b * expectedImportW(usualW + c, devW);
  let hi = linear;
  if (hi <= lo || used(lo) > budgetWh) return Math.min(linear, lo);
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (used(mid) <= budgetWh) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The expected import (Wh) over the next `lagMs`: the house at `houseW`, the chargers at `drawW` until each cut
 *  on its way lands. */
export function committedImportWh(houseW: number, drawW: number, cuts: readonly { allowedW: number; landsInMs: number }[], lagMs: number, devW: number): number {
  let wh = 0;
  let t = 0;
  let w = drawW;
  for (const c of cuts) {
    const until = Math.min(lagMs, Math.max(t, c.landsInMs));
    wh += (expectedImportW(houseW + w, devW) * (until - t)) / 3.6e6;
    t = until;
    w = Math.min(w, c.allowedW);
  }
  return wh + (expectedImportW(houseW + w, devW) * Math.max(0, lagMs - t)) / 3.6e6;
}

export function plan(p: PlanInput): Plan {
  const remainingWh = (p.capW * p.periodMs) / 3.6e6 - p.importWh;
  const dev = p.houseVarW;
  // a change decided now lands after the reaction time: until then the chargers draw what they draw now, down to
  // what each cut on its way allows once it lands; only the time after it is the plan's to spend
  const lagMs = Math.min(p.reactionMs, p.leftMs);
  const top = Math.max(p.houseNowW, p.houseUsualW);
  const committedWh = committedImportWh(top, p.chargersNowW, p.cuts ?? [], lagMs, dev);
  const cushionWh = (Math.max(CUSHION_MIN_JUMP_W, 4 * dev) * (p.meterMs + p.reactionMs)) / 3.6e6;
  const budgetWh = remainingWh - committedWh - cushionWh;
  const planLeftMs = p.leftMs - lagMs;
  const nearMs = Math.max(0, Math.max(p.spikeMs, VARIATION_WINDOW_MS) - lagMs);
  const hardW = rateWithinW(budgetWh, planLeftMs, p.houseNowW, p.houseUsualW, nearMs, dev);
  // the variation reserve: the house 2 × its mean deviation higher than thought over the next minutes
  const planW = rateWithinW(budgetWh, planLeftMs, top + 2 * dev, p.houseUsualW, nearMs, dev);
  if (p.latchedPause) {
    const resume = planW >= p.floorW * RESUME_FACTOR && p.leftMs >= RESUME_MIN_LEFT_MS;
    return resume ? { mode: 'charge', allowedW: planW, planW } : { mode: 'pause', allowedW: 0, planW };
  }
  if (planW >= p.floorW) return { mode: 'charge', allowedW: planW, planW };
  if (hardW >= p.floorW) return { mode: 'hold', allowedW: p.floorW, planW };
  return { mode: 'pause', allowedW: 0, planW };
}

/** A meter sample with the power and voltages lib/limits.ts's hook adds to `MeterSample` (optional both). */
export type PowerSample = MeterSample & { powerW?: number | null; voltagesV?: Triple<number | null> };

/**
 * The house's net power (W, import positive): the meter's power, else Σ currents × voltage; null when unknown (no
 * power and no phase current in the sample). A phase missing from a sample (null) counts at `carriedA`, its last known
 * current (an import only: assume the worst), not as 0 A.
 */
export function samplePowerW(sample: PowerSample, voltageV: number, carriedA?: readonly (number | null)[]): number | null {
  if (typeof sample.powerW === 'number' && Number.isFinite(sample.powerW)) return sample.powerW;
  let sum = 0;
  let any = false;
  sample.currentsA.forEach((a, g) => {
    const v = sample.voltagesV?.[g];
    const vV = typeof v === 'number' && v > 0 ? v : voltageV;
    if (a !== null && Number.isFinite(a)) {
      sum += a * vV;
      any = true;
    } else sum += Math.max(0, carriedA?.[g] ?? 0) * vV;
  });
  return any ? sum : null;
}

/** A charger the guard plans for: enabled, a car connected, not paused by someone else. */
export function isBalanced(ch: ChargerInput): boolean {
  return ch.enabled && ch.carConnected && !ch.externalPause;
}

/** The grid phases (0..2) a charger draws on now, per its phase map and measured currents (≥ 1 A); [] when none. */
export function drawingPhases(ch: ChargerInput): number[] {
  const out: number[] = [];
  ch.phaseMap.forEach((g, k) => {
    if (g && (ch.measuredA[k] ?? 0) >= 1) out.push(GRID_PHASES.indexOf(g));
  });
  return out;
}

/** The grid phases of a charger's phase map. */
export function mappedPhases(ch: ChargerInput): number[] {
  return ch.phaseMap.filter((g): g is NonNullable<typeof g> => g !== null).map((g) => GRID_PHASES.indexOf(g));
}

/** The balanced chargers' own draw (W) at `voltageV`. */
export function chargersW(chargers: readonly ChargerInput[], voltageV: number): number {
  let w = 0;
  for (const ch of chargers) {
    if (!ch.enabled || ch.externalPause) continue;
    for (const a of ch.measuredA) if (a !== null && a > 0) w += a * voltageV;
  }
  return w;
}

export interface PhaseSet {
  /** Grid phases the balanced chargers use. */
  phases: number[];
  /** Per phase the most the chargers need together at their minimum (A); the ceiling's floor. */
  floorA: number;
  /** The floor as power (W): on the phases each charger's car drew on, one phase for a car not seen drawing yet. */
  floorW: number;
  /** Some charger's phases are not known yet (its car has not drawn this session). */
  unknown: boolean;
}

/**
 * The phases the balanced chargers use (per charger: the phases its car drew on this session, else its phase map)
 * and the floor: per phase the sum of their minimum currents, the highest of the phases; +1 A while one of them is
 * paused (the balancer resumes only with its minimum + 1 A of headroom). A car not seen drawing yet counts as one
 * phase in the floor's power, so that a one-phase car can start where three phases would not fit; once it draws,
 * its phases are known.
 */
export function phaseSet(chargers: readonly ChargerInput[], used: ReadonlyMap<string, number[]>, voltageV: number): PhaseSet | null {
  const need: Triple<number> = [0, 0, 0];
  const phases = new Set<number>();
  let anyPaused = false;
  let unknown = false;
  let floorW = 0;
  for (const ch of chargers) {
    if (!isBalanced(ch)) continue;
    const known = used.get(ch.id);
    const ps = known ?? mappedPhases(ch);
    if (!known) unknown = true;
    for (const g of ps) {
      phases.add(g);
      need[g] += ch.minCurrentA;
    }
    const extra = ch.paused ? RESUME_HYSTERESIS_A : 0;
    floorW += (ch.minCurrentA + extra) * (known ? known.length : Math.min(1, ps.length)) * voltageV;
    if (ch.paused) anyPaused = true;
  }
  if (phases.size === 0) return null;
  const floorA = Math.max(...[...phases].map((g) => need[g])) + (anyPaused ? RESUME_HYSTERESIS_A : 0);
  return { phases: [...phases].sort(), floorA, floorW, unknown };
}

/**
 * Allowed power over a phase set → amps per grid phase (null on the phases the chargers do not use): the power spread
 * over the phases; at least the floor while the plan allows the floor's power (a car whose phases are not known yet
 * may start at its minimum on one phase).
 */
export function ceilingA(allowedW: number, set: PhaseSet, voltageV: number): Triple<number | null> {
  let perPhase = Math.max(0, allowedW) / (set.phases.length * voltageV);
  if (allowedW > 0 && allowedW >= set.floorW - 1e-6) perPhase = Math.max(perPhase, set.floorA);
  return [0, 1, 2].map((g) => (set.phases.includes(g) ? perPhase : null)) as Triple<number | null>;
}
