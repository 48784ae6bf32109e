/**
 * EVSE Load Balancer for Home Assistant (dirkgroenen/hass-evse-load-balancer) in its default
 * "optimised" mode (allow temporary overcurrent), one charger with one limit for all phases.
 * Re-expressed from the source (see HASS_EVSE_SOURCE; docs/peers.md lists what is simplified):
 * - coordinator.py: every 1 s, on the latest meter value, each configured phase (3) has
 *   `available = min(fuse, floor(fuse − phase current))`; a cycle without a value is skipped;
 * - optimised_load_balancer.py `PhaseMonitor`: while a phase is over (available < 0) a trip risk grows
 *   by threshold/60, /30, /10 or the whole threshold (60) per second for an overcurrent of ≤ 13 %,
 *   ≤ 40 %, ≤ 100 % or more of the fuse; once it reaches the threshold it is reset and the phase's
 *   limit becomes the (negative) availability; until then the phase keeps its previous limit. Not over,
 *   the risk decays 1 per second and the limit is min(fuse, available);
 * - power_allocator.py: a negative phase limit cuts the charger's setting by it (not below 0), a
 *   positive one raises it by at most what was requested (the charger's limit at start, or a manual
 *   change) minus the setting; synced phases take the minimum over all phases, whichever the car uses;
 *   for 15 s after a write the setting is taken to be the value written (`current_change_settle_time`);
 *   a reported limit other than the last applied one is a manual override and becomes the request;
 * - coordinator.py `_may_update_charger_settings`: no write within 20 s of the last one; a decrease
 *   goes out at once, an increase only once the charge-limit hysteresis (15 min by default) has
 *   passed since the last write; the first write is free.
 * Without a car (`can_charge()` false) the coordinator skips the cycle: no integration, no write; the
 * allocator takes the charger's limit as the request once a car can charge.
 * A limit below the car's minimum pauses the charger (as Easee/Zaptec do with a limit of 0–5 A).
 * The configured fuse size is fuse − margin, as a careful user configures it.
 */
import type { BalancerCommand, ChargerInput, MeterSample } from '../../../lib/balancer/types';
import type { Policy, PolicyContext, PolicyStep } from '../policies';
import { ChargerOutput, type PeerSource } from './common';

export const HASS_EVSE_SOURCE: PeerSource = {
  repo: 'dirkgroenen/hass-evse-load-balancer',
  commit: '0c6d654014462209e95809fa595ccb59355260a5',
  files: [
    'custom_components/evse_load_balancer/coordinator.py',
    'custom_components/evse_load_balancer/balancers/optimised_load_balancer.py',
    'custom_components/evse_load_balancer/power_allocator.py',
    'custom_components/evse_load_balancer/options_flow.py',
    'custom_components/evse_load_balancer/chargers/charger.py',
  ],
};

/** The integration's constants and defaults. */
export const HASS_EVSE = {
  cycleMs: 1000,
  minUpdateDelayS: 20,
  hysteresisS: 15 * 60,
  settleS: 15,
  tripRiskThreshold: 60,
  riskDecayPerS: 1,
} as const;

/** Trip risk added per second for an availability `availA` < 0 on a phase with limit `maxLimitA`. */
export function tripRiskPerSecond(availA: number, maxLimitA: number, threshold: number = HASS_EVSE.tripRiskThreshold): number {
  const over = Math.abs(availA) / maxLimitA;
  if (over <= 0.13) return threshold / 60;
  if (over <= 0.4) return threshold / 30;
  if (over <= 1.0) return threshold / 10;
  return threshold;
}

/** One phase's trip-risk integrator (`PhaseMonitor`). */
export class PhaseMonitor {
  risk = 0;
  limitA: number;
  private lastS: number | null = null;

  constructor(private readonly maxLimitA: number) {
    this.limitA = maxLimitA;
  }

  update(availA: number, nowS: number): number {
    const elapsed = this.lastS === null ? 0 : nowS - this.lastS;
    if (availA < 0) {
      this.risk += tripRiskPerSecond(availA, this.maxLimitA) * elapsed;
      if (this.risk >= HASS_EVSE.tripRiskThreshold) {
        this.risk = 0;
        this.limitA = availA;
      }
    } else {
      this.risk = Math.max(0, this.risk - HASS_EVSE.riskDecayPerS * elapsed);
      this.limitA = Math.min(this.maxLimitA, availA);
    }
    this.lastS = nowS;
    return this.limitA;
  }
}

