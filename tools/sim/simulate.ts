/**
 * Replays a household trace with one EV behind one charger under a control policy, in fixed steps of
 * simulated time (1 s by default), and measures overload and energy.
 *
 * Each step at time t: due charger commands take effect → the car's draw updates → house current at
 * the meter = trace(t) + car draw on its phases → the meter may produce a fresh sample → the policy
 * steps (with that sample or null) and its commands are sent (arriving after the charger latency;
 * at once for a zero-latency policy) → metrics integrate the state over [t, t + step).
 * With `plugInAfterS` the charger first stands that long without a car (the policy may write to it).
 */
import { GRID_PHASES, type BalancerCommand, type ChargerInput, type GridPhase, type Triple } from '../../lib/balancer/types';
import {
  CHARGER_LATENCY_CLASS,
  CHARGER_LATENCY_S,
  CarModel,
  ChargerModel,
  carGridPhases,
  MeterModel,
  type CarOptions,
  type ChargerKind,
  type MeterOptions,
} from './models';
import { CapacityMeter, cappedPolicy, type CapacityMetrics, type CapacitySim } from './capacity';
import { ggFastest, MCB_C_FASTEST, TripStress } from './metrics';
import { createPolicy, POLICY_NAMES, type Policy, type PolicyName } from './policies';
import { TraceCursor, type Trace } from './trace';

/** Volts per phase used for energy. */
export const PHASE_VOLTAGE_V = 230;

export interface Scenario {
  trace: Trace;
  fuseA: number;
  marginA: number;
  car: CarOptions;
  meter: MeterOptions;
  charger: ChargerKind;
  /** Override the brand's typical command latency (s). */
  chargerLatencyS?: number;
  /** Simulation step (s), default 1. */
  stepS?: number;
  /**
   * Seconds the charger stands without a car before the car plugs in at the trace's first row (default 0):
   * a policy may prepare the charger meanwhile (the household holds at the first row; nothing is measured).
   */
  plugInAfterS?: number;
  /** A capacity cap (tools/sim/capacity.ts): `balancer` runs with the guard, every run is measured per period. */
  capacity?: CapacitySim;
}

/** The first seconds of a session, whose overload `startOverloadAmpSeconds` counts. */
export const SESSION_START_S = 120;

export interface PolicyMetrics {
  policy: string;
  /** Σ over phases of ∫ max(0, |I| − fuse) dt (A·s). */
  overloadAmpSeconds: number;
  /** Time with at least one phase over the fuse (s). */
  secondsOverFuse: number;
  /** Largest |I| − fuse seen on any phase (A), 0 if never over. */
  maxOverloadA: number;
  /** Energy the car took (kWh, 230 V per phase). */
  energyKWh: number;
  /** energyKWh / ideal's energyKWh (null when ideal charged nothing). */
  energyRatio: number | null;
  chargerWrites: number;
  writesPerHour: number;
  /** Pause cycles (the charger went from charging to paused). */
  pauses: number;
  durationHours: number;
  /**
   * Largest Miner sum Σ dt / t_trip(|I| / fuse) over any 1 h window on the worst phase, against the fastest
   * type C MCB IEC 60898-1 allows (tools/sim/metrics.ts); 1 = that breaker could trip.
   */
  tripStressMcbC: number;
  /** The same against the fastest gG fuse-link of the fuse's rating IEC 60269-1 allows. */
  tripStressGg: number;
  /** Overload (A·s, as above) in the first SESSION_START_S seconds after the car plugged in. */
  startOverloadAmpSeconds: number;
  /** Time the charger was paused while the car was plugged in (s). */
  secondsPaused: number;
  /** Under a capacity cap: periods over it and the highest period average (tools/sim/capacity.ts). */
  capacity?: CapacityMetrics;
}

export interface SimEvent {
  timeS: number;
  type: 'paused' | 'resumed';
}

/** Per-step recording for plots (only when asked: it costs memory). */
export interface SimSeries {
  timeS: number[];
  houseA: [number[], number[], number[]];
  offeredA: number[];
  drawnA: number[];
  events: SimEvent[];
}

export interface RunOutput {
  metrics: PolicyMetrics;
  series?: SimSeries;
}

