/**
 * Limits from outside the fuse: the one hook through which the capacity-tariff guard (a ceiling for all balanced
 * chargers together), the charging modes (solar, off) and a charging plan (a ceiling per charger) reach the
 * balancer. The fuse always wins: the balancer takes the lower of its own fuse headroom and these.
 *
 * A `LimitSource` is pure: it sees every step (each fresh meter sample and each tick, monotonic time) and the
 * balancer's inputs, and answers with ceilings. The controller combines all sources: per phase the lowest site
 * ceiling, per charger the lowest charger ceiling; the reason of the binding one is what the user reads.
 */
import type { Reason } from './reasons';
import type { ChargerInput, MeterSample, Triple } from './balancer/types';

/** The charging mode of one charger (issue: charging modes; `planned` follows a charging plan). */
export type ChargingMode = 'fast' | 'min+solar' | 'solar' | 'off' | 'planned';
export const CHARGING_MODES: readonly ChargingMode[] = ['fast', 'min+solar', 'solar', 'off', 'planned'];

export function isChargingMode(v: unknown): v is ChargingMode {
  return typeof v === 'string' && (CHARGING_MODES as readonly string[]).includes(v);
}

/** The most all balanced chargers together may draw per grid phase (A); null = no ceiling on that phase. */
export interface SiteLimit {
  ceilingA: Triple<number | null>;
  /** A sentence a user reads when this ceiling, not the fuse, limited a charger ("Capacity cap 5 kW: …"). */
  reason: string;
  /** What `reason` was written from, for the user's language (lib/reasons.ts); absent: `reason` as it is. */
  text?: Reason;
}

/** The most one charger may be offered (A); below the charger's minimum it is paused. */
export interface ChargerLimit {
  maxA: number;
  /** Shown when this ceiling limited or paused the charger ("Solar only: no surplus"). */
  reason: string;
  /** What `reason` was written from, for the user's language (lib/reasons.ts); absent: `reason` as it is. */
  text?: Reason;
}

export interface LimitSource {
  /** Stable name for logs ("capacity", "solar", "plan"). */
  readonly id: string;
  /**
   * Called on every step before the balancer runs: `sample` is the fresh meter sample or null on a tick,
   * `nowMs` the monotonic time and `wallMs` the wall clock (for period alignment); `chargers` are the inputs
   * the balancer will get (with their measured currents), before any limit of this hook is applied.
   */
  observe?(nowMs: number, wallMs: number, sample: MeterSample | null, chargers: readonly ChargerInput[]): void;
  /** A ceiling for all balanced chargers together, or null for none. */
  site?(nowMs: number): SiteLimit | null;
  /** A ceiling for one charger, or null for none. */
  charger?(nowMs: number, input: ChargerInput): ChargerLimit | null;
}

/** Per phase the lowest ceiling; the reason of the one that is lowest on any phase. Null when none has one. */
export function combineSiteLimits(limits: readonly (SiteLimit | null | undefined)[]): SiteLimit | null {
  const ceilingA: Triple<number | null> = [null, null, null];
  let reason = '';
  let text: Reason | undefined;
  let lowest = Infinity;
  for (const l of limits) {
    if (!l) continue;
    for (let g = 0; g < 3; g++) {
      const v = l.ceilingA[g];
      if (v === null || !Number.isFinite(v)) continue;
      const c = ceilingA[g];
      if (c === null || v < c) ceilingA[g] = v;
      if (v < lowest) {
        lowest = v;
        reason = l.reason;
        text = l.text;
      }
    }
  }
  return ceilingA.some((v) => v !== null) ? { ceilingA, reason, ...(text ? { text } : {}) } : null;
}

/** The lowest charger ceiling of all sources, or null. */
export function lowestChargerLimit(limits: readonly (ChargerLimit | null | undefined)[]): ChargerLimit | null {
  let best: ChargerLimit | null = null;
  for (const l of limits) if (l && Number.isFinite(l.maxA) && (best === null || l.maxA < best.maxA)) best = l;
  return best;
}

/**
 * One step of the hook: every source observes, then each charger gets the lowest charger ceiling (below its minimum:
 * 0, the balancer pauses it) with that ceiling's reason, and the site ceilings are combined. `inputs` are changed in
 * place; a source that throws is skipped for this step (reported through `onError`), never stopping the balancer.
 */
export function applyLimits(
  sources: readonly LimitSource[],
  step: { nowMs: number; wallMs: number; sample: MeterSample | null },
  inputs: ChargerInput[],
  onError: (source: LimitSource, err: unknown) => void,
): SiteLimit | null {
  const guard = <T>(src: LimitSource, f: () => T): T | null => {
    try {
      return f();
    } catch (err) {
      onError(src, err);
      return null;
    }
  };
  // assume the worst of an answer that is no number of amps (NaN, -Infinity): a ceiling of 0, reported once
  const amps = (src: LimitSource, v: unknown, what: string): number => {
    if (typeof v === 'number' && (Number.isFinite(v) || v === Infinity)) return v;
    onError(src, new Error(`${what} is not a number of amps (${String(v)}): 0 A until it answers again`));
    return 0;
  };
  const snapshot = inputs.map((i) => ({ ...i }));
  for (const src of sources) if (src.observe) guard(src, () => src.observe!(step.nowMs, step.wallMs, step.sample, snapshot));
  for (const input of inputs) {
    const own = snapshot.find((i) => i.id === input.id) as ChargerInput;
    const ask = (src: LimitSource): ChargerLimit | null => {
      const l = src.charger ? guard(src, () => src.charger!(step.nowMs, own)) : null;
      return l ? { ...l, maxA: amps(src, l.maxA, `ceiling for ${own.name}`) } : null;
    };
    const limit = lowestChargerLimit(sources.map(ask));
    if (!limit || limit.maxA >= input.maxCurrentA) continue;
    input.maxCurrentA = limit.maxA >= input.minCurrentA ? Math.floor(limit.maxA) : 0;
    input.maxReason = limit.reason;
    input.maxText = limit.text;
  }
  return combineSiteLimits(
    sources.map((src) => {
      const l = src.site ? guard(src, () => src.site!(step.nowMs)) : null;
      if (!l) return null;
      const ceilingA = l.ceilingA.map((v, g) => (v === null ? null : amps(src, v, `site ceiling on L${g + 1}`))) as Triple<number | null>;
      return { ...l, ceilingA };
    }),
  );
}
