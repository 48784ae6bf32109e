/**
 * The charging plan in the app (issue 15): builds the plan's limit source (lib/plan/planLimit.ts) in the Homey's
 * time zone, registers it with the controller, persists its state (targets, delivered energy, prices, the learned
 * load profile) through the app's store, takes prices from the flow action and from Power by the Hour, and answers
 * the device flow cards, the settings page (GET /plan) and Insights.
 *
 * - Prices: the flow action "Set electricity prices" (JSON text, parsePrices; a bad text fails the flow with one
 *   line) or Power by the Hour's inter-app API (lib/app/pbthPrices.ts). Prices from a flow win for 24 h: a user who
 *   sends Tibber's prices by a flow is not overruled by PBTH's next push.
 * - Start / cancel: with the charging modes (lib/app/modes.ts) starting a plan sets the charger's mode to `planned`
 *   and cancelling sets it back to the mode it had before; without them the plan is the charger's own on/off.
 * - Persisted at once after a user action (target, start, cancel, prices) and at most once a minute otherwise (the
 *   delivered energy and the profile move every second): a restart continues the plan, losing at most a minute of
 *   counted energy.
 *
 * Homey-free: the store, the modes, the chargers and the triggers come in through small interfaces.
 */
import { DateTime } from 'luxon';
import type { Clock } from '../clock';
import { describeError, UserInputError } from '../errors';
import type { ChargingMode, LimitSource } from '../limits';
import { PlanLimitSource, targetEnergyWh, type PlanEvent, type PlanLimitState, type PlanPhase, type PlanSettings, type PlanTarget } from '../plan/planLimit';
import type { PlanSlot } from '../plan/planner';
import { parsePrices, withoutCoarser, type PriceSlot } from '../plan/prices';
import type { RegisteredCharger } from './chargerRegistry';

/** Homey setting key of the plan's persisted state. */
export const PLAN_STATE_KEY = 'planState';
/** Prices from a flow win over Power by the Hour's for this long. */
export const FLOW_PRICES_WIN_MS = 24 * 3600_000;
const SAVE_EVERY_MS = 60_000;
const INSIGHTS_EVERY_MS = 60_000;

export type PriceSource = 'flow' | 'powerbythehour';

/** The tokens of the device trigger `<brand>_plan_changed`. */
export interface PlanChangedTokens {
  /** Local clock time of the next planned slot ("02:15"); empty when none is left. */
  next_slot: string;
  /** What the plan expects the energy still to charge to cost; the same figure as the view's `expectedCost`. */
  expected_cost: number;
  planned_kwh: number;
}

/** One charger in GET /plan. */
export interface PlanChargerView {
  id: string;
  name: string;
  /** The plan runs this charger (mode `planned`, or started where there are no modes). */
  active: boolean;
  /** The energy of the target at the charger (kWh); null: no target. */
  targetKWh: number | null;
  deadlineMs: number | null;
  deliveredKWh: number;
  /** The plan lets the charger charge now (a planned slot, or at once when the deadline cannot be met). */
  charging: boolean;
  nextSlotStartMs: number | null;
  expectedCost: number | null;
  feasible: boolean | null;
  /** What the plan does now (lib/plan/planLimit.ts): the settings page words it in the user's language. */
  phase: PlanPhase;
  /**
   * A plan that cannot meet its deadline: the energy it had to plan and about how much fits before the deadline (kWh
   * to 0.1, the figures of its English `reason`); null otherwise.
   */
  shortfall: { neededKWh: number; fitsKWh: number } | null;
  /** The plan's own line, in English (logs, the device's reason). */
  reason: string;
  slots: PlanSlot[];
}

/** GET /plan and the realtime event `plan`. */
export interface PlanView {
  timeMs: number;
  timeZone: string;
  prices: PriceSlot[];
  pricesFrom: PriceSource | null;
  chargers: PlanChargerView[];
}

/** The part of lib/app/modes.ts's ModeStore the plan uses. */
export interface PlanModes {
  modeOf(chargerId: string): ChargingMode;
  setMode(chargerId: string, mode: ChargingMode, by: 'flow'): Promise<unknown>;
}

interface Persisted {
  version: 1;
  source: PlanLimitState | null;
  pricesFrom: PriceSource | null;
  lastFlowPricesMs: number | null;
  /** The mode each charger had before its plan started (restored on cancel). */
  previousModes: Record<string, ChargingMode>;
}

