/**
 * The charging plan as a limit source (lib/limits.ts): for each charger that follows a plan (mode 'planned', or
 * an active plan where the app has no modes), a ceiling of 0 A outside the planned slots ("Plan: next slot 02:15")
 * and none inside them, so the balancer charges as fast as the fuse allows in the cheap slots. Charging at once
 * (no ceiling) when the deadline can no longer be met, or has passed before the target.
 *
 * It learns the household's load profile from every meter sample (minus the chargers' draw), counts each charger's
 * delivered energy from its measured current while that reading is recent (lib/plan/readingAge.ts: a charger whose
 * polls fail keeps its last currents), and makes the plan again when prices, the target, the car's
 * connection or the quarter-hour change (so the progress so far counts). Persisted with getState(); a restart
 * continues the plan with the energy delivered so far and the phases the car drew on (an unplug of the same car keeps
 * them too; a car drawing on another number of phases changes them and the plan).
 *
 * The expected cost has one owner: the plan. status() gives it to the cent, and 'planChanged' fires whenever that
 * figure or the slots change, so the trigger and the view always show the same number.
 */
import { GRID_PHASES, type ChargerInput, type MeterSample, type Triple } from '../balancer/types';
import type { ChargerLimit, ChargingMode, LimitSource } from '../limits';
import { makePlan, nextSlotAfter, slotAt, type Plan, type PlanSlot } from './planner';
import { mergePrices, type PriceSlot } from './prices';
import { LoadProfile, type LoadProfileState } from './profile';
import { ReadingAge } from './readingAge';
import { DateTime } from 'luxon';

/** Energy to add, or a state of charge to reach (battery size and the current state of charge from the car). */
export type PlanTarget = { energyKWh: number } | { socPct: number; batteryKWh: number; currentSocPct: number };

export interface PlanSettings {
  fuseA: number;
  marginA: number;
  voltageV?: number;
  capKW?: number | null;
  /** Share of the expected power the plan counts on (default 0.9). */
  safetyFactor?: number;
}

export interface PlanChargerState {
  target: PlanTarget;
  /** Wall clock (ms). */
  deadlineMs: number;
  /** Started (for an app without modes; with modes, mode 'planned' runs it). */
  active: boolean;
  /** Energy drawn since the target was set (Wh). */
  deliveredWh: number;
  connected: boolean;
  /**
   * Grid phases (0..2) the car was last seen drawing on, kept across a restart and an unplug of the car within this
   * plan (absent: not seen yet; the plan counts on one phase until it is). A new target takes the phases the car
   * plugged in now was seen drawing on (none after an unplug), and they are updated when the car draws on another
   * number of phases.
   */
  drawPhases?: number[];
}

export interface PlanLimitState {
  version: 1;
  chargers: Record<string, PlanChargerState>;
  prices: PriceSlot[];
  profile?: LoadProfileState;
}

/** `expectedCost` is status().expectedCost (to the cent). */
export type PlanEvent = { type: 'planChanged'; id: string; nextSlotStartMs: number | null; expectedCost: number; feasible: boolean; plan: Plan };

export type PlanPhase = 'idle' | 'waiting' | 'charging' | 'fallback' | 'done' | 'missed';

export interface PlanStatus {
  plan: Plan | null;
  deliveredKWh: number;
  neededKWh: number;
  charging: boolean;
  nextSlot: PlanSlot | null;
  phase: PlanPhase;
  reason: string;
  /** A target is set (`idle` without one: no plan at all). */
  hasTarget: boolean;
  /**
   * The cost the plan expects for the energy still to charge (price units, to the cent); null without a plan. The one
   * figure the view and the trigger "plan changed" show: the trigger fires whenever it changes.
   */
  expectedCost: number | null;
}

/** Charge efficiency assumed for a state-of-charge target: energy at the charger = energy into the battery / this. */
export const SOC_CHARGE_EFFICIENCY = 0.9;
export const DEFAULT_SAFETY_FACTOR = 0.9;
const DEFAULT_VOLTAGE_V = 230;
/** The expected cost as the plan announces it: to the cent. */
export function roundCost(cost: number): number {
  return Math.round(cost * 100) / 100;
}

