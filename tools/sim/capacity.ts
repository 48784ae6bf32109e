/**
 * The capacity cap in the simulator (issue 13): `--cap-kw X --cap-period 15|60 --cap-rule …`.
 *
 * - `CapacityMeter` measures every policy's run per wall-clock period (household + car at the meter, 230 V per
 *   phase, import only): periods over the cap, those of them where the house alone stayed under it, the highest
 *   period average. Only whole periods count (the trace's last, partial one does not).
 * - `balancer` under a cap is our balancer fed the `CapacityGuard` through the same `LimitSource` path as the app
 *   (guard.observe, then balancer.step with guard.site()).
 * - `pels` is a PELS-like hourly budget (olemarkus/com.barelysufficient.pels, docs/technical.md at 4f019a6, "Capacity
 *   Budget Model"; docs/ev-charger.md at 169b905: PELS hands the charger a current): soft limit = min(remaining
 *   budget / time left, budget) with budget = cap − 0.2 kW; the car gets what the soft limit leaves above the rest of
 *   the house, in whole amps, off below its minimum; after a cut it waits 60 s before raising, after a raise 30 s.
 *   Both read the meter's power (as PELS reads a Homey power meter), see `withMeterPower`.
 *   PELS has no per-phase fuse: it does not protect the fuse.
 * - `idealUnderCapKWh` is the energy bound under the cap: per period it knows the household in advance and fills
 *   the budget (a water level over the period, the car between its minimum and the fuse headroom, never below its
 *   minimum), acting at once: the best any policy can do under the cap.
 * The other peers have no period cap in their real counterparts and run as without one (docs/capacity.md says why).
 */
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type BalancerCommand, type BalancerConfig, type ChargerInput, type MeterSample, type Triple } from '../../lib/balancer/types';
import { CapacityGuard } from '../../lib/capacity/guard';
import { periodAt } from '../../lib/capacity/period';
import { CAPACITY_RULES, type CapacityConfig, type CapacityRule } from '../../lib/capacity/types';
import type { Policy, PolicyContext, PolicyStep } from './policies';
import type { PolicyMetrics, Scenario } from './simulate';
import { SIM_START } from './models';
import { TraceCursor } from './trace';

/** Volts per phase (as simulate.ts). */
const V = 230;

export interface CapacitySim {
  capKW: number;
  periodMin: 15 | 60;
  rule: CapacityRule;
  timeZone: string;
  /** Wall time of the plug-in (the trace's first row); default a Monday 17:00 in January, on a period boundary. */
  startWallMs: number;
  sePeakCount?: number;
  seWeekdayDaytimeOnly?: boolean;
}

export const DEFAULT_CAP_ZONE = 'Europe/Brussels';
/** 2025-01-13 17:00 in Brussels (CET, +01:00): a weekday evening, on an hour boundary. */
export const DEFAULT_CAP_START_MS = Date.UTC(2025, 0, 13, 16, 0, 0);

export function capacitySim(capKW: number, periodMin: 15 | 60 = 15, rule: CapacityRule = 'fixed'): CapacitySim {
  return { capKW, periodMin, rule, timeZone: DEFAULT_CAP_ZONE, startWallMs: DEFAULT_CAP_START_MS };
}

export function guardConfig(c: CapacitySim): CapacityConfig {
  return { rule: c.rule, capKW: c.capKW, periodMin: c.periodMin, timeZone: c.timeZone, sePeakCount: c.sePeakCount, seWeekdayDaytimeOnly: c.seWeekdayDaytimeOnly };
}

/** What a run adds to its metrics under a cap. */
export interface CapacityMetrics {
  capKW: number;
  periodMin: number;
  /** Whole periods measured. */
  periods: number;
  /** Periods whose average import (house + car) exceeded the cap. */
  periodsOverCap: number;
  /** Of those, the periods where the house without the EV stayed under the cap (the guard's to prevent). */
  periodsOverCapHouseUnder: number;
  maxPeriodAverageKW: number;
  /** The car's energy in whole periods (kWh). */
  periodEnergyKWh: number;
}

