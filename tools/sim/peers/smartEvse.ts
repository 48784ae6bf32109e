/**
 * SmartEVSE-3 in Smart mode as a stand-alone EVSE (no power sharing, no EV meter, no MaxSumMains), its
 * mains meter the P1 meter. Re-expressed from the firmware (see SMART_EVSE_SOURCE; docs/peers.md lists
 * what is simplified). Currents in tenths of an amp, as the firmware keeps them:
 * - on each new mains reading (`phasesLastUpdateFlag`) `CalcBalancedCurrent(0)`: Imeasured = the highest
 *   signed phase current; `Idifference = MaxMains − Imeasured`; a positive difference raises IsetBalanced
 *   by a quarter of it (integer division), a negative one lowers it by all of it; then 0 ≤ Iset ≤ 80 A
 *   and Iset ≤ MaxMains − Baseload, where Baseload = Imeasured − the current set for the charging EVSE;
 * - while charging: below MinCurrent Iset is held at MinCurrent, and when even MinCurrent exceeds
 *   MaxMains − Baseload (hard shortage) `NoCurrent` counts; with enough current it is reset; Iset ≤ the
 *   EVSE's maximum and becomes its current (`Balanced[0]`);
 * - after the calculation: `NoCurrent > 2` or Imeasured > 2 × MaxMains sets LESS_6A and charging stops;
 *   `Timer1S` keeps `ChargeDelay` at CHARGEDELAY (60 s) while LESS_6A is set, clears LESS_6A once
 *   `IsCurrentAvailable()` (MinCurrent + Baseload ≤ MaxMains), and counts ChargeDelay down by 1 per s;
 *   charging starts again (state B → C) when no error is set, ChargeDelay is 0 and current is available;
 * - no mains reading for 11 s (`COMM_TIMEOUT`) is CT_NOCOMM: charging stops until readings return.
 * Iset keeps following the mains while no car charges, so a session starts at what fits (≤ max) when
 * the car plugs in (state A → B → C needs `IsCurrentAvailable()`); without a car nothing is written.
 * MaxMains is fuse − margin, as a careful user configures it.
 */
import type { BalancerCommand, ChargerInput } from '../../../lib/balancer/types';
import type { Policy, PolicyContext, PolicyStep } from '../policies';
import { ChargerOutput, maxPhaseA, type PeerSource } from './common';

export const SMART_EVSE_SOURCE: PeerSource = {
  repo: 'SmartEVSE/SmartEVSE-3',
  commit: '2bc4238314fb78f3d360f3f6715bb7161f5a32b7',
  files: ['SmartEVSE-3/src/main.cpp', 'SmartEVSE-3/src/main.h', 'SmartEVSE-3/src/meter.cpp'],
};

/** Firmware constants (main.h): CHARGEDELAY, COMM_TIMEOUT, stop after NoCurrent > 2, the 80 A hard limit. */
export const SMART_EVSE = { chargeDelayS: 60, commTimeoutS: 11, c1DelayS: 15, noCurrentStop: 2, hardLimitDa: 800 } as const;

export class SmartEvsePolicy implements Policy {
  readonly name = 'smartevse';
  private readonly maxMainsDa: number;
  /** IsetBalanced and Balanced[0] (dA), the latter 0 while not charging. */
  isetDa: number | null = null;
  balancedDa = 0;
  charging = false;
  noCurrent = 0;
  less6A = false;
  noComm = false;
  chargeDelayS = 0;
  private minDa = 60;
  private imeasuredDa: number | null = null;
  private lastSampleMs: number | null = null;
  private nextTickMs: number | null = null;
  private readonly out = new ChargerOutput();