/** Charger phase k (0..2) is wired to grid phase (start + k) mod 3: a 1-phase car uses charger phase 1. */
export function phaseRotation(start: GridPhase): Triple<GridPhase> {
  const s = GRID_PHASES.indexOf(start);
  return [0, 1, 2].map((k) => GRID_PHASES[(s + k) % 3]) as Triple<GridPhase>;
}

export function runPolicy(scenario: Scenario, policy: Policy | PolicyName, opts: { record?: boolean } = {}): RunOutput {
  const stepS = scenario.stepS ?? 1;
  const ctx = { fuseA: scenario.fuseA, marginA: scenario.marginA, carGridPhases: carGridPhases(scenario.car) };
  const p = typeof policy === 'string' ? (cappedPolicy(scenario, policy, ctx) ?? createPolicy(policy, ctx)) : policy;
  const capm = scenario.capacity ? new CapacityMeter(scenario.capacity) : null;
  const instant = p.zeroLatency === true;
  // Zero latency: the car follows at once (it still needs its start delay after a pause).
  const car = new CarModel(instant ? { ...scenario.car, followS: 0 } : scenario.car);
  const latencyS = instant ? 0 : (scenario.chargerLatencyS ?? CHARGER_LATENCY_S[scenario.charger]);
  const charger = new ChargerModel(latencyS, car.minA, scenario.car.maxA);
  const meter = new MeterModel(scenario.meter);
  const cursor = new TraceCursor(scenario.trace);
  const phaseMap = phaseRotation(scenario.car.phases === 1 ? (scenario.car.phase ?? 'L1') : 'L1');
  const nCarPhases = car.gridPhases.length;
  const acc = new Accumulator(scenario, stepS);
  const series: SimSeries | undefined = opts.record
    ? { timeS: [], houseA: [[], [], []], offeredA: [], drawnA: [], events: [] }
    : undefined;
  let wasPaused = charger.state.paused;

  const input = (drawA: number, connected: boolean): ChargerInput[] => [
    {
      id: 'ev',
      name: 'EV',
      enabled: true,
      phaseMap,
      measuredA: [0, 1, 2].map((k) => (k < nCarPhases ? drawA : 0)) as Triple<number>,
      currentLimitA: charger.state.limitA,
      minCurrentA: car.minA,
      maxCurrentA: scenario.car.maxA,
      paused: charger.state.paused,
      carConnected: connected,
      priority: 0,
      latencyClass: CHARGER_LATENCY_CLASS[scenario.charger],
    },
  ];
  const house = (householdA: Triple<number>, drawA: number): Triple<number> => {
    const out = [...householdA] as Triple<number>;
    for (const g of car.gridPhases) out[g] += drawA;
    return out;
  };

  // Clock: the policy, meter and charger run from 0; the car plugs in after `plugInAfterS` (the
  // household holding at the trace's first row until then); trace time and metrics start at the plug-in.
  const leadSteps = Math.round((scenario.plugInAfterS ?? 0) / stepS);
  const steps = Math.ceil(scenario.trace.durationS / stepS - 1e-9);
  for (let i = 0; i < leadSteps + steps; i++) {
    const clockS = i * stepS;
    const traceS = (i - leadSteps) * stepS;
    const connected = i >= leadSteps;
    const offered = charger.advance(clockS);
    let drawA = 0;
    if (connected) {
      car.offer(traceS, offered);
      drawA = car.update(traceS);
    }
    const householdA = cursor.at(Math.max(0, traceS));
    const sample = meter.read(clockS, house(householdA, drawA));
    const commands = p.step({ nowMs: Math.round(clockS * 1000), sample, chargers: input(drawA, connected), householdA });
    if (commands.length) {
      send(charger, clockS, commands);
      if (instant && connected) {
        car.offer(traceS, charger.advance(clockS));
        drawA = car.update(traceS);
      }
    }
    if (!connected) continue;
    const houseA = house(householdA, drawA);
    acc.add(traceS, houseA, drawA * nCarPhases * PHASE_VOLTAGE_V, charger.state.paused);
    capm?.add(traceS, stepS, houseA, householdA, drawA * nCarPhases * PHASE_VOLTAGE_V);
    if (series) {
      series.timeS.push(traceS);
      for (let ph = 0; ph < 3; ph++) series.houseA[ph].push(houseA[ph]);
      series.offeredA.push(charger.offeredA());
      series.drawnA.push(drawA);
      if (charger.state.paused !== wasPaused) series.events.push({ timeS: traceS, type: charger.state.paused ? 'paused' : 'resumed' });
    }
    wasPaused = charger.state.paused;
  }
  return { metrics: { ...acc.metrics(p.name, charger), ...(capm ? { capacity: capm.result() } : {}) }, series };
}