export interface AppPlanOptions {
  clock: Clock;
  timeZone: string;
  store: { load(): unknown; save(state: unknown): void };
  /** The fuse and margin (A) the planner expects to charge under. */
  settings: () => { fuseA: number; marginA: number };
  /**
   * The capacity guard's status (lib/app/capacity.ts `status()`; null before it is configured): with a rule chosen,
   * its cap in force (a cap a flow set included) is the plan's limit on the house's import too.
   */
  capacity?: () => { rule: string; capKW: number } | null;
  chargers: { list(): RegisteredCharger[]; has(id: string): boolean };
  modes?: PlanModes | null;
  /** A plan was made or made again: the device trigger. */
  onPlanChanged?: (chargerId: string, tokens: PlanChangedTokens) => void;
  /** The view changed (push it to the settings page). */
  onView?: (view: PlanView) => void;
  /** Planned vs delivered energy per charger (Insights). */
  insights?: { planEnergy(chargerId: string, name: string, plannedKWh: number, deliveredKWh: number): void };
  log: (line: string) => void;
  error: (line: string) => void;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The next time the local clock shows `hh:mm` after `nowMs` (a time that does not exist that day moves forward). */
export function deadlineFromClock(text: unknown, nowMs: number, timeZone: string): number {
  const m = typeof text === 'string' ? /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text) : null;
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59)) {
    throw new UserInputError('deadline', `expected a time of day like 07:00, got ${JSON.stringify(text)}`);
  }
  const now = DateTime.fromMillis(nowMs, { zone: timeZone });
  let at = now.set({ hour, minute, second: 0, millisecond: 0 });
  if (at.toMillis() <= nowMs) at = now.plus({ days: 1 }).set({ hour, minute, second: 0, millisecond: 0 });
  return at.toMillis();
}

function readPersisted(raw: unknown): Persisted | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Partial<Persisted>;
  if (r.version !== 1) return null;
  return {
    version: 1,
    source: (r.source ?? null) as PlanLimitState | null,
    pricesFrom: r.pricesFrom === 'flow' || r.pricesFrom === 'powerbythehour' ? r.pricesFrom : null,
    lastFlowPricesMs: typeof r.lastFlowPricesMs === 'number' ? r.lastFlowPricesMs : null,
    previousModes: r.previousModes && typeof r.previousModes === 'object' ? { ...r.previousModes } : {},
  };
}

export class AppPlan {
  readonly source: PlanLimitSource;
  private pricesFrom: PriceSource | null;
  private lastFlowPricesMs: number | null;
  private readonly previousModes: Record<string, ChargingMode>;
  private lastSavedJson = '';
  private lastSaveMs = Number.NEGATIVE_INFINITY;
  private lastInsightsMs = Number.NEGATIVE_INFINITY;
  private pbthIgnoredLogged = false;

  constructor(private readonly opts: AppPlanOptions) {
    let saved: Persisted | null = null;
    try {
      saved = readPersisted(opts.store.load());
    } catch (err) {
      opts.error(`stored plan state ignored: ${describeError(err)}`);
    }
    this.pricesFrom = saved?.pricesFrom ?? null;
    this.lastFlowPricesMs = saved?.lastFlowPricesMs ?? null;
    this.previousModes = saved?.previousModes ?? {};
    const modes = opts.modes;
    this.source = new PlanLimitSource({
      timeZone: opts.timeZone,
      state: saved?.source ?? null,
      modeOf: modes ? (id) => modes.modeOf(id) : undefined,
      settings: () => this.planSettings(),
      onEvent: (e) => this.onEvent(e),
    });
  }

  /** What the planner charges under: the fuse and margin, and the capacity cap in force (none with the rule off). */
  private planSettings(): PlanSettings {
    const s = this.opts.settings();
    const cap = this.opts.capacity?.() ?? null;
    const capKW = cap && cap.rule !== 'off' && Number.isFinite(cap.capKW) && cap.capKW > 0 ? cap.capKW : null;
    return { fuseA: s.fuseA, marginA: s.marginA, capKW };
  }

  /** Take part in every controller step (the limit, the delivered energy, the load profile). */
  register(controller: { addLimitSource(src: LimitSource): void }): void {
    controller.addLimitSource(this.source);
  }

  // ---- prices ----------------------------------------------------------------------------------

  /** The flow action: JSON text in any shape parsePrices accepts; one line when it is bad. Returns the slot count. */
  setPricesFromFlow(text: unknown): number {
    const slots = this.parse(text);
    this.lastFlowPricesMs = this.opts.clock.nowMs();
    this.usePrices(slots, 'flow');
    return slots.length;
  }