export class HassEvsePolicy implements Policy {
  readonly name = 'hass-evse';
  private readonly fuseA: number;
  readonly monitors: PhaseMonitor[];
  private latest: MeterSample | null = null;
  private nextCycleMs: number | null = null;
  /** Allocator state: the requested current, the last applied one and when (s). */
  private requestedA: number | null = null;
  private lastAppliedA = 0;
  private lastAppliedS = 0;
  /** Coordinator: time of the last write (s), null before the first. */
  private lastWriteS: number | null = null;
  private writtenA: number | null = null;
  private readonly out = new ChargerOutput();

  constructor(ctx: PolicyContext) {
    this.fuseA = ctx.fuseA - ctx.marginA;
    this.monitors = [0, 1, 2].map(() => new PhaseMonitor(this.fuseA));
  }

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    if (sample) this.latest = sample;
    this.nextCycleMs ??= nowMs;
    if (nowMs < this.nextCycleMs) return [];
    while (this.nextCycleMs <= nowMs) this.nextCycleMs += HASS_EVSE.cycleMs;
    const latest = this.latest;
    if (!latest || latest.currentsA.some((a) => a === null)) return [];
    const ch = chargers[0];
    // `_should_check_charger`: nothing is balanced (nor integrated) while no car can charge.
    if (!ch.carConnected) return [];
    const nowS = nowMs / 1000;
    const phaseLimits = latest.currentsA.map((a, p) => this.monitors[p].update(Math.min(this.fuseA, Math.floor(this.fuseA - a!)), nowS));
    const newA = this.allocate(ch, phaseLimits, nowS);
    if (newA === null || !this.mayUpdate(newA, this.reportedA(ch), nowS)) return [];
    this.lastWriteS = nowS;
    this.lastAppliedA = newA;
    this.lastAppliedS = nowS;
    this.writtenA = newA;
    return this.out.apply(ch, newA >= ch.minCurrentA, newA, `hass-evse: ${newA} A`);
  }

  /** The charger's limit as it reports it: a paused charger reports what it was told if that was below the minimum, else 0. */
  private reportedA(ch: ChargerInput): number {
    if (ch.paused) return this.writtenA !== null && this.writtenA < ch.minCurrentA ? this.writtenA : 0;
    return ch.currentLimitA ?? ch.maxCurrentA;
  }

  /** power_allocator.py for one synced charger: the new limit, or null when nothing changes. */
  private allocate(ch: ChargerInput, phaseLimits: number[], nowS: number): number | null {
    if (this.requestedA === null) {
      this.requestedA = this.reportedA(ch);
      this.lastAppliedA = this.requestedA;
    }
    const settingA = nowS - this.lastAppliedS < HASS_EVSE.settleS ? this.lastAppliedA : this.reportedA(ch);
    if (settingA !== this.lastAppliedA) {
      // detect_manual_override: someone else changed the limit; it becomes the request.
      this.requestedA = settingA;
      this.lastAppliedA = settingA;
    }
    let touched = false;
    const perPhase = phaseLimits.map((limitA) => {
      if (limitA < 0) {
        touched = true;
        return Math.max(0, settingA + limitA);
      }
      if (limitA > 0 && this.requestedA! > settingA) {
        touched = true;
        return settingA + Math.trunc(Math.min(limitA, this.requestedA! - settingA));
      }
      return settingA;
    });
    if (!touched) return null;
    const newA = Math.min(...perPhase);
    return newA === settingA ? null : newA;
  }

  /** coordinator.py `_may_update_charger_settings` against the limit the charger reports. */
  private mayUpdate(newA: number, reportedA: number, nowS: number): boolean {
    if (this.lastWriteS === null) return true;
    const sinceS = nowS - this.lastWriteS;
    if (sinceS <= HASS_EVSE.minUpdateDelayS) return false;
    if (newA < reportedA) return true;
    return newA > reportedA && sinceS > HASS_EVSE.hysteresisS;
  }
}
