/**
 * Solar charging in the simulator: one car behind one charger on a trace with export (tools/sim/solarTrace.ts),
 * the balancer with a solar ceiling per charger — ours (lib/solar `SolarLimitSource`, as the controller applies
 * a LimitSource) or the evcc-like PV baseline (peers/evccPv.ts) — in mode fast, min+solar or solar, with or
 * without go-e phase switching (the charger pauses, waits `PHASE_SWITCH_S`, and the car resumes on the new phase
 * count after its start delay; at most `MAX_PHASE_SWITCHES_PER_HOUR`).
 *
 * Per policy: `solarToCarKWh` (the car's energy covered by export at that moment: the house nets its phases),
 * `gridToCarKWh`, `surplusKWh` (what a zero-latency ideal could have put into the car: each second the best whole-amp
 * current the export allows, ≥ the minimum, ≤ the car's maximum and the fuse, on 3 phases or — with switching —
 * 1 phase), `modeChangesPerHour` (charging ↔ paused), `phaseSwitchesPerHour`, fuse overload and trip stress, and
 * for min+solar the seconds below the minimum while the fuse had room for it.
 */
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type ChargerInput, type MeterSample, type Triple } from '../../lib/balancer/types';
import { MAX_PHASE_SWITCHES_PER_HOUR, PHASE_SWITCH_WAIT_MS } from '../../lib/phaseSwitch';
import type { SolarConfig } from '../../lib/solar/config';
import { SolarLimitSource } from '../../lib/solar/source';
import { UsageError } from '../cli/args';
import { MCB_C_FASTEST, TripStress } from './metrics';
import { SIM_START, CarModel, ChargerModel, MeterModel, CHARGER_LATENCY_CLASS, CHARGER_LATENCY_S, type CarOptions } from './models';
import { EvccPvLimit } from './peers/evccPv';
import { fixedIdealWs, freeIdealWs, idealW, minGapIdealWs, switchLimitedIdealWs, type IdealSeries } from './solarIdeal';
import { phaseRotation, type Scenario } from './simulate';
import { TraceCursor } from './trace';

export type SolarMode = 'fast' | 'min+solar' | 'solar';
export const SOLAR_MODES: readonly SolarMode[] = ['fast', 'min+solar', 'solar'];
export type SolarPolicy = 'balancer' | 'evcc-pv';

/** A phase switch keeps the car from charging this long: our pause and its confirmation (~5 s) + the wait. */
export const PHASE_SWITCH_S = 5 + PHASE_SWITCH_WAIT_MS / 1000;
const VOLTS = 230;

export interface SolarOptions {
  mode: SolarMode;
  phaseSwitching: boolean;
  solarConfig?: Partial<SolarConfig>;
  /** Called each second with the car's power, the export and the 3-phase ideal's power (W): for experiments. */
  onSecond?: (t: number, carW: number, surplusW: number, ideal3W: number) => void;
}

export interface SolarMetrics {
  policy: string;
  mode: SolarMode;
  phaseSwitching: boolean;
  carKWh: number;
  solarToCarKWh: number;
  gridToCarKWh: number;
  surplusKWh: number;
  /** solarToCarKWh / surplusKWh (null without surplus). */
  surplusUsed: number | null;
  /**
   * With switching: the ideal whose phase switches pause it like the firmware's and fall at most
   * `MAX_PHASE_SWITCHES_PER_HOUR` in each clock hour (an upper bound of the rolling-hour ideal; tools/sim/solarIdeal.ts).
   * Without switching: surplusKWh.
   */
  surplusSwitchLimitedKWh: number;
  /** solarToCarKWh / surplusSwitchLimitedKWh. */
  surplusUsedSwitchLimited: number | null;
  /** With switching: the lower bound of the rolling-hour ideal (switches ≥ 3600 / max s apart); without: surplusKWh. */
  surplusMinGapKWh: number;
  /** gridToCarKWh / carKWh (null when the car took nothing). */
  gridShare: number | null;
  modeChangesPerHour: number;
  phaseSwitchesPerHour: number;
  overloadAmpSeconds: number;
  maxOverloadA: number;
  tripStressMcbC: number;
  /**
   * min+solar: seconds the charger offered nothing (below the minimum), outside a phase switch, while the fuse allowed
   * the minimum: on every phase the car draws on, the house left ≥ the minimum + the balancer's resume hysteresis
   * (`resumeHysteresisA`) under fuse − margin for the balancer's whole resume window (`resumeWindowS`), plus the time to
   * see and act on it (meter interval + charger latency + 3 s). A pause the fuse forces, and the balancer's wait after
   * it for that window, are the fuse's and not counted.
   */
  secondsBelowMinWhileFuseAllows: number;
  /** min+solar: seconds the car was held paused by phase switches (the mode's own, counted apart: a contactor cannot switch under load). */
  secondsInPhaseSwitch: number;
  durationHours: number;
}

