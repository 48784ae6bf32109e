/**
 * The evcc-like PV baseline for the solar bench: evcc's PV and Min+PV control as a per-charger ceiling, run
 * through the same balancer (so the fuse is handled alike and only the solar control differs).
 *
 * Source: evcc-io/evcc at v0.313.0-102-gb29b49e30 (commit b29b49e3056e, 2026-08-08), `core/loadpoint.go`
 * `pvMaxCurrent` and `pvScalePhases`, defaults in `NewLoadpoint` (`Enable: {Delay: 1 min, Threshold: 0 W}`,
 * `Disable: {Delay: 3 min, Threshold: 0 W}`), the site loop every 30 s (`cmd/setup.go` `Interval: 30 s`):
 * - each cycle: target current = the charger's measured current + (−grid power) / (230 V × active phases);
 * - Min+PV: at least the minimum; PV: off → on after the target stayed ≥ the minimum for Enable.Delay, at the
 *   minimum; on → off after the grid power at the minimum stayed ≥ Disable.Threshold for Disable.Delay;
 * - phases (with a switchable charger): down to 1 when 3 phases at the minimum do not fit the available power for
 *   Disable.Delay (at once when not charging), up to 3 when the minimum fits on 3 and 1 phase's maximum does not,
 *   for Enable.Delay (at once when not charging);
 * - the current is written as whole amps, rounded down (evcc `int64(current)` for chargers without mA).
 * Simplified: no battery, no residual power, no vehicle SoC limits, no phase-switch settling of 60 s beyond ours.
 */
import type { ChargerInput, MeterSample } from '../../../lib/balancer/types';

export const EVCC_CYCLE_MS = 30_000;
export const EVCC_ENABLE_DELAY_MS = 60_000;
export const EVCC_DISABLE_DELAY_MS = 180_000;
const VOLTS = 230;

export class EvccPvLimit {
  private enabled = false;
  private pvTimerMs: number | null = null;
  private phaseTimerMs: number | null = null;
  private lastCycleMs = -Infinity;
  private sample: MeterSample | null = null;
  private targetA = 0;
  private wish: 1 | 3 | null = null;
  phases: 1 | 3;

  constructor(
    private readonly mode: 'solar' | 'min+solar',
    private readonly canSwitch: boolean,
    phases: 1 | 3,
  ) {
    this.phases = phases;
  }

  observe(nowMs: number, sample: MeterSample | null, ch: ChargerInput): void {
    if (sample) this.sample = sample;
    if (nowMs - this.lastCycleMs < EVCC_CYCLE_MS || !this.sample) return;
    this.lastCycleMs = nowMs;
    const s = this.sample;
    const sitePowerW = s.powerW ?? s.currentsA.reduce<number>((sum, a) => sum + (a ?? 0) * VOLTS, 0);
    const drawA = Math.max(0, ...ch.measuredA.map((a) => a ?? 0));
    const chargePowerW = ch.measuredA.reduce<number>((sum, a) => sum + (a ?? 0) * VOLTS, 0);
    const charging = chargePowerW > 100;
    if (this.canSwitch) this.scalePhases(nowMs, sitePowerW, chargePowerW, charging, ch);
    const target = Math.max(0, drawA + -sitePowerW / (VOLTS * this.phases));
    const min = ch.minCurrentA;
    if (this.mode === 'min+solar') {
      this.targetA = Math.min(ch.maxCurrentA, Math.max(min, target));
      return;
    }
    if (this.enabled && target < min) {
      const projected = sitePowerW - (this.phaseTimerMs !== null ? VOLTS * min * (this.phases - 1) : 0);
      if (projected >= 0) {
        this.pvTimerMs ??= nowMs;
        if (nowMs - this.pvTimerMs >= EVCC_DISABLE_DELAY_MS) {
          this.pvTimerMs = null;
          this.enabled = false;
          this.targetA = 0;
          return;
        }
      } else this.pvTimerMs = null;
      this.targetA = min;
      return;
    }
    if (!this.enabled) {
      if (target >= min) {
        this.pvTimerMs ??= nowMs;
        if (nowMs - this.pvTimerMs >= EVCC_ENABLE_DELAY_MS) {
          this.pvTimerMs = null;
          this.enabled = true;
          this.targetA = min;
          return;
        }
      } else this.pvTimerMs = null;
      this.targetA = 0;
      return;
    }
    this.pvTimerMs = null;
    this.targetA = Math.min(target, ch.maxCurrentA);
  }

  private scalePhases(nowMs: number, sitePowerW: number, chargePowerW: number, charging: boolean, ch: ChargerInput): void {
    const availableW = chargePowerW - sitePowerW;
    const min = ch.minCurrentA;
    let want: 1 | 3 | null = null;
    let delayMs = 0;
    if (this.phases === 3 && (sitePowerW > 0 || !this.enabled) && availableW / (VOLTS * 3) < min) {
      want = 1;
      delayMs = EVCC_DISABLE_DELAY_MS;
    } else if (this.phases === 1 && availableW / (VOLTS * 3) >= min && availableW / VOLTS > ch.maxCurrentA) {
      want = 3;
      delayMs = EVCC_ENABLE_DELAY_MS;
    }
    if (want === null) {
      this.phaseTimerMs = null;
      return;
    }
    if (!charging) this.phaseTimerMs = -Infinity;
    this.phaseTimerMs ??= nowMs;
    if (nowMs - this.phaseTimerMs >= delayMs) {
      this.wish = want;
      this.phaseTimerMs = null;
    }
  }

  /** The ceiling (A, whole amps down; 0 = off). */
  maxA(): number {
    return Math.floor(this.targetA + 1e-9);
  }

  phaseWish(): 1 | 3 | null {
    return this.wish !== null && this.wish !== this.phases ? this.wish : null;
  }

  notePhases(p: 1 | 3): void {
    this.phases = p;
    this.wish = null;
  }
}
