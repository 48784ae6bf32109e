/**
 * The capacity-tariff guard (docs/capacity.md): a `LimitSource` that keeps each period's average import under the
 * cap its rule puts in force, by one ceiling per grid phase for all balanced chargers together. The balancer takes
 * the lower of that and its fuse headroom: the fuse always wins.
 *
 * Fed on every controller step (`observe`): the import is integrated over the wall clock, each stretch at the last
 * known power (a missing sample is never zero), split where a period ends; a period is aligned to the local clock of
 * `cfg.timeZone` (period.ts). A closed period goes into the month's record (rules.ts); the next starts with a fresh
 * budget. The ceiling comes from the energy still allowed (budget.ts). State survives a restart (`getState`).
 */
import type { ChargerInput, MeterSample, Triple } from '../balancer/types';
import { reason, said, type Reason } from '../reasons';
import type { LimitSource, SiteLimit } from '../limits';
import { ceilingA, chargersW, drawingPhases, isBalanced, phaseSet, plan, samplePowerW, type PhaseSet, type PlanMode, type PowerSample } from './budget';
import { local, monthKey, periodAt } from './period';
import { billedKW, capInForce, countingPeaks, emptyMonth, readsHours, recordPeriod } from './rules';
import { readGuardState, type GuardState, type PeriodState } from './state';
import { DEFAULT_VOLTAGE_V, type CapacityConfig, type CapacityEvent, type CapacityStatus } from './types';

/**
 * House load smoothing (s): "now" is the higher of the last reading and its 1-minute average; the usual load is a
 * 10-minute average; the mean deviation over 5 minutes. A rise above the usual load is expected to last SPIKE_MS
 * (a kettle, an oven's element), not the whole rest of the period.
 */
const HOUSE_TAU_S = 60;
const HOUSE_LONG_TAU_S = 600;
const HOUSE_VAR_TAU_S = 300;
const SPIKE_MS = 5 * 60_000;
/**
 * From a decision to the chargers drawing accordingly (s): the charger's latency (go-e local API ~1 s, Charge Amps
 * cloud ~15 s; with a margin) + the car following (~5 s). A house jump is seen up to one meter interval (measured)
 * later on top of that.
 */
const LATENCY_S = { local: 2, cloud: 20 } as const;
const CAR_FOLLOW_S = 5;
/** The meter interval assumed until two readings were seen, and the most one counts as (s). */
const DEFAULT_METER_S = 10;
const MAX_METER_S = 60;
/** A ceiling is raised only by this much at least, lowered by this much at least (A): fewer charger writes. */
const RAISE_DEADBAND_A = 0.5;
const CUT_DEADBAND_A = 0.2;
/** The house's own period average must fall below this share of the cap to end the base-load warning. */
const BASE_LOAD_CLEAR = 0.9;
/** A stretch longer than this is one nobody observed (ms), as is one where the wall clock ran this much ahead of the
 *  monotonic clock (a forward step: NTP, a user) and the first after a restart. */
const MAX_GAP_MS = 40 * 24 * 3600_000;
const WALL_STEP_MS = 5_000;

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

export class CapacityGuard implements LimitSource {
  readonly id = 'capacity';
  private cfg: CapacityConfig;
  private st: GuardState;
  private readonly onEvent?: (e: CapacityEvent) => void;
  private published: { ceilingA: Triple<number | null>; mode: PlanMode; text: Reason; phases: string } | null = null;
  private allowedW = 0;
  private chargersNowW = 0;
  /** The chargers' draw as last observed (W), null until observed since the start: between two meter readings the
   *  import runs at the house's last reading + the chargers' draw as it is observed (they change between readings). */
  private chargersSeenW: number | null = null;
  /** Cuts sent and not landed yet, each deeper than the one before: what it allows (W) and when it lands (wall ms). */
  private cuts: { allowedW: number; landsAtMs: number }[] = [];
  private meterPeakKW: number | null = null;
  /** Seconds between the meter's readings (an average), null until two were seen. */
  private meterIntervalS: number | null = null;
  private lastReadingWallMs: number | null = null;
  /** The monotonic time of the last observation (ms), null before the first since the start. */
  private lastMonoMs: number | null = null;
  /** The meter's last known current per phase, and each charger's per charger phase (A): a missing one (null)
   *  counts at its last known value, never as 0 A. */
  private phaseA: (number | null)[] = [null, null, null];
  private chargerA = new Map<string, (number | null)[]>();
  /** Built from a saved state and not observed since: the stretch from its last reading to now was not observed. */
  private restored: boolean;