/** Grid phases from a stored state: whole numbers 0..2, one to three of them, no repeats; else null. */
function validPhases(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length < 1 || v.length > 3) return null;
  const ok = v.every((g) => Number.isInteger(g) && g >= 0 && g <= 2) && new Set(v).size === v.length;
  return ok ? [...(v as number[])] : null;
}

/** A longer gap between two steps (a restart, a stall) is not counted as charging (ms). */
const MAX_STEP_MS = 120_000;
const QUARTER_MS = 15 * 60_000;

interface Runtime {
  plan: Plan | null;
  dirty: boolean;
  lastInput: ChargerInput | null;
  /** Grid phases the car plugged in now was seen drawing on; cleared whenever no car is connected. */
  drawPhases: number[] | null;
  planKey: string;
  /** How long the charger's reading counts toward the delivered energy (lib/plan/readingAge.ts). */
  readings: ReadingAge;
}

export function targetEnergyWh(t: PlanTarget): number {
  if ('energyKWh' in t) return Math.max(0, t.energyKWh * 1000);
  return Math.max(0, ((t.socPct - t.currentSocPct) / 100) * t.batteryKWh * 1000) / SOC_CHARGE_EFFICIENCY;
}

/** The targets a flow card may set: each field's range, as checkTarget enforces and states it. */
export const TARGET_LIMITS = {
  energyKWh: { field: 'energy', min: 0, minIncluded: false, max: 200, unit: 'kWh' },
  batteryKWh: { field: 'battery size', min: 1, minIncluded: true, max: 250, unit: 'kWh' },
  socPct: { field: 'target state of charge', min: 0, minIncluded: true, max: 100, unit: '%' },
  currentSocPct: { field: 'current state of charge', min: 0, minIncluded: true, max: 100, unit: '%' },
} as const;

/** One line naming the field and the range it enforces when `v` is not a finite number in it, else null. */
function checkField(v: unknown, lim: (typeof TARGET_LIMITS)[keyof typeof TARGET_LIMITS]): string | null {
  const ok = typeof v === 'number' && Number.isFinite(v) && (lim.minIncluded ? v >= lim.min : v > lim.min) && v <= lim.max;
  if (ok) return null;
  const range = lim.minIncluded ? `a number from ${lim.min} to ${lim.max} ${lim.unit}` : `a number above ${lim.min}, at most ${lim.max} ${lim.unit}`;
  const got = typeof v === 'string' ? `"${v.slice(0, 20)}"` : v === undefined ? 'nothing' : String(v);
  return `${lim.field}: expected ${range}, got ${got}`;
}

/** One line for a bad target, or null. */
export function checkTarget(t: PlanTarget, deadlineMs: number, nowMs: number): string | null {
  if (!Number.isFinite(deadlineMs) || deadlineMs <= nowMs) return 'deadline: expected a time in the future';
  if (typeof t !== 'object' || t === null) return 'target: expected an energy (kWh) or a state of charge to reach';
  if ('energyKWh' in t) return checkField(t.energyKWh, TARGET_LIMITS.energyKWh);
  for (const key of ['batteryKWh', 'socPct', 'currentSocPct'] as const) {
    const bad = checkField(t[key], TARGET_LIMITS[key]);
    if (bad) return bad;
  }
  return null;
}

export class PlanLimitSource implements LimitSource {
  readonly id = 'plan';
  readonly profile: LoadProfile;
  private readonly chargers = new Map<string, PlanChargerState>();
  private readonly runtime = new Map<string, Runtime>();
  private prices: PriceSlot[] = [];
  private lastNowMs: number | null = null;
  private lastWallMs: number | null = null;
  private lastQuarter: number | null = null;

