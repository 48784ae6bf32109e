/**
 * The charging-plan scenario (issue 15): one car must take `energyKWh` by `deadlineS` (seconds from the trace
 * start) at day-ahead prices, over a real household trace, through the real balancer. Policies:
 * - `fast`: the balancer alone (charges at once as far as the fuse allows);
 * - `naive-cheapest`: the cheapest slots that would deliver the energy at the car's full power, ignoring the fuse
 *   and the household (0 A outside them, the balancer inside), never re-planned;
 * - `plan`: ours, lib/plan's PlanLimitSource through `applyLimits` exactly as the controller uses it, its load
 *   profile learned from the same household the day before (the trace replayed as yesterday);
 * - `plan-ideal`: the cost reference: knows the household current of every second in advance, acts instantly,
 *   and re-plans at every slot from what it delivered.
 * Every policy stops at the target (the car is full). Cost = Σ energy × the price of its slot, until the deadline.
 */
import { readFileSync } from 'fs';
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type BalancerCommand, type ChargerInput } from '../../lib/balancer/types';
import { UserInputError } from '../../lib/errors';
import { applyLimits, type ChargerLimit, type LimitSource } from '../../lib/limits';
import { PlanLimitSource } from '../../lib/plan/planLimit';
import { parsePrices, type PriceSlot } from '../../lib/plan/prices';
import { LoadProfile } from '../../lib/plan/profile';
import { UsageError, type FlagSpec, type ParsedFlags } from '../cli/args';
import { SIM_START, carGridPhases } from './models';
import type { Policy, PolicyStep } from './policies';
import { PHASE_VOLTAGE_V, runPolicy, type PolicyMetrics, type Scenario } from './simulate';
import { TraceCursor, type Trace } from './trace';

/** The wall clock of the trace start: a Wednesday at 00:00 UTC (the sim's time zone is UTC). */
export const SIM_WALL0_MS = Date.parse('2025-10-01T00:00:00Z');
export const SIM_TIME_ZONE = 'UTC';
export const PLAN_POLICY_NAMES = ['fast', 'naive-cheapest', 'plan', 'plan-ideal'] as const;
export type PlanPolicyName = (typeof PLAN_POLICY_NAMES)[number];

export interface PlanOptions {
  /** Price slots in ms from the trace start. */
  prices: PriceSlot[];
  energyKWh: number;
  deadlineS: number;
  /** Profile for `plan`: trained from this trace as the day before (default: the scenario's own trace). */
  profileTrace?: Trace;
}

export interface PlanMetrics {
  planMet: boolean;
  planEnergyKWh: number;
  planCost: number;
}

export type PlanResult = PolicyMetrics & PlanMetrics;

export const PLAN_FLAGS: FlagSpec = { prices: 'string', 'plan-kwh': 'number', 'deadline-s': 'number' };
export const PLAN_USAGE = '[--prices FILE.json --plan-kwh E --deadline-s S]';

/** Parse a price file (the shapes lib/plan/prices.ts accepts) into slots from the trace start. */
export function loadPriceFile(file: string): PriceSlot[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserInputError('--prices', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* parsePrices names it */
  }
  const tz = typeof json === 'object' && json !== null && typeof (json as { timeZone?: unknown }).timeZone === 'string' ? (json as { timeZone: string }).timeZone : SIM_TIME_ZONE;
  const r = parsePrices(json, { timeZone: tz, nowMs: SIM_WALL0_MS });
  if ('error' in r) throw new UserInputError(`--prices ${file}`, r.error);
  const originMs = r.slots[0].startMs;
  return r.slots.map((s) => ({ startMs: s.startMs - originMs, endMs: s.endMs - originMs, price: s.price }));
}