  constructor(cfg: CapacityConfig, opts: { state?: unknown; onEvent?: (e: CapacityEvent) => void } = {}) {
    this.cfg = { ...cfg };
    this.onEvent = opts.onEvent;
    this.st = readGuardState(opts.state) ?? { version: 1, period: null, last: null, month: null, baseLoadOver: false, baseLoadKW: 0, houseEmaW: null, houseLongW: null, houseVarW: 0, phasesUsed: {}, capOverride: null };
    this.restored = this.st.last !== null;
    const o = this.st.capOverride;
    if (o && o.baseKW === cfg.capKW) this.cfg.capKW = o.kW;
    else this.st.capOverride = null;
  }

  setConfig(cfg: CapacityConfig): void {
    const reset = cfg.periodMin !== this.cfg.periodMin || cfg.timeZone !== this.cfg.timeZone;
    this.cfg = { ...cfg };
    this.st.capOverride = null;
    if (reset) {
      this.st.period = null;
      this.st.month = null;
      // the new period's part before now counts at the last known power (as before a first reading), never as zero
      const last = this.st.last;
      if (last) {
        this.openPeriod(last.wallMs);
        this.chargeUnseen(this.st.period!.startMs, last.wallMs);
      }
    }
    this.published = null;
  }

  /** The flow action "set the cap to X kW": holds until the settings change (also across a restart). */
  setCapKW(kw: number): void {
    if (!(Number.isFinite(kw) && kw > 0)) throw new Error(`The cap must be a positive number of kW, got ${kw}`);
    const baseKW = this.st.capOverride?.baseKW ?? this.cfg.capKW;
    this.st.capOverride = { kW: kw, baseKW };
    this.cfg.capKW = kw;
  }

  /** The flow action "suspend the cap for this period": no ceiling until the running period ends. */
  suspendForPeriod(): void {
    if (this.st.period) this.st.period.suspended = true;
    this.published = null;
  }

  /** What the meter itself reports as this month's peak (kW), shown next to the guard's own figure. */
  setMeterPeakKW(kw: number | null): void {
    this.meterPeakKW = kw !== null && Number.isFinite(kw) ? kw : null;
  }

  private voltage(sample: PowerSample | null): number {
    const vs: number[] = [];
    for (const v of sample?.voltagesV ?? []) if (typeof v === 'number' && v > 100) vs.push(v);
    return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : (this.cfg.voltageV ?? DEFAULT_VOLTAGE_V);
  }

  observe(nowMs: number, wallMs: number, sample: MeterSample | null, chargers: readonly ChargerInput[]): void {
    const s = sample as PowerSample | null;
    const voltageV = this.voltage(s);
    s?.currentsA.forEach((a, g) => {
      if (a !== null && Number.isFinite(a)) this.phaseA[g] = a;
    });
    const powerW = s ? samplePowerW(s, voltageV, this.phaseA) : null;
    const monoStepMs = this.lastMonoMs === null || nowMs < this.lastMonoMs ? null : nowMs - this.lastMonoMs;
    this.lastMonoMs = nowMs;
    const draw = this.chargersDraw(chargers, voltageV);
    if (powerW !== null && this.st.last === null) {
      // the first reading: the part of the period before it counts at this power (never as zero), unseen; the
      // house's own part is without the chargers' draw
      this.openPeriod(wallMs);
      this.st.last = { wallMs, powerW, houseW: powerW - draw.knownW };
      this.chargeUnseen(this.st.period!.startMs, wallMs);
    }
    const sinceMs = this.st.last ? Math.max(0, wallMs - this.st.last.wallMs) : 0;
    this.advance(wallMs, monoStepMs);
    this.chargersNowW = draw.knownW;
    // a charger's current not known yet: the import runs on at the meter's last reading
    this.chargersSeenW = draw.unknown ? null : draw.knownW;
    if (powerW !== null) this.noteInterval(wallMs);
    if (powerW !== null && this.st.last) {
      const houseW = powerW - this.chargersNowW;
      this.smoothHouse(houseW, sinceMs);
      this.st.last = { wallMs, powerW, houseW };
    }
    this.rememberPhases(chargers);
    this.decide(wallMs, chargers, voltageV);
  }