  /**
   * Power by the Hour's `/dap-prices` answer or push; ignored while a flow's prices are recent. A push holds one
   * device only: slots of its hourly device (`dap`) never replace 15-minute ones known for the same time (its `dap15`
   * device's). False: not taken.
   */
  setPricesFromPbth(answer: unknown): boolean {
    const now = this.opts.clock.nowMs();
    if (this.lastFlowPricesMs !== null && now - this.lastFlowPricesMs < FLOW_PRICES_WIN_MS) {
      if (!this.pbthIgnoredLogged) this.opts.log('plan: Power by the Hour prices ignored: a flow sent prices in the last 24 h');
      this.pbthIgnoredLogged = true;
      return false;
    }
    this.pbthIgnoredLogged = false;
    const parsed = parsePrices(answer, { timeZone: this.opts.timeZone, nowMs: now });
    if ('error' in parsed) {
      this.opts.log(`plan: Power by the Hour prices not used: ${parsed.error}`);
      return false;
    }
    // each push holds one device: its hourly device's never replaces the quarter-hours its 15-minute one gave
    const slots = withoutCoarser(this.source.knownPrices(), parsed.slots);
    if (slots.length === 0) {
      this.opts.log('plan: Power by the Hour prices not used: finer (15-minute) prices are known for all their times');
      return false;
    }
    this.usePrices(slots, 'powerbythehour');
    return true;
  }

  private parse(text: unknown): PriceSlot[] {
    const parsed = parsePrices(typeof text === 'string' ? text : String(text ?? ''), { timeZone: this.opts.timeZone, nowMs: this.opts.clock.nowMs() });
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.slots;
  }

  private usePrices(slots: PriceSlot[], from: PriceSource): void {
    this.source.setPrices(slots);
    this.pricesFrom = from;
    const last = slots[slots.length - 1];
    this.opts.log(`plan: ${slots.length} prices from ${from === 'flow' ? 'a flow' : 'Power by the Hour'} until ${this.clockText(last.endMs)}`);
    this.changed();
  }

  // ---- the device cards ------------------------------------------------------------------------

  /** A target and a deadline ("07:00": the next time the clock shows it, or wall ms) for a charger. */
  setTarget(chargerId: string, target: PlanTarget, deadline: string | number): void {
    this.requireCharger(chargerId);
    const deadlineMs = typeof deadline === 'number' ? deadline : deadlineFromClock(deadline, this.opts.clock.nowMs(), this.opts.timeZone);
    const bad = this.source.setTarget(chargerId, target, deadlineMs);
    if (bad) throw new Error(bad);
    this.opts.log(`plan ${this.nameOf(chargerId)}: ${(targetEnergyWh(target) / 1000).toFixed(1)} kWh by ${this.clockText(deadlineMs)}`);
    this.changed();
  }

  /** Follow the plan: mode `planned` where there are modes (remembering the one before), else the plan's own on. */
  async start(chargerId: string): Promise<void> {
    this.requireCharger(chargerId);
    const bad = this.source.start(chargerId);
    if (bad) throw new Error(bad);
    const modes = this.opts.modes;
    if (modes) {
      const before = modes.modeOf(chargerId);
      if (before !== 'planned') this.previousModes[chargerId] = before;
      await modes.setMode(chargerId, 'planned', 'flow');
    }
    this.opts.log(`plan ${this.nameOf(chargerId)}: started`);
    this.changed();
  }

  /** Forget the plan; the charger goes back to the mode it had before (or `fast`). */
  async cancel(chargerId: string): Promise<void> {
    this.requireCharger(chargerId);
    this.source.cancel(chargerId);
    const modes = this.opts.modes;
    const before = this.previousModes[chargerId] ?? 'fast';
    delete this.previousModes[chargerId];
    if (modes && modes.modeOf(chargerId) === 'planned') await modes.setMode(chargerId, before, 'flow');
    this.opts.log(`plan ${this.nameOf(chargerId)}: cancelled`);
    this.changed();
  }

  /** The condition "the plan charges now": the plan runs the charger and lets it charge now. */
  chargesNow(chargerId: string): boolean {
    return this.source.governs(chargerId) && this.source.status(chargerId).charging;
  }

  /** The charger takes part in the app's balancing (a plan needs it). */
  takesPart(chargerId: string): boolean {
    return this.opts.chargers.has(chargerId);
  }