/** The ceiling a solar controller sets, behind one interface for ours and the baseline. */
interface Ceiling {
  observe(nowMs: number, sample: MeterSample | null, ch: ChargerInput): void;
  maxA(ch: ChargerInput): number | null;
  phaseWish(): 1 | 3 | null;
  notePhases(p: 1 | 3): void;
}

function ceilingFor(policy: SolarPolicy, o: SolarOptions, s: Scenario): Ceiling | null {
  if (o.mode === 'fast') return null;
  const mode = o.mode;
  if (policy === 'evcc-pv') {
    const evcc = new EvccPvLimit(mode, o.phaseSwitching, s.car.phases);
    return { observe: (t, smp, ch) => evcc.observe(t, smp, ch), maxA: () => evcc.maxA(), phaseWish: () => evcc.phaseWish(), notePhases: (p) => evcc.notePhases(p) };
  }
  const src = new SolarLimitSource({ modeOf: () => mode, config: o.solarConfig, canSwitchPhases: () => o.phaseSwitching, fuse: () => ({ fuseA: s.fuseA, marginA: s.marginA }) });
  return {
    observe: (t, smp, ch) => src.observe(t, t, smp, [ch]),
    maxA: (ch) => src.charger(0, ch)?.maxA ?? null,
    phaseWish: () => src.phaseWish('ev'),
    notePhases: (p) => src.notePhases('ev', p),
  };
}

/**
 * Whether the fuse allows a car its minimum at second `t`, as SolarMetrics.secondsBelowMinWhileFuseAllows defines it:
 * the room (fuse − margin − house, on the phases the car draws on) has stayed ≥ the minimum + the balancer's resume
 * hysteresis for its whole resume window, plus `actS` (time to see and act on it).
 */
export class FuseAllowsMinimum {
  private sinceS: number | null = null;
  constructor(private readonly actS: number) {}

  allows(t: number, roomA: number, minA: number): boolean {
    this.sinceS = roomA >= minA + DEFAULT_BALANCER_CONFIG.resumeHysteresisA ? (this.sinceS ?? t) : null;
    return this.sinceS !== null && t - this.sinceS >= DEFAULT_BALANCER_CONFIG.resumeWindowS + this.actS;
  }
}