  constructor(
    private readonly opts: {
      modeOf?: (id: string) => ChargingMode | null | undefined;
      timeZone: string;
      state?: PlanLimitState | null;
      onEvent?: (e: PlanEvent) => void;
      settings?: () => PlanSettings;
      profile?: LoadProfile;
    },
  ) {
    const st = opts.state && opts.state.version === 1 ? opts.state : null;
    this.profile = opts.profile ?? new LoadProfile({ timeZone: opts.timeZone, state: st?.profile ?? null });
    if (st) {
      for (const [id, c] of Object.entries(st.chargers ?? {})) {
        const { drawPhases, ...rest } = c;
        const phases = validPhases(drawPhases);
        this.chargers.set(id, phases ? { ...rest, drawPhases: phases } : rest);
      }
      this.prices = Array.isArray(st.prices) ? st.prices.filter((p) => Number.isFinite(p.startMs) && Number.isFinite(p.price)) : [];
    }
  }

  /** A new target and deadline: the energy is counted from now on. Returns one line when it is bad, else null. */
  setTarget(id: string, target: PlanTarget, deadlineMs: number): string | null {
    const bad = checkTarget(target, deadlineMs, this.lastWallMs ?? -Infinity);
    if (bad) return bad;
    const old = this.chargers.get(id);
    // only the phases the car plugged in now was seen drawing on (not a previous car's, nor a previous plan's)
    const phases = this.runtime.get(id)?.drawPhases;
    const next: PlanChargerState = { target, deadlineMs, active: old?.active ?? false, deliveredWh: 0, connected: old?.connected ?? false };
    this.chargers.set(id, phases ? { ...next, drawPhases: [...phases] } : next);
    this.touch(id);
    return null;
  }

  /** Start following the plan (an app without modes; with modes, mode 'planned' does this). */
  start(id: string): string | null {
    const st = this.chargers.get(id);
    if (!st) return 'no target yet: set a target and a deadline first';
    st.active = true;
    this.touch(id);
    return null;
  }

  /** Forget the plan and its target. */
  cancel(id: string): void {
    this.chargers.delete(id);
    const rt = this.runtime.get(id);
    if (rt) {
      rt.plan = null;
      rt.planKey = '';
    }
  }

  /** Newly arrived prices (merged with the known ones: a new slot replaces what it overlaps). */
  setPrices(slots: readonly PriceSlot[]): void {
    const keepAfter = (this.lastWallMs ?? 0) - 24 * 3600_000;
    this.prices = mergePrices(this.prices, slots).filter((s) => s.endMs > keepAfter);
    for (const id of this.chargers.keys()) this.touch(id);
  }

  knownPrices(): readonly PriceSlot[] {
    return this.prices;
  }

  observe(nowMs: number, wallMs: number, sample: MeterSample | null, chargers: readonly ChargerInput[]): void {
    const dtMs = this.lastNowMs === null ? 0 : Math.min(MAX_STEP_MS, Math.max(0, nowMs - this.lastNowMs));
    this.lastNowMs = nowMs;
    this.lastWallMs = wallMs;
    const quarter = Math.floor(wallMs / QUARTER_MS);
    const newQuarter = this.lastQuarter !== null && quarter !== this.lastQuarter;
    this.lastQuarter = quarter;
    if (sample) this.profile.observe(wallMs, houseWithoutChargers(sample, chargers));
    for (const input of chargers) this.observeCharger(input, nowMs, dtMs, wallMs, newQuarter);
  }