  private requireCharger(chargerId: string): void {
    if (!this.opts.chargers.has(chargerId)) {
      throw new UserInputError('charger', 'this charger does not take part in the app\'s balancing (yet): a plan needs it');
    }
  }

  // ---- every second ------------------------------------------------------------------------------

  /** Called every second by the app: saves at most once a minute, writes Insights at most once a minute. */
  tick(): void {
    const now = this.opts.clock.nowMs();
    if (now - this.lastSaveMs >= SAVE_EVERY_MS) this.save();
    if (now - this.lastInsightsMs >= INSIGHTS_EVERY_MS) {
      this.lastInsightsMs = now;
      this.writeInsights();
    }
  }

  /** Save now (a user action, the app stopping). */
  save(): void {
    this.lastSaveMs = this.opts.clock.nowMs();
    const state: Persisted = {
      version: 1,
      source: this.source.getState(),
      pricesFrom: this.pricesFrom,
      lastFlowPricesMs: this.lastFlowPricesMs,
      previousModes: this.previousModes,
    };
    const json = JSON.stringify(state);
    if (json === this.lastSavedJson) return;
    try {
      this.opts.store.save(state);
      this.lastSavedJson = json;
    } catch (err) {
      this.opts.error(`could not save the plan: ${describeError(err)}`);
    }
  }

  private writeInsights(): void {
    const insights = this.opts.insights;
    if (!insights) return;
    for (const c of this.view().chargers) {
      if (c.targetKWh !== null) insights.planEnergy(c.id, c.name, c.targetKWh, c.deliveredKWh);
    }
  }

  private changed(): void {
    this.save();
    this.lastInsightsMs = Number.NEGATIVE_INFINITY;
    this.opts.onView?.(this.view());
  }

  private onEvent(e: PlanEvent): void {
    const tokens: PlanChangedTokens = {
      next_slot: e.nextSlotStartMs !== null ? this.clockText(e.nextSlotStartMs) : '',
      expected_cost: e.expectedCost, // the plan's figure, as status() gives the view (lib/plan/planLimit.ts)
      planned_kwh: Math.round(e.plan.plannedWh / 100) / 10,
    };
    this.opts.log(`plan ${this.nameOf(e.id)}: ${e.plan.reason}`);
    try {
      this.opts.onPlanChanged?.(e.id, tokens);
    } catch (err) {
      this.opts.error(`plan changed trigger: ${describeError(err)}`);
    }
    // the source is in the middle of a step: tell the page and save on the next tick
    this.lastSaveMs = Number.NEGATIVE_INFINITY;
    this.lastInsightsMs = Number.NEGATIVE_INFINITY;
    this.opts.onView?.(this.view());
  }

  // ---- views -------------------------------------------------------------------------------------

  view(): PlanView {
    const now = this.opts.clock.nowMs();
    const state = this.source.getState();
    const chargers = this.opts.chargers.list().map((c): PlanChargerView => {
      const st = state.chargers[c.id];
      const s = this.source.status(c.id);
      const plan = st ? s.plan : null;
      return {
        id: c.id,
        name: c.name,
        active: this.source.governs(c.id),
        targetKWh: st ? Math.round(targetEnergyWh(st.target) / 100) / 10 : null,
        deadlineMs: st ? st.deadlineMs : null,
        deliveredKWh: Math.round(s.deliveredKWh * 100) / 100,
        charging: this.source.governs(c.id) && s.charging,
        nextSlotStartMs: s.nextSlot ? Math.max(s.nextSlot.startMs, now) : null,
        expectedCost: st ? s.expectedCost : null,
        feasible: plan ? plan.feasible : null,
        phase: s.phase,
        shortfall: plan && !plan.feasible ? { neededKWh: round1(plan.energyWh / 1000), fitsKWh: round1(plan.plannedWh / 1000) } : null,
        reason: s.reason,
        slots: plan ? plan.slots.filter((p) => p.endMs > now) : [],
      };
    });
    const prices = this.source.knownPrices().filter((p) => p.endMs > now);
    return { timeMs: now, timeZone: this.opts.timeZone, prices: [...prices], pricesFrom: prices.length ? this.pricesFrom : null, chargers };
  }

  private nameOf(chargerId: string): string {
    return this.opts.chargers.list().find((c) => c.id === chargerId)?.name ?? chargerId;
  }

  private clockText(ms: number): string {
    return DateTime.fromMillis(ms, { zone: this.opts.timeZone }).toFormat('HH:mm');
  }
}