/** Per wall-clock period: import (house + car) and the house's own import, from the plug-in on. */
export class CapacityMeter {
  private period: { startMs: number; endMs: number; importWs: number; houseWs: number; carWs: number; coveredS: number } | null = null;
  private readonly closed: { averageKW: number; houseKW: number; carKWh: number }[] = [];

  constructor(private readonly cap: CapacitySim) {}

  add(traceS: number, stepS: number, houseA: Triple<number>, householdA: Triple<number>, carW: number): void {
    const wallMs = this.cap.startWallMs + traceS * 1000;
    if (!this.period || wallMs >= this.period.endMs) {
      if (this.period) this.close();
      this.period = { ...periodAt(wallMs, this.cap.periodMin, this.cap.timeZone), importWs: 0, houseWs: 0, carWs: 0, coveredS: 0 };
    }
    const sum = (a: Triple<number>): number => (a[0] + a[1] + a[2]) * V;
    this.period.importWs += Math.max(0, sum(houseA)) * stepS;
    this.period.houseWs += Math.max(0, sum(householdA)) * stepS;
    this.period.carWs += carW * stepS;
    this.period.coveredS += stepS;
  }

  /** Counts the period when the run covered all of it. */
  private close(): void {
    const p = this.period!;
    const s = (p.endMs - p.startMs) / 1000;
    if (p.coveredS >= s - 0.5) this.closed.push({ averageKW: p.importWs / s / 1000, houseKW: p.houseWs / s / 1000, carKWh: p.carWs / 3.6e6 });
  }

  result(): CapacityMetrics {
    if (this.period) this.close();
    this.period = null;
    const over = this.closed.filter((c) => c.averageKW > this.cap.capKW + 1e-9);
    return {
      capKW: this.cap.capKW,
      periodMin: this.cap.periodMin,
      periods: this.closed.length,
      periodsOverCap: over.length,
      periodsOverCapHouseUnder: over.filter((c) => c.houseKW <= this.cap.capKW).length,
      maxPeriodAverageKW: this.closed.reduce((m, c) => Math.max(m, c.averageKW), 0),
      periodEnergyKWh: this.closed.reduce((e, c) => e + c.carKWh, 0),
    };
  }
}

/**
 * The reading with the power a P1 meter reports next to its currents (DSMR `power_delivered` per phase, HomeWizard
 * `active_power_w`, Homey `measure_power`: W resolution), which the simulator's meter model leaves out: its currents
 * are whole amps, and Σ whole amps × 230 V is off by up to 0.5 A per phase (on the hass-evse trace 157 W low on
 * average). The power is the load at the reading's instant (house + car), nothing later: null between readings.
 */
export function withMeterPower(sample: MeterSample | null, householdA: Triple<number>, chargers: readonly ChargerInput[]): (MeterSample & { powerW: number }) | null {
  if (!sample) return null;
  let amps = householdA[0] + householdA[1] + householdA[2];
  for (const ch of chargers) for (const a of ch.measuredA) amps += a ?? 0;
  return { ...sample, powerW: Math.round(amps * V) };
}

/** Our balancer with the capacity guard as a limit source, as the controller wires it. */
export class CappedBalancerPolicy implements Policy {
  readonly name = 'balancer';
  readonly guard: CapacityGuard;
  private readonly balancer: Balancer;

  constructor(ctx: PolicyContext, private readonly cap: CapacitySim, private readonly plugInAfterS: number, balancer?: Partial<BalancerConfig>) {
    this.balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: ctx.fuseA, marginA: ctx.marginA, ...ctx.balancer, ...balancer }, SIM_START);
    this.guard = new CapacityGuard(guardConfig(cap));
  }

  step({ nowMs, sample, chargers, householdA }: PolicyStep): BalancerCommand[] {
    const wallMs = this.cap.startWallMs + nowMs - this.plugInAfterS * 1000;
    this.guard.observe(nowMs, wallMs, withMeterPower(sample, householdA, chargers), chargers);
    return this.balancer.step(nowMs, sample, chargers, this.guard.site(nowMs)).commands;
  }
}

/** PELS's documented soft limit (docs/technical.md at 4f019a6) driving a charger's current (docs/ev-charger.md). */
export const PELS = { marginKW: 0.2, shedCooldownS: 60, restoreCooldownS: 30 } as const;