  private observeCharger(input: ChargerInput, nowMs: number, dtMs: number, wallMs: number, newQuarter: boolean): void {
    const rt = this.rt(input.id);
    rt.lastInput = input;
    // only a recent reading counts: a charger whose polls fail keeps its last currents (the car may be gone)
    const countedMs = rt.readings.freshMs(input.measuredAtMs, nowMs, dtMs, input.latencyClass);
    // no car: the phases seen belonged to the car that left (with or without a plan)
    if (!input.carConnected) rt.drawPhases = null;
    const drawA = input.measuredA.map((a) => (a !== null && Number.isFinite(a) ? Math.max(0, a) : 0));
    const drawing = drawA.map((a, k) => (a >= 1 && input.phaseMap[k] ? GRID_PHASES.indexOf(input.phaseMap[k]!) : -1)).filter((g) => g >= 0);
    const st = this.chargers.get(input.id);
    if (drawing.length > 0 && input.carConnected) {
      rt.drawPhases = drawing;
      // the plan keeps the car's phases; another number of them (another car, a switch) changes the plan
      if (st && st.drawPhases?.length !== drawing.length) {
        st.drawPhases = drawing;
        rt.dirty = true;
      }
    }
    if (!st) return;
    const v = this.settings().voltageV ?? DEFAULT_VOLTAGE_V;
    if (!this.isDone(st)) st.deliveredWh += (drawA.reduce((s, a) => s + a, 0) * v * countedMs) / 3_600_000;
    if (input.carConnected !== st.connected) {
      st.connected = input.carConnected;
      if (!input.carConnected && (this.isDone(st) || wallMs >= st.deadlineMs)) {
        this.cancel(input.id);
        return;
      }
      rt.dirty = true;
    }
    if (newQuarter) rt.dirty = true;
    if (rt.dirty) this.replan(input.id, wallMs);
  }

  charger(nowMs: number, input: ChargerInput): ChargerLimit | null {
    if (!this.governs(input.id)) return null;
    const st = this.chargers.get(input.id);
    if (!st) return { maxA: 0, reason: 'Plan: no target set' };
    const s = this.status(input.id, nowMs);
    switch (s.phase) {
      case 'done':
        return { maxA: 0, reason: s.reason };
      case 'charging':
      case 'fallback':
      case 'missed':
      case 'idle':
        return null;
      case 'waiting':
        return { maxA: 0, reason: s.reason };
    }
  }

  /** Whether this charger follows a plan now. */
  governs(id: string): boolean {
    const mode = this.opts.modeOf?.(id);
    if (this.opts.modeOf && mode !== undefined && mode !== null) return mode === 'planned';
    return this.chargers.get(id)?.active === true;
  }

  status(id: string, nowMs?: number): PlanStatus {
    const st = this.chargers.get(id);
    const plan = this.runtime.get(id)?.plan ?? null;
    const wall = this.wallAt(nowMs);
    const none: PlanStatus = { plan: null, deliveredKWh: 0, neededKWh: 0, charging: false, nextSlot: null, phase: 'idle', reason: 'Plan: none', hasTarget: false, expectedCost: null };
    if (!st) return none;
    const deliveredKWh = st.deliveredWh / 1000;
    const neededKWh = Math.max(0, targetEnergyWh(st.target) - st.deliveredWh) / 1000;
    const expectedCost = plan ? roundCost(plan.expectedCost) : null;
    const base = { plan, deliveredKWh, neededKWh, nextSlot: wall === null ? null : nextSlotAfter(plan, wall), hasTarget: true, expectedCost };
    if (this.isDone(st)) return { ...base, charging: false, phase: 'done', reason: `Plan: target reached (${deliveredKWh.toFixed(1)} kWh)` };
    if (wall !== null && wall >= st.deadlineMs) return { ...base, charging: true, phase: 'missed', reason: 'Plan: the deadline passed before the target: charging now' };
    if (!plan) return { ...base, charging: false, phase: 'idle', reason: 'Plan: waiting for the first reading' };
    if (!plan.feasible) return { ...base, charging: true, phase: 'fallback', reason: plan.reason };
    if (wall !== null && slotAt(plan, wall)) return { ...base, charging: true, phase: 'charging', reason: plan.reason };
    const next = base.nextSlot;
    const reason = next ? `Plan: waiting for the ${this.clock(next.startMs)} slot` : 'Plan: no slot left before the deadline';
    return { ...base, charging: false, phase: 'waiting', reason };
  }

  getState(): PlanLimitState {
    const chargers: Record<string, PlanChargerState> = {};
    for (const [id, c] of this.chargers) chargers[id] = { ...c, deliveredWh: Math.round(c.deliveredWh) };
    const after = (this.lastWallMs ?? 0) - 3600_000;
    return { version: 1, chargers, prices: this.prices.filter((p) => p.endMs > after), profile: this.profile.getState() };
  }