/** The plan flags, or null when `--prices` is absent. Throws UsageError for a partial or bad set. */
export function planFromFlags(flags: ParsedFlags, trace: Trace): PlanOptions | null {
  const file = flags.prices as string | undefined;
  const kwh = flags['plan-kwh'] as number | undefined;
  const deadlineS = (flags['deadline-s'] as number | undefined) ?? trace.durationS;
  if (file === undefined) {
    if (kwh !== undefined || flags['deadline-s'] !== undefined) throw new UsageError('--prices', 'needed with --plan-kwh and --deadline-s (a day-ahead price file)');
    return null;
  }
  if (kwh === undefined || !(kwh > 0)) throw new UsageError('--plan-kwh', `expected the energy to charge in kWh (> 0), got ${kwh ?? 'nothing'}`);
  if (!(deadlineS > 0)) throw new UsageError('--deadline-s', `expected seconds from the trace start (> 0), got ${deadlineS}`);
  return { prices: loadPriceFile(file), energyKWh: kwh, deadlineS };
}

/** Counts the car's energy and cost until the deadline, and holds the charger at 0 A once the target is in. */
class Meter implements LimitSource {
  readonly id = 'target';
  energyWh = 0;
  cost = 0;
  private lastNowMs: number | null = null;

  constructor(
    private readonly opts: PlanOptions,
    private readonly prices: PriceSlot[],
    private readonly leadMs: number,
  ) {}

  observe(nowMs: number, _wallMs: number, _s: unknown, chargers: readonly ChargerInput[]): void {
    const dtMs = this.lastNowMs === null ? 0 : nowMs - this.lastNowMs;
    this.lastNowMs = nowMs;
    const traceMs = nowMs - this.leadMs;
    const ch = chargers[0];
    if (!ch?.carConnected || traceMs <= 0 || traceMs > this.opts.deadlineS * 1000) return;
    const wh = (ch.measuredA.reduce<number>((s, a) => s + (a ?? 0), 0) * PHASE_VOLTAGE_V * dtMs) / 3_600_000;
    this.energyWh += wh;
    this.cost += (wh / 1000) * priceAt(this.prices, traceMs - dtMs);
  }

  done(): boolean {
    return this.energyWh >= this.opts.energyKWh * 1000 - 1;
  }

  charger(): ChargerLimit | null {
    return this.done() ? { maxA: 0, reason: 'target reached' } : null;
  }

  metrics(): PlanMetrics {
    return { planMet: this.done(), planEnergyKWh: this.energyWh / 1000, planCost: this.cost };
  }
}

function priceAt(prices: PriceSlot[], ms: number): number {
  let last = prices[0]?.price ?? 0;
  for (const p of prices) {
    if (p.startMs > ms) break;
    last = p.price;
  }
  return last;
}

/** Naive: the cheapest slots before the deadline at the car's full power, once, ignoring fuse and household. */
class NaiveSource implements LimitSource {
  readonly id = 'naive';
  private readonly chosen: PriceSlot[];
  constructor(opts: PlanOptions, fullPowerW: number, private readonly leadMs: number) {
    const window = opts.prices.filter((p) => p.endMs > 0 && p.startMs < opts.deadlineS * 1000);
    const sorted = [...window].sort((a, b) => a.price - b.price || a.startMs - b.startMs);
    this.chosen = [];
    let wh = 0;
    for (const p of sorted) {
      if (wh >= opts.energyKWh * 1000) break;
      this.chosen.push(p);
      wh += (fullPowerW * (Math.min(p.endMs, opts.deadlineS * 1000) - Math.max(0, p.startMs))) / 3_600_000;
    }
  }

  charger(nowMs: number): ChargerLimit | null {
    const t = nowMs - this.leadMs;
    return this.chosen.some((p) => p.startMs <= t && t < p.endMs) ? null : { maxA: 0, reason: 'naive: waiting for a cheap slot' };
  }
}

/** The balancer with limit sources applied exactly as the controller does (lib/limits.ts applyLimits). */
class LimitedBalancerPolicy implements Policy {
  private readonly balancer: Balancer;
  constructor(
    readonly name: string,
    scenario: Scenario,
    private readonly sources: LimitSource[],
    private readonly leadMs: number,
    private onFirstStep?: () => void,
  ) {
    this.balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: scenario.fuseA, marginA: scenario.marginA }, SIM_START);
  }

  step({ nowMs, sample, chargers }: PolicyStep): BalancerCommand[] {
    if (this.onFirstStep) {
      this.onFirstStep();
      this.onFirstStep = undefined;
    }
    const inputs = chargers.map((c) => ({ ...c }));
    const wallMs = SIM_WALL0_MS + nowMs - this.leadMs;
    const site = applyLimits(this.sources, { nowMs, wallMs, sample }, inputs, (src, err) => {
      throw new Error(`limit ${src.id}: ${String(err)}`);
    });
    return this.balancer.step(nowMs, sample, inputs, site).commands;
  }
}

