/**
 * How hard the main fuse has been worked in the last hour, from the meter: per grid phase the Miner sum
 * Σ dt / t_trip(|I| / fuse) against the fastest type C breaker IEC 60898-1 allows (lib/tripCurve.ts), no
 * cooling (an upper bound), and the worst phase's sum. 1 = that breaker could trip; currents under 1.13 ×
 * the fuse add nothing. The balancer raises quickly only while this stays under `quickStressBudget`
 * (docs/balancer.md, "Quick while the fuse is cool"). Pure: time is the caller's (ms).
 */
import { MCB_C_FASTEST, tripTimeS } from '../tripCurve';
import { quickRules } from './config';
import { DEFAULT_QUICK_STRESS_BUDGET, type BalancerConfig, type Triple } from './types';

/** The window the figure covers (ms). */
export const FUSE_STRESS_WINDOW_MS = 60 * 60_000;
/** Stress is summed in buckets this long (ms): the window moves by whole buckets. */
const BUCKET_MS = 60_000;

interface Bucket {
  atMs: number;
  stress: Triple<number>;
}

export class FuseStress {
  private readonly buckets: Bucket[] = [];
  /** Per phase: when it last had a value, and that value (A). */
  private readonly lastMs: Triple<number | null> = [null, null, null];
  private readonly lastA: Triple<number> = [0, 0, 0];

  /**
   * A fresh meter sample at `nowMs`: each phase with a value (`present`) adds the time since its own previous value,
   * at most `maxGapMs` (a gap longer than the meter's stale time is not counted), at the larger of the two readings
   * (what the phase carried in between is not known: the worse of its ends, so the figure stays an upper bound).
   */
  add(nowMs: number, currentsA: Triple<number | null>, present: Triple<boolean>, fuseA: number, maxGapMs: number): void {
    for (let g = 0; g < 3; g++) {
      const a = currentsA[g];
      if (!present[g] || typeof a !== 'number' || !Number.isFinite(a)) continue;
      const last = this.lastMs[g];
      const dtMs = last === null ? 0 : Math.min(Math.max(0, nowMs - last), maxGapMs);
      const worstA = Math.max(Math.abs(a), this.lastA[g]);
      this.lastMs[g] = nowMs;
      this.lastA[g] = Math.abs(a);
      const tripS = fuseA > 0 ? tripTimeS(MCB_C_FASTEST, worstA / fuseA) : Infinity;
      if (dtMs <= 0 || !Number.isFinite(tripS)) continue;
      let bucket = this.buckets[this.buckets.length - 1];
      if (!bucket || nowMs - bucket.atMs >= BUCKET_MS) {
        bucket = { atMs: nowMs, stress: [0, 0, 0] };
        this.buckets.push(bucket);
      }
      bucket.stress[g] += dtMs / 1000 / tripS;
    }
    this.drop(nowMs);
  }

  /** The worst phase's stress over the last hour (0 = none). */
  value(nowMs: number): number {
    this.drop(nowMs);
    const sum: Triple<number> = [0, 0, 0];
    for (const b of this.buckets) for (let g = 0; g < 3; g++) sum[g] += b.stress[g];
    return Math.max(sum[0], sum[1], sum[2]);
  }

  /** The clock went back by −deltaMs: keep the stress where it was in time. */
  shift(deltaMs: number): void {
    for (let g = 0; g < 3; g++) {
      const last = this.lastMs[g];
      if (last !== null) this.lastMs[g] = last + deltaMs;
    }
    for (const b of this.buckets) b.atMs += deltaMs;
  }

  private drop(nowMs: number): void {
    // a bucket goes once all of it is older than the window (the figure may cover a minute more, never less)
    while (this.buckets.length && nowMs - this.buckets[0].atMs >= FUSE_STRESS_WINDOW_MS + BUCKET_MS) this.buckets.shift();
  }
}

/**
 * Which rules apply now: `quickRules` while the fuse's stress over the last hour is under `quickStressBudget`,
 * else the config's. After a start or restart the last hour is unknown: the config's rules for the first hour.
 */
export class FuseWatch {
  private readonly stress = new FuseStress();
  private quickCfg: BalancerConfig;
  /** null = the last hour is known; NaN = unknown (a start or restart): the careful hour starts at the next step. */
  private carefulUntilMs: number | null;

  /** `lastHourKnown`: the caller knows the fuse carried nothing in the last hour (a simulation with nothing before it). */
  constructor(private cfg: BalancerConfig, lastHourKnown = false) {
    this.quickCfg = quickRules(cfg);
    this.carefulUntilMs = lastHourKnown ? null : NaN;
  }

  setConfig(cfg: BalancerConfig): void {
    this.cfg = cfg;
    this.quickCfg = quickRules(cfg);
  }

  restarted(): void {
    this.carefulUntilMs = NaN;
  }

  /** A fresh sample's currents at the meter (A per grid phase) and which of them it carried. */
  add(nowMs: number, currentsA: Triple<number | null>, present: Triple<boolean>): void {
    this.stress.add(nowMs, currentsA, present, this.cfg.fuseA, this.cfg.staleAfterS * 1000);
  }

  now(nowMs: number): { stress: number; quick: boolean } {
    if (this.carefulUntilMs !== null && Number.isNaN(this.carefulUntilMs)) this.carefulUntilMs = nowMs + FUSE_STRESS_WINDOW_MS;
    const stress = this.stress.value(nowMs);
    const known = this.carefulUntilMs === null || nowMs >= this.carefulUntilMs;
    return { stress, quick: known && stress < (this.cfg.quickStressBudget ?? DEFAULT_QUICK_STRESS_BUDGET) };
  }

  rules(nowMs: number): BalancerConfig {
    return this.now(nowMs).quick ? this.quickCfg : this.cfg;
  }

  shift(deltaMs: number): void {
    this.stress.shift(deltaMs);
    if (this.carefulUntilMs !== null) this.carefulUntilMs += deltaMs;
  }
}