  /** The chargers' draw (W), each unknown current at its last known value; `unknown` while a charger's current on a
   *  phase it is wired to has not been known since the start. */
  private chargersDraw(chargers: readonly ChargerInput[], voltageV: number): { knownW: number; unknown: boolean } {
    let unknown = false;
    const carried = chargers.map((ch) => {
      const prev = this.chargerA.get(ch.id);
      const a = ch.measuredA.map((x, k) => (x !== null && Number.isFinite(x) ? x : (prev?.[k] ?? null)));
      this.chargerA.set(ch.id, a);
      if (ch.enabled && !ch.externalPause && ch.phaseMap.some((g, k) => g !== null && a[k] === null)) unknown = true;
      return { ...ch, measuredA: a as Triple<number | null> };
    });
    return { knownW: chargersW(carried, voltageV), unknown };
  }

  private noteInterval(wallMs: number): void {
    const prev = this.lastReadingWallMs;
    this.lastReadingWallMs = wallMs;
    if (prev === null || wallMs <= prev) return;
    const s = Math.min(MAX_METER_S, (wallMs - prev) / 1000);
    this.meterIntervalS = this.meterIntervalS === null ? s : this.meterIntervalS + 0.2 * (s - this.meterIntervalS);
  }

  /** From a decision now to the balanced chargers drawing accordingly (ms): the slowest of them. */
  private reactionMs(chargers: readonly ChargerInput[]): number {
    let latencyS = 0;
    for (const ch of chargers) if (isBalanced(ch)) latencyS = Math.max(latencyS, LATENCY_S[ch.latencyClass] ?? LATENCY_S.cloud);
    return (latencyS + CAR_FOLLOW_S) * 1000;
  }

  private smoothHouse(houseW: number, sinceMs: number): void {
    const dtS = sinceMs / 1000;
    if (this.st.houseEmaW === null || this.st.houseLongW === null) {
      this.st.houseEmaW = houseW;
      this.st.houseLongW = houseW;
      return;
    }
    const a = 1 - Math.exp(-dtS / HOUSE_TAU_S);
    this.st.houseEmaW += a * (houseW - this.st.houseEmaW);
    this.st.houseLongW += (1 - Math.exp(-dtS / HOUSE_LONG_TAU_S)) * (houseW - this.st.houseLongW);
    const b = 1 - Math.exp(-dtS / HOUSE_VAR_TAU_S);
    this.st.houseVarW += b * (Math.abs(houseW - this.st.houseEmaW) - this.st.houseVarW);
  }

  private rememberPhases(chargers: readonly ChargerInput[]): void {
    for (const ch of chargers) {
      if (!ch.carConnected) delete this.st.phasesUsed[ch.id];
      else {
        const ps = drawingPhases(ch);
        if (ps.length) this.st.phasesUsed[ch.id] = ps;
      }
    }
  }

  private openPeriod(atMs: number): void {
    const p = periodAt(atMs, this.cfg.periodMin, this.cfg.timeZone);
    this.st.period = { startMs: p.startMs, endMs: p.endMs, importWh: 0, unseenWh: 0, houseWh: 0, latchedPause: false, warned: false, suspended: false };
    this.cuts = [];
    const mk = monthKey(p.startMs, this.cfg.timeZone);
    if (this.st.month?.month !== mk) this.st.month = emptyMonth(mk);
  }

  /** The import rate between two readings (W): the house's last reading + the chargers' draw as observed. */
  private importRateW(last: { powerW: number; houseW: number }): number {
    return Math.max(0, this.chargersSeenW === null ? last.powerW : last.houseW + this.chargersSeenW);
  }