/** The trace replayed as the day before the run, every 10 s, into a fresh profile. */
export function warmProfile(trace: Trace, startWallMs: number): LoadProfile {
  const profile = new LoadProfile({ timeZone: SIM_TIME_ZONE });
  const cursor = new TraceCursor(trace);
  for (let s = 0; s < trace.durationS; s += 10) profile.observe(startWallMs + s * 1000, cursor.at(s).map((a) => Math.round(a)) as [number, number, number]);
  profile.observe(startWallMs + 24 * 3600_000 - 1000, [0, 0, 0]);
  return profile;
}

function planPolicy(name: PlanPolicyName, scenario: Scenario, opts: PlanOptions, meter: Meter, leadMs: number): Policy {
  const phases = carGridPhases(scenario.car).length;
  const wallPrices = opts.prices.map((p) => ({ ...p, startMs: p.startMs + SIM_WALL0_MS, endMs: p.endMs + SIM_WALL0_MS }));
  switch (name) {
    case 'fast':
      return new LimitedBalancerPolicy(name, scenario, [meter], leadMs);
    case 'naive-cheapest':
      return new LimitedBalancerPolicy(name, scenario, [meter, new NaiveSource(opts, scenario.car.maxA * PHASE_VOLTAGE_V * phases, leadMs)], leadMs);
    case 'plan': {
      const profile = warmProfile(opts.profileTrace ?? scenario.trace, SIM_WALL0_MS - 24 * 3600_000);
      const src = new PlanLimitSource({ timeZone: SIM_TIME_ZONE, profile, settings: () => ({ fuseA: scenario.fuseA, marginA: scenario.marginA }) });
      src.setPrices(wallPrices);
      const start = (): void => {
        src.setTarget('ev', { energyKWh: opts.energyKWh }, SIM_WALL0_MS + opts.deadlineS * 1000);
        src.start('ev');
      };
      return new LimitedBalancerPolicy(name, scenario, [meter, src], leadMs, start);
    }
    case 'plan-ideal':
      return new IdealPlanPolicy(scenario, opts, meter, leadMs);
  }
}

/**
 * The cost reference: the exact current the fuse leaves every second (fuse − margin − household on the car's
 * phases, whole amps, the car's range), known in advance; at each slot start the cheapest remaining slots that
 * deliver what is still needed; commands act at once.
 */
class IdealPlanPolicy implements Policy {
  readonly name = 'plan-ideal';
  readonly zeroLatency = true;
  private readonly availA: number[];
  private chosen: PriceSlot[] = [];
  private planFor = -1;
  private setpointA: number | null = null;

  constructor(
    private readonly scenario: Scenario,
    private readonly opts: PlanOptions,
    private readonly meter: Meter,
    private readonly leadMs: number,
  ) {
    const cursor = new TraceCursor(scenario.trace);
    const phases = carGridPhases(scenario.car);
    const n = Math.ceil(scenario.trace.durationS);
    this.availA = Array.from({ length: n }, (_, s) => {
      const house = cursor.at(s);
      const a = Math.min(scenario.car.maxA, Math.floor(Math.min(...phases.map((g) => scenario.fuseA - scenario.marginA - house[g])) + 1e-9));
      return a >= (scenario.car.minA ?? 6) ? a : 0;
    });
  }