/** Integrates the per-step state of one run into its metrics (from the plug-in on). */
class Accumulator {
  private overloadAs = 0;
  private startOverloadAs = 0;
  private secondsOver = 0;
  private secondsPaused = 0;
  private maxOver = 0;
  private energyWs = 0;
  private steps = 0;
  private readonly mcbC: TripStress;
  private readonly gG: TripStress;

  constructor(
    private readonly scenario: Scenario,
    private readonly stepS: number,
  ) {
    this.mcbC = new TripStress(MCB_C_FASTEST, scenario.fuseA);
    this.gG = new TripStress(ggFastest(scenario.fuseA), scenario.fuseA);
  }

  add(traceS: number, houseA: Triple<number>, carW: number, paused: boolean): void {
    const { stepS } = this;
    let anyOver = false;
    for (let ph = 0; ph < 3; ph++) {
      const over = Math.abs(houseA[ph]) - this.scenario.fuseA;
      if (over > 1e-9) {
        anyOver = true;
        this.overloadAs += over * stepS;
        if (traceS < SESSION_START_S - 1e-9) this.startOverloadAs += over * stepS;
        if (over > this.maxOver) this.maxOver = over;
      }
    }
    if (anyOver) this.secondsOver += stepS;
    if (paused) this.secondsPaused += stepS;
    this.energyWs += carW * stepS;
    this.mcbC.add(traceS, stepS, houseA);
    this.gG.add(traceS, stepS, houseA);
    this.steps++;
  }

  metrics(policy: string, charger: ChargerModel): PolicyMetrics {
    const durationHours = (this.steps * this.stepS) / 3600;
    return {
      policy,
      overloadAmpSeconds: this.overloadAs,
      secondsOverFuse: this.secondsOver,
      maxOverloadA: this.maxOver,
      energyKWh: this.energyWs / 3.6e6,
      energyRatio: null,
      chargerWrites: charger.writes,
      writesPerHour: durationHours > 0 ? charger.writes / durationHours : 0,
      pauses: charger.pauses,
      durationHours,
      tripStressMcbC: this.mcbC.value,
      tripStressGg: this.gG.value,
      startOverloadAmpSeconds: this.startOverloadAs,
      secondsPaused: this.secondsPaused,
    };
  }
}

function send(charger: ChargerModel, nowS: number, commands: BalancerCommand[]): void {
  for (const c of commands) {
    if (c.chargerId !== 'ev') continue;
    if (c.type === 'setCurrentLimit') charger.setCurrentLimit(nowS, c.currentA);
    else if (c.type === 'pause') charger.pause(nowS);
    else charger.resume(nowS, c.currentA);
  }
}

/**
 * Run several policies over the same scenario. `ideal` always runs (it is the energy reference);
 * it is reported only when asked for.
 */
export function runPolicies(
  scenario: Scenario,
  names: readonly PolicyName[] = POLICY_NAMES,
  opts: { record?: PolicyName } = {},
): { results: PolicyMetrics[]; series?: SimSeries } {
  const ideal = runPolicy(scenario, 'ideal', { record: opts.record === 'ideal' });
  let series = ideal.series;
  const results = names.map((name) => {
    if (name === 'ideal') return ideal.metrics;
    const out = runPolicy(scenario, name, { record: opts.record === name });
    if (out.series) series = out.series;
    return out.metrics;
  });
  const idealKWh = ideal.metrics.energyKWh;
  for (const r of results) r.energyRatio = idealKWh > 0 ? r.energyKWh / idealKWh : null;
  return { results, series };
}