export function runSolar(s: Scenario, policy: SolarPolicy, o: SolarOptions): SolarMetrics {
  const ceiling = ceilingFor(policy, o, s);
  const balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: s.fuseA, marginA: s.marginA }, SIM_START);
  let carOpts: CarOptions = { ...s.car };
  let car = new CarModel(carOpts);
  const latencyS = s.chargerLatencyS ?? CHARGER_LATENCY_S[s.charger];
  const charger = new ChargerModel(latencyS, car.minA, s.car.maxA);
  const meter = new MeterModel(s.meter);
  const cursor = new TraceCursor(s.trace);
  const phaseMap = phaseRotation(s.car.phases === 1 ? (s.car.phase ?? 'L1') : 'L1');
  const trip = new TripStress(MCB_C_FASTEST, s.fuseA);
  const series: IdealSeries = { one: [], three: [] };
  const m = { carWs: 0, solarWs: 0, changes: 0, switches: 0, overAs: 0, maxOver: 0, belowMinS: 0, switchS: 0 };
  let switchUntilS = -Infinity;
  let pendingPhases: 1 | 3 | null = null;
  const switchTimes: number[] = [];
  let wasOn: boolean | null = null;
  const fuseWatch = new FuseAllowsMinimum(s.meter.intervalS + latencyS + 3);
  const steps = Math.ceil(s.trace.durationS - 1e-9);
  for (let t = 0; t < steps; t++) {
    if (pendingPhases !== null && t >= switchUntilS) {
      carOpts = { ...carOpts, phases: pendingPhases, phase: 'L1' };
      car = new CarModel(carOpts);
      ceiling?.notePhases(pendingPhases);
      // as the controller does on 'phasesSwitched': one phase counted at once, three from the car's minimum
      balancer.phasesSwitched('ev', pendingPhases, carOpts.minA ?? 6);
      pendingPhases = null;
    }
    const switching = t < switchUntilS;
    const offered = switching ? 0 : charger.advance(t);
    car.offer(t, offered);
    const drawA = car.update(t);
    const household = cursor.at(t);
    const houseA = [...household] as Triple<number>;
    for (const g of car.gridPhases) houseA[g] += drawA;
    const raw = meter.read(t, houseA);
    const sample: MeterSample | null = raw && { ...raw, powerW: Math.round(houseA.reduce((sum, a) => sum + a * VOLTS, 0)) };
    const n = car.gridPhases.length;
    const input: ChargerInput = {
      id: 'ev', name: 'EV', enabled: true, phaseMap,
      measuredA: [0, 1, 2].map((k) => (k < n ? drawA : 0)) as Triple<number>,
      currentLimitA: charger.state.limitA, minCurrentA: car.minA, maxCurrentA: s.car.maxA,
      paused: charger.state.paused || switching, carConnected: true, priority: 0, latencyClass: CHARGER_LATENCY_CLASS[s.charger],
    };
    ceiling?.observe(t * 1000, sample, input);
    const limit = ceiling?.maxA(input) ?? null;
    if (limit !== null) input.maxCurrentA = limit < car.minA ? 0 : Math.min(s.car.maxA, limit);
    const out = balancer.step(t * 1000, sample, [input]);
    for (const c of out.commands) {
      if (c.type === 'setCurrentLimit') charger.setCurrentLimit(t, c.currentA);
      else if (c.type === 'pause') charger.pause(t);
      else charger.resume(t, c.currentA);
    }
    const wish: 1 | 3 | null | undefined = o.phaseSwitching && !switching && pendingPhases === null ? ceiling?.phaseWish() : null;
    while (switchTimes.length && t - switchTimes[0] >= 3600) switchTimes.shift();
    if (wish && wish !== n && switchTimes.length < MAX_PHASE_SWITCHES_PER_HOUR) {
      switchTimes.push(t);
      m.switches++;
      switchUntilS = t + PHASE_SWITCH_S;
      pendingPhases = wish;
    }
    // metrics over [t, t + 1)
    const carW = drawA * n * VOLTS;
    const surplusW = Math.max(0, -household.reduce((sum, a) => sum + a * VOLTS, 0));
    m.carWs += carW;
    m.solarWs += Math.min(carW, surplusW);
    series.one.push(idealW(surplusW, household, 1, s.car, s.fuseA));
    series.three.push(idealW(surplusW, household, 3, s.car, s.fuseA));
    o.onSecond?.(t, carW, surplusW, series.three[t]);
    const on = !switching && charger.offeredA() > 0;
    if (wasOn !== null && on !== wasOn && !switching && t >= switchUntilS + 1) m.changes++;
    if (!switching) wasOn = on;
    // the fuse allows the minimum (SolarMetrics.secondsBelowMinWhileFuseAllows): on the phases the car draws on
    const fuseAllows = fuseWatch.allows(t, Math.min(...car.gridPhases.map((g) => s.fuseA - s.marginA - household[g])), car.minA);
    if (o.mode === 'min+solar' && !switching && !on && fuseAllows) m.belowMinS++;
    if (o.mode === 'min+solar' && switching) m.switchS++;
    for (const a of houseA) {
      const over = Math.abs(a) - s.fuseA;
      if (over > 1e-9) {
        m.overAs += over;
        m.maxOver = Math.max(m.maxOver, over);
      }
    }
    trip.add(t, 1, houseA);
  }
  const hours = steps / 3600;
  const limits = { maxPerHour: MAX_PHASE_SWITCHES_PER_HOUR, pauseS: PHASE_SWITCH_WAIT_MS / 1000 };
  const idealWs = o.phaseSwitching ? freeIdealWs(series) : fixedIdealWs(series, s.car.phases);
  const limitedWs = o.phaseSwitching ? switchLimitedIdealWs(series, limits) : idealWs;
  const gapWs = o.phaseSwitching ? minGapIdealWs(series, limits) : idealWs;
  const kwh = (ws: number): number => ws / 3.6e6;
  return {
    policy,
    mode: o.mode,
    phaseSwitching: o.phaseSwitching,
    carKWh: kwh(m.carWs),
    solarToCarKWh: kwh(m.solarWs),
    gridToCarKWh: kwh(m.carWs - m.solarWs),
    surplusKWh: kwh(idealWs),
    surplusUsed: idealWs > 0 ? m.solarWs / idealWs : null,
    surplusSwitchLimitedKWh: kwh(limitedWs),
    surplusUsedSwitchLimited: limitedWs > 0 ? m.solarWs / limitedWs : null,
    surplusMinGapKWh: kwh(gapWs),
    gridShare: m.carWs > 0 ? (m.carWs - m.solarWs) / m.carWs : null,
    modeChangesPerHour: hours > 0 ? m.changes / hours : 0,
    phaseSwitchesPerHour: hours > 0 ? m.switches / hours : 0,
    overloadAmpSeconds: m.overAs,
    maxOverloadA: m.maxOver,
    tripStressMcbC: trip.value,
    secondsBelowMinWhileFuseAllows: m.belowMinS,
    secondsInPhaseSwitch: m.switchS,
    durationHours: hours,
  };
}