export class PelsLikePolicy implements Policy {
  readonly name = 'pels';
  private periodEndMs = -Infinity;
  private usedWh = 0;
  private lastMs: number | null = null;
  private lastW = 0;
  private setpointA: number | null = null;
  private noRaiseUntilMs = 0;

  constructor(private readonly ctx: PolicyContext, private readonly cap: CapacitySim, private readonly plugInAfterS: number) {}

  step({ nowMs, sample, chargers, householdA }: PolicyStep): BalancerCommand[] {
    const wallMs = this.cap.startWallMs + nowMs - this.plugInAfterS * 1000;
    if (this.lastMs !== null) this.usedWh += (Math.max(0, this.lastW) * (nowMs - this.lastMs)) / 3.6e6;
    this.lastMs = nowMs;
    if (wallMs >= this.periodEndMs) {
      const p = periodAt(wallMs, this.cap.periodMin, this.cap.timeZone);
      this.periodEndMs = p.endMs;
      this.usedWh = 0;
    }
    const reading = withMeterPower(sample, householdA, chargers);
    if (!reading) return [];
    const houseW = reading.powerW;
    this.lastW = houseW;
    const ch = chargers[0];
    const phases = this.ctx.carGridPhases.length;
    const evW = ch.measuredA.reduce<number>((s, a) => s + (a ?? 0), 0) * V;
    const budgetKW = this.cap.capKW - PELS.marginKW;
    const leftH = Math.max(1, this.periodEndMs - wallMs) / 3.6e6;
    const softW = Math.min(((budgetKW * this.cap.periodMin) / 60 * 1000 - this.usedWh) / leftH, budgetKW * 1000);
    const wantA = Math.floor((softW - (houseW - evW)) / (V * phases));
    const target = wantA < ch.minCurrentA ? 0 : Math.min(ch.maxCurrentA, wantA);
    const current = this.setpointA ?? (ch.paused ? 0 : (ch.currentLimitA ?? ch.maxCurrentA));
    if (target === current || !ch.carConnected) return [];
    if (target > current && nowMs < this.noRaiseUntilMs) return [];
    this.noRaiseUntilMs = nowMs + (target < current ? PELS.shedCooldownS : PELS.restoreCooldownS) * 1000;
    this.setpointA = target;
    const reason = 'PELS-like hourly budget';
    if (target === 0) return [{ type: 'pause', chargerId: ch.id, reason }];
    if (current === 0) return [{ type: 'resume', chargerId: ch.id, currentA: target, reason }];
    return [{ type: 'setCurrentLimit', chargerId: ch.id, currentA: target, reason }];
  }
}

/** The policy that runs under a cap for `name`, or null to run the policy as without one. */
export function cappedPolicy(scenario: Scenario, name: string, ctx: PolicyContext): Policy | null {
  const cap = scenario.capacity;
  if (!cap || !Number.isFinite(cap.capKW)) return null;
  if (name === 'balancer') return new CappedBalancerPolicy(ctx, cap, scenario.plugInAfterS ?? 0);
  if (name === 'pels') return new PelsLikePolicy(ctx, cap, scenario.plugInAfterS ?? 0);
  return null;
}

/** The car's energy bound under the cap (kWh, whole periods only): knows each period's household in advance. */
export function idealUnderCapKWh(scenario: Scenario): number {
  const cap = scenario.capacity;
  if (!cap) return 0;
  const stepS = scenario.stepS ?? 1;
  const cursor = new TraceCursor(scenario.trace);
  const phases = scenario.car.phases === 3 ? [0, 1, 2] : [['L1', 'L2', 'L3'].indexOf(scenario.car.phase ?? 'L1')];
  const minA = scenario.car.minA ?? 6;
  let total = 0;
  let t = 0;
  while (t < scenario.trace.durationS) {
    const p = periodAt(cap.startWallMs + t * 1000, cap.periodMin, cap.timeZone);
    const endS = (p.endMs - cap.startWallMs) / 1000;
    if (endS > scenario.trace.durationS + 1e-9) break;
    const house: Triple<number>[] = [];
    for (let s = t; s < endS - 1e-9; s += stepS) house.push(cursor.at(s));
    total += fillPeriod(house, stepS, (cap.capKW * 1000 * (endS - t)) / 3600, phases, minA, scenario.car.maxA, scenario.fuseA);
    t = endS;
  }
  return total / 1000;
}