  /** Integrates to `wallMs` at the house's last reading + the chargers' observed draw, closing each period it passes. */
  private advance(wallMs: number, monoStepMs: number | null): void {
    const last = this.st.last;
    if (!this.st.period || (!last && wallMs >= this.st.period.endMs)) this.openPeriod(wallMs);
    if (!last) return;
    if (wallMs < last.wallMs) {
      // the wall clock went back: nothing more to count; back into an earlier period, that one counts from its start
      // at the last known power (never as zero) and the one left is not recorded (the clock will reach it again)
      last.wallMs = wallMs;
      if (wallMs < this.st.period!.startMs || wallMs >= this.st.period!.endMs) {
        this.openPeriod(wallMs);
        this.chargeUnseen(this.st.period!.startMs, wallMs);
      }
      return;
    }
    const stepped = monoStepMs !== null && wallMs - last.wallMs > monoStepMs + WALL_STEP_MS;
    const unseen = this.restored || stepped || wallMs - last.wallMs > MAX_GAP_MS;
    this.restored = false;
    if (unseen) {
      this.skipUnseen(wallMs);
      return;
    }
    let t = last.wallMs;
    while (t < wallMs) {
      if (this.st.period!.endMs <= t) this.openPeriod(t); // one that ended before `t` (stored so): the one holding it
      const period = this.st.period!;
      const end = Math.min(wallMs, period.endMs);
      if (end <= t) break; // a period that does not move forward: stop, never spin
      const h = (end - t) / 3.6e6;
      period.importWh += this.importRateW(last) * h;
      period.houseWh += Math.max(0, last.houseW) * h;
      t = end;
      if (t >= period.endMs) {
        this.closePeriod(period);
        this.openPeriod(t);
      }
    }
    last.wallMs = wallMs;
  }

  /**
   * A stretch nobody observed (the app was down, or the wall clock stepped forward): the period it leaves is closed
   * with what was seen of it, the periods it passes over are not recorded (assume the worst: the month's peaks stay
   * as they were, the cap tight), and the running period's part of it counts at the last known power (never as
   * zero), in its budget only (`unseenWh`).
   */
  private skipUnseen(wallMs: number): void {
    const last = this.st.last!;
    const p = this.st.period!;
    if (wallMs < p.startMs || wallMs >= p.endMs) {
      if (last.wallMs >= p.startMs && last.wallMs < p.endMs) this.closePeriod(p);
      this.openPeriod(wallMs);
    }
    this.chargeUnseen(Math.max(this.st.period!.startMs, last.wallMs), wallMs);
    last.wallMs = wallMs;
  }

  /** Charges `fromMs`–`toMs` of the running period, not observed, at the last known power: budget, not record. */
  private chargeUnseen(fromMs: number, toMs: number): void {
    const p = this.st.period!;
    const last = this.st.last!;
    const h = Math.max(0, toMs - fromMs) / 3.6e6;
    const wh = this.importRateW(last) * h;
    p.importWh += wh;
    p.unseenWh += wh;
    p.houseWh += Math.max(0, last.houseW) * h;
  }

  private closePeriod(p: PeriodState): void {
    const hours = (p.endMs - p.startMs) / 3.6e6;
    // the month's record gets what was observed: an unseen stretch (at the last power) never raises a peak
    const averageKW = Math.max(0, p.importWh - p.unseenWh) / hours / 1000;
    const houseKW = p.houseWh / hours / 1000;
    const mk = monthKey(p.startMs, this.cfg.timeZone);
    if (this.st.month?.month !== mk) this.st.month = emptyMonth(mk);
    const month = this.st.month!;
    const cap = capInForce(month, this.cfg, p.startMs);
    const raised = recordPeriod(month, this.cfg, { startMs: p.startMs, averageKW: round(averageKW, 3) });
    if (raised && this.cfg.rule !== 'off') {
      // the hourly rules with 15-minute periods are raised by the hour this quarter-hour closed
      const peakKW = readsHours(this.cfg) ? (month.hourly?.last?.averageKW ?? averageKW) : averageKW;
      this.onEvent?.({ type: 'newMonthlyPeak', projectedKW: round(peakKW), capKW: round(cap ?? this.cfg.capKW), minutesLeft: 0, peakKW: round(peakKW) });
    }
    if (cap !== null) {
      this.st.baseLoadKW = houseKW;
      if (houseKW > cap) this.st.baseLoadOver = true;
      else if (houseKW < cap * BASE_LOAD_CLEAR) this.st.baseLoadOver = false;
    }
    this.published = null;
  }