  private replan(fromS: number): void {
    const v = PHASE_VOLTAGE_V * carGridPhases(this.scenario.car).length;
    const endS = Math.min(this.opts.deadlineS, this.availA.length);
    const slots = this.opts.prices
      .map((p) => ({ ...p, from: Math.max(fromS, Math.ceil(p.startMs / 1000)), to: Math.min(endS, Math.ceil(p.endMs / 1000)) }))
      .filter((p) => p.to > p.from)
      .map((p) => ({ slot: p as PriceSlot, wh: (this.availA.slice(p.from, p.to).reduce((s, a) => s + a, 0) * v) / 3600 }))
      .sort((a, b) => a.slot.price - b.slot.price || a.slot.startMs - b.slot.startMs);
    let need = this.opts.energyKWh * 1000 - this.meter.energyWh;
    this.chosen = [];
    for (const s of slots) {
      if (need <= 0) break;
      this.chosen.push(s.slot);
      need -= s.wh;
    }
  }

  step({ nowMs, chargers }: PolicyStep): BalancerCommand[] {
    const ch = chargers[0];
    const t = Math.floor((nowMs - this.leadMs) / 1000);
    this.meter.observe(nowMs, 0, null, chargers);
    const slotIndex = this.opts.prices.findIndex((p) => p.startMs <= t * 1000 && t * 1000 < p.endMs);
    if (t >= 0 && slotIndex !== this.planFor) {
      this.planFor = slotIndex;
      this.replan(t);
    }
    const inSlot = t >= 0 && this.chosen.some((p) => p.startMs <= t * 1000 && t * 1000 < p.endMs);
    const want = !this.meter.done() && inSlot ? (this.availA[t] ?? 0) : 0;
    return this.moveTo(ch, want);
  }

  private moveTo(ch: ChargerInput, target: number): BalancerCommand[] {
    const setpoint = this.setpointA ?? (ch.paused ? 0 : (ch.currentLimitA ?? ch.maxCurrentA));
    this.setpointA = target;
    if (target === setpoint) return [];
    if (target === 0) return [{ type: 'pause', chargerId: ch.id, reason: 'ideal plan' }];
    if (setpoint === 0) return [{ type: 'resume', chargerId: ch.id, currentA: target, reason: 'ideal plan' }];
    return [{ type: 'setCurrentLimit', chargerId: ch.id, currentA: target, reason: 'ideal plan' }];
  }
}

/** Run the plan policies over one scenario; each result carries planMet, planEnergyKWh and planCost. */
export function runPlanPolicies(scenario: Scenario, opts: PlanOptions, names: readonly PlanPolicyName[] = PLAN_POLICY_NAMES): PlanResult[] {
  const leadMs = Math.round(scenario.plugInAfterS ?? 0) * 1000;
  return names.map((name) => {
    const meter = new Meter(opts, opts.prices, leadMs);
    const out = runPolicy(scenario, planPolicy(name, scenario, opts, meter, leadMs));
    return { ...out.metrics, ...meter.metrics() };
  });
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Print the plan results: `--json` one object (each result with planMet, planEnergyKWh, planCost), else a table. */
export function printPlan(io: { out(line: string): void }, json: boolean, scenario: Record<string, unknown>, results: PlanResult[], opts?: PlanOptions): number {
  const rows = results.map((r) => ({
    policy: r.policy,
    planMet: r.planMet,
    planEnergyKWh: round(r.planEnergyKWh),
    planCost: round(r.planCost),
    overloadAmpSeconds: round(r.overloadAmpSeconds, 1),
    energyKWh: round(r.energyKWh),
    chargerWrites: r.chargerWrites,
    pauses: r.pauses,
  }));
  const plan = opts ? { planKWh: opts.energyKWh, deadlineS: opts.deadlineS, priceSlots: opts.prices.length } : {};
  if (json) {
    io.out(JSON.stringify({ scenario: { ...scenario, ...plan }, results: rows }));
    return 0;
  }
  io.out(Object.entries({ ...scenario, ...plan }).map(([k, v]) => `${k}=${v}`).join(' '));
  const header = ['policy', 'met', 'kWh by deadline', 'cost', 'overload A·s', 'writes', 'pauses'];
  const cells = [header, ...rows.map((r) => [r.policy, r.planMet ? 'yes' : 'NO', r.planEnergyKWh, r.planCost, r.overloadAmpSeconds, r.chargerWrites, r.pauses].map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  for (const c of cells) io.out(c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
  return 0;
}