/** Water-filling of one period: the highest level whose import stays within `budgetWh`; returns the car's Wh. */
function fillPeriod(house: Triple<number>[], stepS: number, budgetWh: number, phases: number[], minA: number, maxA: number, fuseA: number): number {
  const n = phases.length;
  const carA = (h: Triple<number>, levelW: number): number => {
    const rest = (h[0] + h[1] + h[2]) * V;
    const room = Math.min(maxA, ...phases.map((g) => fuseA - h[g]));
    const a = Math.min(room, (levelW - rest) / (V * n));
    return a >= minA ? a : 0;
  };
  const run = (levelW: number): { importWh: number; carWh: number } => {
    let importWh = 0;
    let carWh = 0;
    for (const h of house) {
      const c = carA(h, levelW) * V * n;
      importWh += (Math.max(0, (h[0] + h[1] + h[2]) * V + c) * stepS) / 3600;
      carWh += (c * stepS) / 3600;
    }
    return { importWh, carWh };
  };
  let lo = -50_000;
  let hi = 100_000;
  if (run(lo).importWh > budgetWh) return run(lo).carWh;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (run(mid).importWh <= budgetWh) lo = mid;
    else hi = mid;
  }
  return run(lo).carWh;
}

/** `--cap-kw`, `--cap-period`, `--cap-rule` → the scenario's cap (undefined without --cap-kw); errors name the flag. */
export function capacityFromFlags(flags: Record<string, unknown>, fail: (flag: string, why: string) => Error): CapacitySim | undefined {
  const kw = flags['cap-kw'] as number | undefined;
  if (kw === undefined) {
    for (const f of ['cap-period', 'cap-rule']) if (flags[f] !== undefined) throw fail(`--${f}`, 'needs --cap-kw');
    return undefined;
  }
  if (!(Number.isFinite(kw) && kw > 0)) throw fail('--cap-kw', `must be a positive number of kW, got ${kw}`);
  const period = (flags['cap-period'] as number | undefined) ?? 15;
  if (period !== 15 && period !== 60) throw fail('--cap-period', `must be 15 or 60 (minutes), got ${period}`);
  const rule = ((flags['cap-rule'] as string | undefined) ?? 'fixed') as CapacityRule;
  if (!CAPACITY_RULES.includes(rule) || rule === 'off') throw fail('--cap-rule', `must be one of fixed, month-peak, no-steps, se-peaks, got "${rule}"`);
  return capacitySim(kw, period, rule);
}

/** The capacity flags for the CLI's flag spec. */
export const CAPACITY_FLAGS = { 'cap-kw': 'number', 'cap-period': 'number', 'cap-rule': 'string' } as const;

/** The `--json` fields a capped run adds per policy. */
export function capacityJson(m: CapacityMetrics | undefined): Record<string, number> {
  if (!m) return {};
  return {
    periodsOverCap: m.periodsOverCap,
    periodsOverCapHouseUnder: m.periodsOverCapHouseUnder,
    maxPeriodAverageKW: Math.round(m.maxPeriodAverageKW * 1000) / 1000,
    capacityPeriods: m.periods,
  };
}

/** The PELS-like baseline's run of a capped scenario (the CLI adds it as a row; the other policies are by name). */
export function runPelsLike(scenario: Scenario, run: (s: Scenario, p: Policy) => PolicyMetrics, carGridPhases: number[]): PolicyMetrics {
  return run(scenario, new PelsLikePolicy({ fuseA: scenario.fuseA, marginA: scenario.marginA, carGridPhases }, scenario.capacity!, scenario.plugInAfterS ?? 0));
}

export const CAPACITY_USAGE = '[--cap-kw KW [--cap-period 15|60] [--cap-rule fixed|month-peak|no-steps|se-peaks]]';