  /** The cap in force for the running period (kW), or null when none is (off, suspended, an hour that does not count). */
  private capNowKW(): number | null {
    const p = this.st.period;
    if (!p || p.suspended || !this.st.month) return null;
    return capInForce(this.st.month, this.cfg, p.startMs);
  }

  private decide(wallMs: number, chargers: readonly ChargerInput[], voltageV: number): void {
    const capKW = this.capNowKW();
    const set = phaseSet(chargers, new Map(Object.entries(this.st.phasesUsed)), voltageV);
    const p = this.st.period;
    const last = this.st.last;
    if (capKW === null || !p || !last) {
      this.published = null;
      this.allowedW = Infinity;
      return;
    }
    const leftMs = Math.max(0, p.endMs - wallMs);
    const houseNowW = Math.max(last.houseW, this.st.houseEmaW ?? last.houseW);
    const houseUsualW = this.st.houseLongW ?? houseNowW;
    const periodMs = p.endMs - p.startMs;
    this.warnIfExceeding(capKW, this.houseEstimateW(houseNowW, houseUsualW, leftMs), leftMs, periodMs);
    if (!set) {
      this.published = null;
      this.allowedW = Infinity;
      return;
    }
    const floorW = set.floorW;
    const reactionMs = this.reactionMs(chargers);
    let mode: PlanMode;
    if (this.st.baseLoadOver) {
      mode = 'hold';
      this.allowedW = floorW;
    } else if (leftMs <= reactionMs && this.published) {
      // nothing decided now lands before the period ends: keep the last decision (no pause at the very end)
      return;
    } else {
      this.cuts = this.cuts.filter((c) => c.landsAtMs > wallMs);
      const r = plan({
        capW: capKW * 1000, periodMs, leftMs, importWh: p.importWh, houseNowW, houseUsualW, spikeMs: SPIKE_MS,
        houseVarW: this.st.houseVarW, chargersNowW: this.chargersNowW, reactionMs, meterMs: (this.meterIntervalS ?? DEFAULT_METER_S) * 1000,
        floorW, latchedPause: p.latchedPause,
        cuts: this.cuts.map((c) => ({ allowedW: c.allowedW, landsInMs: c.landsAtMs - wallMs })),
      });
      mode = r.mode;
      this.allowedW = r.allowedW;
      p.latchedPause = r.mode === 'pause';
      this.noteCut(r.allowedW, wallMs + reactionMs);
    }
    this.publish(ceilingA(this.allowedW, set, voltageV), mode, set, capKW);
  }

  /** A decision below what the chargers draw (and below the cuts on their way) is a cut that lands after the
   *  reaction time; a decision at or above their draw leaves none on its way. */
  private noteCut(allowedW: number, landsAtMs: number): void {
    const last = this.cuts[this.cuts.length - 1];
    if (allowedW >= this.chargersNowW) this.cuts = [];
    else if (!last || allowedW < last.allowedW) this.cuts.push({ allowedW, landsAtMs });
  }

  /** The house's own mean load over the time left (W): the usual load, plus a rise above it for SPIKE_MS of it. */
  private houseEstimateW(nowW: number, usualW: number, leftMs: number): number {
    return usualW + Math.max(0, nowW - usualW) * Math.min(1, SPIKE_MS / Math.max(1, leftMs));
  }