  private settings(): PlanSettings {
    return this.opts.settings?.() ?? { fuseA: 25, marginA: 1 };
  }

  private isDone(st: PlanChargerState): boolean {
    return st.deliveredWh >= targetEnergyWh(st.target) - 1;
  }

  private rt(id: string): Runtime {
    let rt = this.runtime.get(id);
    if (!rt) {
      rt = { plan: null, dirty: true, lastInput: null, drawPhases: null, planKey: '', readings: new ReadingAge() };
      this.runtime.set(id, rt);
    }
    return rt;
  }

  private touch(id: string): void {
    const rt = this.rt(id);
    rt.dirty = true;
    if (this.lastWallMs !== null && rt.lastInput) this.replan(id, this.lastWallMs);
  }

  private wallAt(nowMs?: number): number | null {
    if (this.lastWallMs === null) return null;
    return nowMs === undefined || this.lastNowMs === null ? this.lastWallMs : this.lastWallMs + (nowMs - this.lastNowMs);
  }

  private clock(ms: number): string {
    return DateTime.fromMillis(ms, { zone: this.opts.timeZone }).toFormat('HH:mm');
  }

  private replan(id: string, wallMs: number): void {
    const rt = this.rt(id);
    const st = this.chargers.get(id);
    rt.dirty = false;
    if (!st || !rt.lastInput || this.isDone(st) || wallMs >= st.deadlineMs) return;
    const input = rt.lastInput;
    const set = this.settings();
    const mapped = input.phaseMap.map((p) => (p ? GRID_PHASES.indexOf(p) : -1)).filter((g) => g >= 0);
    // the phases the car drew on in this plan (kept across a restart or unplug), else what the charger shows now; until
    // the car has drawn, assume one phase (the lower power: more slots, the deadline safe)
    const gridPhases = st.drawPhases ?? rt.drawPhases ?? [mapped.length ? mapped[0] : 0];
    const plan = makePlan({
      nowMs: wallMs,
      deadlineMs: st.deadlineMs,
      energyWh: targetEnergyWh(st.target) - st.deliveredWh,
      slots: this.prices,
      chargerPhases: gridPhases.length === 1 ? 1 : 3,
      gridPhases,
      minA: input.minCurrentA,
      maxA: input.maxCurrentA,
      fuseA: set.fuseA,
      marginA: set.marginA,
      voltageV: set.voltageV ?? DEFAULT_VOLTAGE_V,
      expectedHouseA: (ms) => this.profile.expectedHouseA(ms),
      capKW: set.capKW ?? null,
      safetyFactor: set.safetyFactor ?? DEFAULT_SAFETY_FACTOR,
      timeZone: this.opts.timeZone,
    });
    rt.plan = plan;
    // the slots, or the expected cost as status() shows it: the trigger never lags behind the view
    const expectedCost = roundCost(plan.expectedCost);
    const key = `${plan.feasible}|${plan.slots.map((s) => `${s.startMs}-${s.endMs}`).join(',')}|${expectedCost}`;
    if (key !== rt.planKey) {
      rt.planKey = key;
      const next = plan.slots.find((s) => s.endMs > wallMs) ?? null;
      this.opts.onEvent?.({ type: 'planChanged', id, nextSlotStartMs: next ? Math.max(next.startMs, wallMs) : null, expectedCost, feasible: plan.feasible, plan });
    }
  }
}

/** The house's current per grid phase without any charger's measured draw. */
export function houseWithoutChargers(sample: MeterSample, chargers: readonly ChargerInput[]): Triple<number | null> {
  const out = [...sample.currentsA] as Triple<number | null>;
  for (const ch of chargers) {
    ch.phaseMap.forEach((p, k) => {
      const g = p ? GRID_PHASES.indexOf(p) : -1;
      const a = ch.measuredA[k];
      if (g >= 0 && out[g] !== null && a !== null && Number.isFinite(a)) out[g] = (out[g] as number) - a;
    });
  }
  return out;
}