  constructor(ctx: PolicyContext) {
    this.maxMainsDa = Math.round((ctx.fuseA - ctx.marginA) * 10);
  }

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    const ch = chargers[0];
    this.minDa = ch.minCurrentA * 10;
    if (sample) {
      const a = maxPhaseA(sample);
      if (a !== null) {
        this.lastSampleMs = nowMs;
        this.imeasuredDa = Math.round(a * 10);
        this.onMainsReading(ch);
        if (this.noCurrent > SMART_EVSE.noCurrentStop || this.imeasuredDa > 2 * this.maxMainsDa) {
          this.less6A = true;
          this.noCurrent = 0;
        }
      }
    }
    if (!ch.carConnected) {
      // State A: no car, no charging, ChargeDelay and the LESS_6A stop cleared; Iset keeps following the mains.
      this.charging = false;
      this.balancedDa = 0;
      this.noCurrent = 0;
      this.less6A = false;
      this.chargeDelayS = 0;
      this.nextTickMs = null;
      return [];
    }
    if (this.charging && this.less6A) this.stop();
    this.nextTickMs ??= nowMs;
    while (this.nextTickMs <= nowMs) {
      this.nextTickMs += 1000;
      this.timer1s(nowMs);
    }
    if (this.charging && (this.less6A || this.noComm)) this.stop();
    if (!this.charging && !this.less6A && !this.noComm && this.chargeDelayS === 0) {
      if (this.currentAvailable()) this.start(ch);
      else this.less6A = true;
    }
    if (this.charging) return this.out.apply(ch, true, this.balancedDa / 10, 'smartevse: balanced current');
    return this.out.apply(ch, false, 0, this.noComm ? 'smartevse: mains meter timeout' : 'smartevse: not enough current (LESS_6A)');
  }

  /** `CalcBalancedCurrent(0)` on a new mains reading. */
  private onMainsReading(ch: ChargerInput): void {
    const imeas = this.imeasuredDa!;
    const baseloadDa = imeas - (this.charging ? this.balancedDa : 0);
    const idiff = this.maxMainsDa - imeas;
    // A controller that has run idle for a while has Iset at its fixed point, the headroom.
    let iset = this.isetDa ?? this.maxMainsDa - imeas;
    iset += idiff > 0 ? Math.trunc(idiff / 4) : idiff;
    iset = Math.min(Math.max(iset, 0), SMART_EVSE.hardLimitDa);
    iset = Math.min(iset, this.maxMainsDa - baseloadDa);
    if (this.charging) {
      if (iset < this.minDa) {
        iset = this.minDa;
        if (this.minDa > this.maxMainsDa - baseloadDa) this.noCurrent++;
      } else {
        this.noCurrent = 0;
      }
      iset = Math.min(iset, ch.maxCurrentA * 10);
      this.balancedDa = iset;
    }
    this.isetDa = iset;
  }

  /** `Timer1S`: ChargeDelay, clearing LESS_6A, the mains-meter timeout. */
  private timer1s(nowMs: number): void {
    if (this.chargeDelayS > 0) this.chargeDelayS--;
    if (this.less6A && this.currentAvailable()) this.less6A = false;
    this.noComm = this.lastSampleMs === null || nowMs - this.lastSampleMs > SMART_EVSE.commTimeoutS * 1000;
    if (this.less6A) this.chargeDelayS = SMART_EVSE.chargeDelayS;
  }

  /** `IsCurrentAvailable()` for one EVSE: one more at MinCurrent fits over the base load. */
  private currentAvailable(): boolean {
    if (this.imeasuredDa === null) return false;
    const active = this.charging ? 1 : 0;
    const baseloadDa = this.imeasuredDa - (this.charging ? this.balancedDa : 0);
    return (active + 1) * this.minDa + baseloadDa <= this.maxMainsDa;
  }

  private stop(): void {
    this.charging = false;
    this.balancedDa = 0;
    this.noCurrent = 0;
    // setState(STATE_C1) sets ChargeDelay 15 s; LESS_6A holds it at 60 s.
    this.chargeDelayS = Math.max(this.chargeDelayS, SMART_EVSE.c1DelayS);
  }

  /** State B → C: the charging current is what Iset says now, at least MinCurrent, at most the maximum. */
  private start(ch: ChargerInput): void {
    this.charging = true;
    this.balancedDa = Math.min(ch.maxCurrentA * 10, Math.max(this.minDa, this.isetDa ?? this.minDa));
  }
}