const r = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d;

export function roundSolar(m: SolarMetrics): SolarMetrics {
  return {
    ...m,
    carKWh: r(m.carKWh),
    solarToCarKWh: r(m.solarToCarKWh),
    gridToCarKWh: r(m.gridToCarKWh),
    surplusKWh: r(m.surplusKWh),
    surplusUsed: m.surplusUsed === null ? null : r(m.surplusUsed),
    surplusSwitchLimitedKWh: r(m.surplusSwitchLimitedKWh),
    surplusUsedSwitchLimited: m.surplusUsedSwitchLimited === null ? null : r(m.surplusUsedSwitchLimited),
    surplusMinGapKWh: r(m.surplusMinGapKWh),
    gridShare: m.gridShare === null ? null : r(m.gridShare),
    modeChangesPerHour: r(m.modeChangesPerHour, 2),
    phaseSwitchesPerHour: r(m.phaseSwitchesPerHour, 2),
    overloadAmpSeconds: r(m.overloadAmpSeconds, 1),
    maxOverloadA: r(m.maxOverloadA, 2),
    tripStressMcbC: r(m.tripStressMcbC, 4),
    durationHours: r(m.durationHours),
  };
}

/** The sim CLI's solar flags (hooked into tools/sim/cli.ts). */
export const SOLAR_FLAGS = { mode: 'string', 'phase-switching': 'boolean' } as const;
export const SOLAR_USAGE = '[--mode fast|min+solar|solar] [--phase-switching]';

/** `--mode` and `--phase-switching`, or null when `--mode` is absent (the fuse policies run as before). */
export function solarFromFlags(flags: Record<string, unknown>): SolarOptions | null {
  const mode = flags.mode as string | undefined;
  if (mode === undefined) {
    if (flags['phase-switching'] === true) throw new UsageError('--phase-switching', 'needs --mode fast|min+solar|solar');
    return null;
  }
  if (!SOLAR_MODES.includes(mode as SolarMode)) throw new UsageError('--mode', `must be fast, min+solar or solar, got "${mode}"`);
  if (flags['plug-in-after'] !== undefined) throw new UsageError('--plug-in-after', 'the solar sim (--mode) plugs the car in at t = 0; leave --plug-in-after out');
  return { mode: mode as SolarMode, phaseSwitching: flags['phase-switching'] === true };
}

/** Ours and the evcc-like PV baseline on the scenario; JSON (one line) or a table. Returns the exit code. */
export function printSolar(io: { out(line: string): void }, json: boolean, scenario: Record<string, unknown>, s: Scenario, o: SolarOptions): number {
  const results = (['balancer', 'evcc-pv'] as const).map((p) => roundSolar(runSolar(s, p, o)));
  // the solar sim plugs the car in at t = 0 (runSolar): the scenario line says so
  const line = { ...scenario, plugInAfterS: 0 };
  if (json) {
    io.out(JSON.stringify({ scenario: { ...line, mode: o.mode, phaseSwitching: o.phaseSwitching }, results }));
    return 0;
  }
  io.out(`${Object.entries(line).map(([k, v]) => `${k}=${v}`).join(' ')} mode=${o.mode} phaseSwitching=${o.phaseSwitching}`);
  const head = ['policy', 'car kWh', 'solar→car kWh', 'grid→car kWh', 'ideal surplus kWh', 'surplus used', 'ideal ≤4 sw/h kWh', 'used of it', 'grid share', 'mode changes/h', 'phase switches/h', 'below min s', 'overload A·s'];
  const rows = results.map((m) => [
    m.policy, m.carKWh, m.solarToCarKWh, m.gridToCarKWh, m.surplusKWh, m.surplusUsed ?? '-', m.surplusSwitchLimitedKWh, m.surplusUsedSwitchLimited ?? '-',
    m.gridShare ?? '-', m.modeChangesPerHour, m.phaseSwitchesPerHour, m.secondsBelowMinWhileFuseAllows, m.overloadAmpSeconds,
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  for (const r of [head, ...rows]) io.out(r.map((c, k) => (k === 0 ? String(c).padEnd(widths[k]) : String(c).padStart(widths[k]))).join('  '));
  return 0;
}
