/**
 * When a car in 'solar' starts and stops (docs/solar.md, "Control"): one `StartStop` per charger, fed each fresh
 * surplus by lib/solar/source.ts.
 *
 * - **Start budget, a token bucket**: `maxStartsPerHour` tokens at most, one back every 3600 / `maxStartsPerHour` s,
 *   each start takes one. A cloudy stretch that spends them no longer leaves the car idle in full sun until the
 *   oldest start is an hour old: the first token is back after 20 min (3/h), and over any stretch of T hours at
 *   most `maxStartsPerHour` × (1 + T) starts fall.
 * - **Start** when the smoothed surplus stays ≥ the car's minimum power (+ `startThresholdW`) for `enableDelayS`,
 *   after `minOffTimeS` off, with a token.
 * - **Stop on borrowed energy**: the source counts the session's energy to the car and what of it the grid gave
 *   (each sample: max(0, the car's draw − the surplus with the car's own draw added back) × the time since the last).
 *   Below the minimum the car rides the cloud at its minimum while the grid's share stays within budget:
 *   borrowed ≤ `gridBudgetShare` × charged + `gridAllowanceWh` (+ `noStartRideWh` while no start is left: a stop
 *   then would leave it idle in the sun until a token is back). Over budget and below the minimum for
 *   `stopConfirmS` (one sample's dip is not a cloud), or below it for `disableDelayS` (a cap), and after
 *   `minOnTimeS` on, it stops. Clouds are ridden while the session can afford them, and the session's grid share
 *   stays near the budget whatever the clouds do (a whole day: 2.5 % + the allowances over its energy).
 */
import type { SolarConfig } from './config';
/** The part of the solar settings (lib/solar/config.ts, documented there) the start/stop rule reads. */
export type StartStopConfig = Pick<
  SolarConfig,
  'enableDelayS' | 'disableDelayS' | 'minOnTimeS' | 'minOffTimeS' | 'maxStartsPerHour' | 'gridBudgetShare' | 'gridAllowanceWh' | 'stopConfirmS' | 'noStartRideWh'
>;

export type StartStopVerdict = 'waiting' | 'starting' | 'start_limit' | 'charging' | 'stopping';

export class StartStop {
  on = false;
  /** When the car last started or stopped (ms). */
  sinceMs = -Infinity;
  /** Since when the start (off) or stop (on) condition has held; null = it does not hold. */
  timerMs: number | null = null;
  /** Start times of the last hour (for the UI's "N starts in the last hour"). */
  starts: number[] = [];
  /** This session: energy to the car and what of it the grid gave (Wh). */
  chargedWh = 0;
  borrowedWh = 0;
  private tokens: number | null = null;
  private tokensAtMs = 0;
  private lastMs: number | null = null;

  /** Car unplugged or the mode changed: a new session, off (a start waits the enable delay). */
  reset(nowMs: number, keepOffTime: boolean): void {
    if (this.on && keepOffTime) this.sinceMs = nowMs;
    if (!keepOffTime) this.sinceMs = -Infinity;
    this.on = false;
    this.timerMs = null;
    this.chargedWh = 0;
    this.borrowedWh = 0;
    this.lastMs = null;
  }

  /** Count the car's draw against the surplus since the last call (W each; the surplus includes the car's own draw). */
  account(nowMs: number, carW: number, surplusW: number | null): void {
    const dtH = this.lastMs === null ? 0 : Math.min(60_000, Math.max(0, nowMs - this.lastMs)) / 3_600_000;
    this.lastMs = nowMs;
    if (carW <= 0 || dtH === 0) return;
    this.chargedWh += carW * dtH;
    this.borrowedWh += Math.max(0, carW - Math.max(0, surplusW ?? 0)) * dtH;
  }

  /** Starts left now (whole tokens). */
  tokensLeft(nowMs: number, c: StartStopConfig): number {
    const cap = c.maxStartsPerHour;
    if (this.tokens === null) this.tokens = cap;
    const refillMs = 3_600_000 / cap;
    this.tokens = Math.min(cap, this.tokens + Math.max(0, nowMs - this.tokensAtMs) / refillMs);
    this.tokensAtMs = nowMs;
    return Math.floor(this.tokens + 1e-9);
  }

  /** The grid's energy the car may still borrow this session (Wh). */
  budgetLeftWh(c: StartStopConfig, nowMs: number): number {
    const extra = this.tokensLeft(nowMs, c) < 1 ? c.noStartRideWh : 0;
    return c.gridBudgetShare * this.chargedWh + c.gridAllowanceWh + extra - this.borrowedWh;
  }

  /**
   * One decision: `startW` = the smoothed surplus against `neededW` (a start), `stayW` = the surplus now against
   * `minW` (riding at the minimum).
   */
  step(nowMs: number, c: StartStopConfig, s: { startW: number | null; stayW: number; neededW: number; minW: number; connected: boolean }): StartStopVerdict {
    this.starts = this.starts.filter((t) => nowMs - t < 3_600_000);
    if (!this.on) {
      const tokens = this.tokensLeft(nowMs, c);
      if (s.startW === null || s.startW < s.neededW || !s.connected) {
        this.timerMs = null;
        return 'waiting';
      }
      this.timerMs ??= nowMs;
      const ready = nowMs - this.timerMs >= c.enableDelayS * 1000 && nowMs - this.sinceMs >= c.minOffTimeS * 1000;
      if (!ready) return 'starting';
      if (tokens < 1) return 'start_limit';
      this.tokens = (this.tokens ?? 1) - 1;
      this.on = true;
      this.sinceMs = nowMs;
      this.timerMs = null;
      this.starts.push(nowMs);
    }
    if (s.stayW >= s.minW) {
      this.timerMs = null;
      return 'charging';
    }
    this.timerMs ??= nowMs;
    const belowMs = nowMs - this.timerMs;
    const overBudget = (this.budgetLeftWh(c, nowMs) < 0 && belowMs >= c.stopConfirmS * 1000) || belowMs >= c.disableDelayS * 1000;
    if (overBudget && nowMs - this.sinceMs >= c.minOnTimeS * 1000) {
      this.on = false;
      this.sinceMs = nowMs;
      this.timerMs = null;
      return 'waiting';
    }
    return 'stopping';
  }
}