  private publish(next: Triple<number | null>, mode: PlanMode, set: PhaseSet, capKW: number): void {
    const phases = set.phases.join(',');
    const prev = this.published;
    const c = next[set.phases[0]] ?? 0;
    const pc = prev ? (prev.ceilingA[set.phases[0]] ?? 0) : 0;
    const keep = prev && prev.mode === mode && prev.phases === phases && c > pc - CUT_DEADBAND_A && c < pc + RAISE_DEADBAND_A;
    if (keep) return;
    this.published = { ceilingA: next, mode, phases, text: this.reasonFor(mode, capKW) };
  }

  private reasonFor(mode: PlanMode, capKW: number): Reason {
    const p = this.st.period!;
    const quarter = this.cfg.periodMin === 15;
    const values = { cap: round(capKW), until: local(p.endMs, this.cfg.timeZone).toFormat('HH:mm'), kw: round(this.allowedW / 1000, 1) };
    if (this.st.baseLoadOver) return reason('cap_base_over', values);
    if (mode === 'pause') return reason(quarter ? 'cap_pause_quarter' : 'cap_pause_hour', values);
    if (mode === 'hold') return reason('cap_hold', values);
    return reason(quarter ? 'cap_budget_quarter' : 'cap_budget_hour', values);
  }

  private warnIfExceeding(capKW: number, houseW: number, leftMs: number, periodMs: number): void {
    const p = this.st.period!;
    if (p.warned) return;
    const withoutChargersKW = (p.importWh + (Math.max(0, houseW) * leftMs) / 3.6e6) / (periodMs / 3.6e6) / 1000;
    if (withoutChargersKW <= capKW) return;
    p.warned = true;
    this.onEvent?.({ type: 'willExceed', projectedKW: round(withoutChargersKW), capKW: round(capKW), minutesLeft: round(leftMs / 60_000, 1) });
  }

  site(_nowMs?: number): SiteLimit | null {
    return this.published ? { ceilingA: [...this.published.ceilingA] as Triple<number | null>, ...said(this.published.text) } : null;
  }

  status(): CapacityStatus {
    const p = this.st.period;
    const last = this.st.last;
    const nowMs = last?.wallMs ?? p?.startMs ?? 0;
    const periodMs = p ? p.endMs - p.startMs : this.cfg.periodMin * 60_000;
    const elapsedH = p ? Math.max(0, nowMs - p.startMs) / 3.6e6 : 0;
    const leftMs = p ? Math.max(0, p.endMs - nowMs) : 0;
    const importWh = p?.importWh ?? 0;
    const capKW = this.capNowKW();
    const month = this.st.month ?? emptyMonth('');
    const projectedWh = importWh + (Math.max(0, last?.powerW ?? 0) * leftMs) / 3.6e6;
    const headroomW = Number.isFinite(this.allowedW) ? this.allowedW - this.chargersNowW : null;
    return {
      rule: this.cfg.rule,
      active: capKW !== null,
      suspended: p?.suspended ?? false,
      periodStartMs: p?.startMs ?? 0,
      periodEndMs: p?.endMs ?? 0,
      minutesLeft: round(leftMs / 60_000, 1),
      averageKW: round(elapsedH > 0 ? importWh / elapsedH / 1000 : Math.max(0, last?.powerW ?? 0) / 1000),
      projectedKW: round(projectedWh / (periodMs / 3.6e6) / 1000),
      capKW: round(capKW ?? this.cfg.capKW),
      headroomKW: headroomW === null ? round(Math.max(0, (capKW ?? this.cfg.capKW) * 1000 - Math.max(0, last?.powerW ?? 0)) / 1000) : round(headroomW / 1000),
      monthPeaks: countingPeaks(month, this.cfg),
      meterPeakKW: this.meterPeakKW,
      warning: this.warning(capKW),
    };
  }

  /** The figure the month is billed on so far under the rule (kW). */
  billedKW(): number {
    return this.st.month ? billedKW(this.st.month, this.cfg) : 0;
  }

  private warning(capKW: number | null): string | null {
    if (!this.st.baseLoadOver || capKW === null) return null;
    return `The cap (${round(capKW, 1)} kW) is below the house's own load (${round(this.st.baseLoadKW, 1)} kW): chargers held at their minimum`;
  }

  getState(): GuardState {
    return JSON.parse(JSON.stringify(this.st)) as GuardState;
  }
}
