/**
 * Solar charging as a `LimitSource` (lib/limits.ts): per charger in 'solar' or 'min+solar' a ceiling from the
 * surplus, 'off' a pause; the fuse and the capacity guard stay on top (the balancer takes the lowest).
 *
 * On every fresh meter sample the surplus (surplus.ts, the solar chargers' own draw added back) is shared out in
 * priority order; each charger keeps a smoothed figure (raises follow an exponential average of `smoothingS`,
 * decreases the latest sample at once) and, in 'solar', a start/stop state machine (startStop.ts):
 * - **start** when the smoothed surplus stays ≥ the car's minimum power (+ `startThresholdW`) for `enableDelayS`,
 *   the car has been off `minOffTimeS` and a start is left in its bucket (`maxStartsPerHour`, refilled continuously);
 * - **stop** when the surplus is below the minimum power (− `stopThresholdW`) and the grid energy the session
 *   borrowed passes its budget (`gridBudgetShare` of its energy + allowances) for `stopConfirmS`, or after
 *   `disableDelayS` below; until then it charges at its minimum (a cloud the session can afford does not stop it).
 * 'min+solar' never goes below the minimum (the fuse may still pause it). Unknown surplus (no sample for
 * `staleAfterS`, an unsigned meter without `powerW`) counts as none.
 *
 * `phaseWish(id)` asks a charger that can switch (go-e `psm`) for 1 phase when the surplus sits between a
 * 1-phase and a 3-phase start for `phaseDownDelayS`, or when the fuse leaves room for the minimum on one phase
 * but not on three; for 3 phases again when both allow it for `phaseUpDelayS`. The switch itself (pause, psm,
 * wait, resume, at most N per hour) is lib/phaseSwitch.ts, through the charger's actuator.
 */
import type { ChargerInput, MeterSample, Triple } from '../balancer/types';
import { GRID_PHASES } from '../balancer/types';
import type { ChargerLimit, ChargingMode, LimitSource } from '../limits';
import { DEFAULT_SOLAR_CONFIG, type SolarConfig, validateSolarConfig } from './config';
import { StartStop } from './startStop';
import { chargerDrawPerGridPhase, describeMeterSign, MeterSignDetector, NOMINAL_VOLTAGE_V, surplusOf, usableW, type MeterSignSetting, type Surplus } from './surplus';

export type SolarState = 'waiting' | 'charging' | 'stopping' | 'off';

/**
 * Why a charger gets what it gets, as a stable id and numbers: the UI translates it (lib/app/modeStatus.ts), the
 * balancer's events read `solarReason(cause)`, a short cause its sentences go on from ("…: paused Garage (needs 6 A)").
 */
export type SolarCauseId =
  | 'off'
  | 'solar_unknown'
  | 'solar_waiting'
  | 'solar_starting'
  | 'solar_start_limit'
  | 'solar_charging'
  | 'solar_stopping'
  | 'min_solar_surplus'
  | 'min_solar_minimum';

export interface SolarCause {
  id: SolarCauseId;
  /** The surplus the decision saw (W); null = unknown. */
  surplusW: number | null;
  /** The surplus a start needs (W): the car's minimum power + the start threshold. */
  neededW?: number;
  /** The car's minimum current (A). */
  minA?: number;
  /** Starts in the last hour (solar_start_limit). */
  starts?: number;
}

const kw = (w: number | null): string => (w === null ? 'unknown' : `${(Math.max(0, w) / 1000).toFixed(1)} kW`);

/** The English cause for logs and the balancer's events: short, so "<cause>: paused <name> (needs 6 A)" reads well. */
export function solarReason(c: SolarCause): string {
  switch (c.id) {
    case 'off':
      return 'Charging mode Off';
    case 'solar_unknown':
      return 'Solar only: surplus unknown';
    case 'solar_waiting':
      return `Solar only: ${kw(c.surplusW)} surplus, ${kw(c.neededW ?? null)} needed to start`;
    case 'solar_starting':
      return `Solar only: ${kw(c.surplusW)} surplus, starting soon`;
    case 'solar_start_limit':
      return `Solar only: ${c.starts ?? 0} starts in the last hour`;
    case 'solar_charging':
      return `Solar only: ${kw(c.surplusW)} surplus`;
    case 'solar_stopping':
      return `Solar only: ${kw(c.surplusW)} surplus, less than the car's minimum; pausing soon`;
    case 'min_solar_surplus':
      return `Min + solar: ${kw(c.surplusW)} surplus`;
    case 'min_solar_minimum':
      return c.surplusW === null ? 'Min + solar: surplus unknown, the minimum' : `Min + solar: ${kw(c.surplusW)} surplus, the minimum`;
  }
}

export interface SolarStatus {
  mode: ChargingMode;
  /** The smoothed surplus this charger may use (W, its own draw included); null = unknown. */
  surplusW: number | null;
  /** The ceiling it gets now (A; 0 = paused). */
  offeredA: number;
  phases: 1 | 3;
  state: SolarState;
  /** Why, as an id and numbers (for the UI to translate). */
  cause: SolarCause;
  /** The same in English (logs). */
  reason: string;
}

export interface SolarLimitOptions {
  modeOf: (id: string) => ChargingMode;
  config?: Partial<SolarConfig>;
  meterSigned?: MeterSignSetting;
  /** Whether the charger can switch between 1 and 3 phases (go-e V3/V4 with `psm`); default: none can. */
  canSwitchPhases?: (id: string) => boolean;
  /** The fuse, for the phase wish "room for the minimum on one phase but not on three"; absent: not used. */
  fuse?: () => { fuseA: number; marginA: number } | null;
  /** The phase count the charger reports it is forced to (go-e `psm` 1 or 2); null or absent: automatic or unknown. */
  forcedPhases?: (id: string) => 1 | 3 | null;
}

interface PerCharger {
  mode: ChargingMode;
  emaW: number | null;
  /** On one phase with per-phase balance: the smoothed surplus over all its wired phases (the wish back to three). */
  ema3W: number | null;
  lastW: number | null;
  atMs: number | null;
  /** Start and stop ('solar'): the state machine, its start budget and the session's borrowed energy. */
  ss: StartStop;
  offeredA: number;
  minA: number;
  /** Phases the car draws on now (measured), or the switch asked for, or the charger's wiring. */
  phases: 1 | 3;
  /** The car drew on one phase while the charger offered three, for SINGLE_PHASE_CONFIRM_MS: a 1-phase car, no switching helps. */
  singlePhaseCar: boolean;
  /** Since when the car has drawn on one phase while the charger offered three (ms); null: it does not now. */
  onePhaseSinceMs: number | null;
  /** The charger is known to offer three phases (it says so, a switch to three was made, or the car drew on three). */
  threeOffered: boolean;
  wish: 1 | 3 | null;
  phaseTimer: { to: 1 | 3; sinceMs: number } | null;
  cause: SolarCause;
}

const SOLAR_MODES: readonly ChargingMode[] = ['solar', 'min+solar'];
/**
 * A car is taken for a 1-phase car once it has drawn on one phase of three offered this long (ms): a single reading
 * (a car bringing its phases up one by one, a reading from before a switch to three) would end phase switching for
 * the whole session.
 */
const SINGLE_PHASE_CONFIRM_MS = 60_000;
/** The smoothed surplus within this of the latest sample is the sample (W). */
const SNAP_W = 0.5;

/** One step of the exponential average from `prev` towards `w` (null: unknown, it starts afresh). */
function follow(prev: number | null, w: number | null, alpha: number): number | null {
  if (w === null || prev === null) return w;
  const next = prev + alpha * (w - prev);
  // the average only nears a steady sample (one float step below it for good): snap, or a surplus of exactly the
  // car's minimum would never start it, and a car riding on it would count as below it
  return Math.abs(w - next) < SNAP_W ? w : next;
}

export class SolarLimitSource implements LimitSource {
  readonly id = 'solar';
  private config: SolarConfig;
  private readonly opts: SolarLimitOptions;
  private readonly detector = new MeterSignDetector();
  private readonly chargers = new Map<string, PerCharger>();
  private lastSampleMs: number | null = null;

  constructor(opts: SolarLimitOptions) {
    this.opts = opts;
    this.config = validateSolarConfig(opts.config ?? {}, DEFAULT_SOLAR_CONFIG);
  }

  getConfig(): SolarConfig {
    return { ...this.config };
  }

  /** Change the tuning (unknown or out-of-range fields throw one line naming the field). */
  setConfig(partial: Partial<SolarConfig>): void {
    this.config = validateSolarConfig(partial, this.config);
  }

  /** Whether the meter's currents are signed, and why we think so. */
  describeMeterSign(): { sign: 'signed' | 'unsigned' | 'unknown'; declared: boolean; text: string } {
    return describeMeterSign(this.opts.meterSigned ?? 'auto', this.detector);
  }

  observe(nowMs: number, _wallMs: number, sample: MeterSample | null, chargers: readonly ChargerInput[]): void {
    const solar = chargers.filter((c) => c.enabled && SOLAR_MODES.includes(this.opts.modeOf(c.id)));
    let surplus: Surplus | null = null;
    if (sample) {
      this.detector.observe(sample);
      this.lastSampleMs = nowMs;
      surplus = surplusOf(sample, this.describeMeterSign().sign, solar);
    }
    const claimedA: Triple<number> = [0, 0, 0];
    const ordered = [...chargers].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
    for (const ch of ordered) {
      const st = this.stateFor(ch, nowMs);
      this.trackPhases(st, ch, nowMs);
      if (!SOLAR_MODES.includes(st.mode)) {
        this.phaseStep(st, ch, nowMs, sample);
        continue;
      }
      const grid = this.gridPhases(ch, st.phases);
      const carW = ch.measuredA.reduce((sum: number, a) => sum + (typeof a === 'number' && a > 0 ? a : 0), 0) * NOMINAL_VOLTAGE_V;
      if (surplus) {
        // on one phase with per-phase balance the way back to three is judged over all three wired phases
        const threeW = st.phases === 1 && this.config.balance === 'per-phase' ? this.usable(surplus, claimedA, this.gridPhases(ch, 3)) : null;
        this.smooth(st, nowMs, this.usable(surplus, claimedA, grid), threeW);
        st.ss.account(nowMs, carW, st.lastW === null ? null : st.lastW + this.config.reserveW);
      }
      if (this.lastSampleMs === null || nowMs - this.lastSampleMs > this.config.staleAfterS * 1000) {
        st.emaW = null;
        st.ema3W = null;
        st.lastW = null;
        // a stale surplus counts as none: the car's draw is borrowed from the grid (the gap before it went stale too)
        st.ss.account(nowMs, carW, null);
      }
      this.decide(st, ch, nowMs);
      this.phaseStep(st, ch, nowMs, sample);
      // only a car that can draw claims its share: an unplugged or disabled charger leaves the surplus to the next
      const drawA = ch.enabled && ch.carConnected && (st.mode === 'min+solar' || st.ss.on) ? st.offeredA : 0;
      for (const g of grid) claimedA[g] += drawA;
    }
  }

  charger(_nowMs: number, input: ChargerInput): ChargerLimit | null {
    const mode = this.opts.modeOf(input.id);
    if (mode === 'off') return { maxA: 0, reason: solarReason({ id: 'off', surplusW: null }) };
    if (!SOLAR_MODES.includes(mode)) return null;
    const st = this.chargers.get(input.id);
    if (!st || st.mode !== mode) {
      return mode === 'solar'
        ? { maxA: 0, reason: solarReason({ id: 'solar_unknown', surplusW: null }) }
        : { maxA: input.minCurrentA, reason: solarReason({ id: 'min_solar_minimum', surplusW: null, minA: input.minCurrentA }) };
    }
    const reason = solarReason(st.cause);
    if (mode === 'min+solar') return { maxA: Math.max(input.minCurrentA, st.offeredA), reason };
    return { maxA: st.ss.on ? Math.max(input.minCurrentA, st.offeredA) : 0, reason };
  }

  /** What the UI shows for one charger; null for a charger never seen. */
  status(id: string): SolarStatus | null {
    const st = this.chargers.get(id);
    if (!st) return null;
    const mode = this.opts.modeOf(id);
    let state: SolarState = 'off';
    if (mode === 'min+solar') state = 'charging';
    else if (mode === 'solar') state = st.ss.on ? (st.ss.timerMs !== null ? 'stopping' : 'charging') : 'waiting';
    const offeredA = mode === 'min+solar' ? Math.max(st.minA, st.offeredA) : mode === 'solar' && st.ss.on ? Math.max(st.minA, st.offeredA) : 0;
    const cause: SolarCause = mode === 'off' ? { id: 'off', surplusW: null } : st.mode === mode ? st.cause : { id: mode === 'solar' ? 'solar_unknown' : 'min_solar_minimum', surplusW: null, minA: st.minA };
    return { mode, surplusW: st.emaW === null ? null : Math.round(st.emaW), offeredA, phases: st.phases, state, cause, reason: solarReason(cause) };
  }

  /** The phase count this charger should switch to, or null (no switch wanted, or it cannot switch). */
  phaseWish(id: string): 1 | 3 | null {
    const st = this.chargers.get(id);
    if (!st || !this.opts.canSwitchPhases?.(id) || st.singlePhaseCar) return null;
    return st.wish !== null && st.wish !== st.phases ? st.wish : null;
  }

  /** The charger now runs on `phases` (the switch completed); the wish is fulfilled. */
  notePhases(id: string, phases: 1 | 3): void {
    const st = this.chargers.get(id);
    if (!st) return;
    st.phases = phases;
    st.threeOffered = phases === 3;
    st.phaseTimer = null;
  }

  // ---- internals -------------------------------------------------------------------------------

  private stateFor(ch: ChargerInput, nowMs: number): PerCharger {
    const mode = this.opts.modeOf(ch.id);
    let st = this.chargers.get(ch.id);
    if (!st) {
      // a fresh source (an app restart, a new meter sign) takes the phase count the charger reports: a go-e left on one
      // phase is on one, not on its wiring's three (its car on L1 only would read as a 1-phase car for the session)
      const wired = ch.phaseMap.filter((g) => g !== null).length === 1 ? 1 : 3;
      const forced = wired === 3 ? (this.opts.forcedPhases?.(ch.id) ?? null) : null;
      st = {
        mode,
        emaW: null,
        ema3W: null,
        lastW: null,
        atMs: null,
        ss: new StartStop(),
        offeredA: 0,
        minA: ch.minCurrentA,
        phases: forced ?? wired,
        singlePhaseCar: false,
        onePhaseSinceMs: null,
        threeOffered: false,
        wish: null,
        phaseTimer: null,
        cause: { id: 'solar_unknown', surplusW: null },
      };
      this.chargers.set(ch.id, st);
    }
    if (st.mode !== mode) {
      // a new mode starts afresh: a car switched to 'solar' starts only after the enable delay
      st.mode = mode;
      st.ss.reset(nowMs, false);
    }
    st.minA = ch.minCurrentA;
    if (!ch.carConnected) {
      st.singlePhaseCar = false;
      st.onePhaseSinceMs = null;
      st.ss.reset(nowMs, true);
    }
    return st;
  }

  /** The car's phases from its own measurement while it draws. */
  private trackPhases(st: PerCharger, ch: ChargerInput, nowMs: number): void {
    const forced = this.opts.forcedPhases?.(ch.id) ?? null;
    if (forced !== null) st.threeOffered = forced === 3;
    const drawing = ch.measuredA.filter((a) => typeof a === 'number' && a >= 1).length;
    if (drawing === 0) {
      st.onePhaseSinceMs = null;
      return;
    }
    const wired = ch.phaseMap.filter((g) => g !== null).length;
    const n: 1 | 3 = drawing === 1 ? 1 : 3;
    // a 1-phase car only where the charger surely offered three: never while it is forced to one, nor on the
    // wiring's assumption alone (a go-e left on one phase before a restart); and only once it stays so
    if (n === 1 && wired > 1 && st.threeOffered && forced !== 1 && st.wish !== 1) {
      st.onePhaseSinceMs ??= nowMs;
      if (nowMs - st.onePhaseSinceMs >= SINGLE_PHASE_CONFIRM_MS) st.singlePhaseCar = true;
    } else {
      st.onePhaseSinceMs = null;
    }
    if (n === 3) st.threeOffered = true;
    st.phases = n;
  }

  /** Grid phases (indexes) the car draws on with `phases` phases. */
  private gridPhases(ch: ChargerInput, phases: 1 | 3): number[] {
    const wired = ch.phaseMap.map((g) => (g ? GRID_PHASES.indexOf(g) : -1));
    if (phases === 3) return wired.filter((g) => g >= 0);
    const k = ch.measuredA.findIndex((a) => typeof a === 'number' && a >= 1);
    const g = k >= 0 ? wired[k] : wired.find((x) => x >= 0);
    return g !== undefined && g >= 0 ? [g] : [];
  }

  /** What this charger may use of the surplus after those served before it claimed theirs (W), less the reserve. */
  private usable(s: Surplus, claimedA: Triple<number>, grid: number[]): number | null {
    const claimedW = claimedA.reduce((sum, a, g) => sum + a * s.voltsV[g], 0);
    const left: Surplus = {
      netW: s.netW === null ? null : s.netW - claimedW,
      phaseA: s.phaseA.map((a, g) => (a === null ? null : a - claimedA[g])) as Triple<number | null>,
      voltsV: s.voltsV,
    };
    const w = usableW(left, grid, this.config.balance);
    return w === null ? null : w - this.config.reserveW;
  }

  /** `w`: what the car may use on its phases; `threeW`: over all its wired phases (per-phase balance on one phase). */
  private smooth(st: PerCharger, nowMs: number, w: number | null, threeW: number | null): void {
    const dtS = st.atMs === null ? Infinity : Math.max(0, (nowMs - st.atMs) / 1000);
    const tau = this.config.smoothingS;
    const alpha = tau <= 0 ? 1 : 1 - Math.exp(-dtS / tau);
    st.emaW = follow(st.emaW, w, alpha);
    st.ema3W = follow(st.ema3W, threeW, alpha);
    st.lastW = w;
    st.atMs = nowMs;
  }

  private decide(st: PerCharger, ch: ChargerInput, nowMs: number): void {
    const c = this.config;
    const volts = NOMINAL_VOLTAGE_V;
    const minW = ch.minCurrentA * st.phases * volts;
    const emaW = st.emaW ?? 0;
    const effW = Math.min(emaW, st.lastW ?? 0);
    const fitA = Math.floor(effW / (volts * st.phases) + 1e-9);
    st.offeredA = Math.max(ch.minCurrentA, Math.min(ch.maxCurrentA, fitA));
    const known = st.emaW !== null;
    const neededW = minW + c.startThresholdW;
    if (st.mode === 'min+solar') {
      st.cause = fitA >= ch.minCurrentA ? { id: 'min_solar_surplus', surplusW: effW } : { id: 'min_solar_minimum', surplusW: known ? effW : null, minA: ch.minCurrentA };
      return;
    }
    const verdict = st.ss.step(nowMs, c, { startW: known ? emaW : null, stayW: effW, neededW, minW: minW - c.stopThresholdW, connected: ch.carConnected });
    if (!known) {
      // a car still charging (at its minimum, until its grid budget is spent) is not shown "0 kW surplus"
      st.cause = { id: 'solar_unknown', surplusW: null, neededW, minA: ch.minCurrentA };
      return;
    }
    switch (verdict) {
      case 'waiting':
        st.cause = { id: 'solar_waiting', surplusW: st.ss.on ? effW : emaW, neededW };
        return;
      case 'starting':
        st.cause = { id: 'solar_starting', surplusW: emaW, neededW };
        return;
      case 'start_limit':
        st.cause = { id: 'solar_start_limit', surplusW: emaW, starts: st.ss.starts.length };
        return;
      case 'stopping':
        st.cause = { id: 'solar_stopping', surplusW: effW, neededW: minW, minA: ch.minCurrentA };
        return;
      case 'charging':
        st.cause = { id: 'solar_charging', surplusW: effW };
    }
  }

  /** Phase wishes: surplus between a 1- and a 3-phase start, or the fuse's room for 1 phase but not 3. */
  private phaseStep(st: PerCharger, ch: ChargerInput, nowMs: number, sample: MeterSample | null): void {
    if (!this.opts.canSwitchPhases?.(ch.id) || st.singlePhaseCar || st.mode === 'off' || st.mode === 'planned' || !ch.carConnected) {
      st.phaseTimer = null;
      return;
    }
    const c = this.config;
    const min1W = ch.minCurrentA * NOMINAL_VOLTAGE_V;
    const min3W = 3 * min1W;
    const room = this.fuseRoomA(ch, sample);
    let want: 1 | 3 | null = null;
    if (room && room.three < ch.minCurrentA && room.one >= ch.minCurrentA) want = 1;
    else if (SOLAR_MODES.includes(st.mode) && st.emaW !== null) {
      const w = st.emaW;
      const fuseAllows3 = !room || room.three >= ch.minCurrentA + 1;
      if (st.phases === 3 && w < min3W && (st.mode === 'min+solar' || w >= min1W)) want = 1;
      else if (st.phases === 1 && (st.ema3W ?? w) >= min3W + c.phaseUpHysteresisW && fuseAllows3) want = 3;
    } else if (st.phases === 1 && room && room.three >= ch.minCurrentA + 1) want = 3;
    if (want === null || want === st.phases) {
      // a wish that no longer holds is dropped (not executed later, when the switch budget allows)
      st.phaseTimer = null;
      st.wish = null;
      return;
    }
    if (st.phaseTimer?.to !== want) st.phaseTimer = { to: want, sinceMs: nowMs };
    const delayS = want === 1 ? c.phaseDownDelayS : c.phaseUpDelayS;
    if (nowMs - st.phaseTimer.sinceMs >= delayS * 1000) st.wish = want;
  }

  /**
   * Room the fuse leaves this charger (A): on one phase (the grid phase its phase 1 is wired to: a go-e charges on its
   * own L1 on one phase) and on all three; null without a fuse. The balancer's headroom: fuse − margin − (phase
   * current − own draw), so an exporting phase has more room, not less.
   */
  private lastRoom = new Map<string, { one: number; three: number }>();
  private fuseRoomA(ch: ChargerInput, sample: MeterSample | null): { one: number; three: number } | null {
    const fuse = this.opts.fuse?.();
    if (!fuse) return null;
    if (!sample) return this.lastRoom.get(ch.id) ?? null;
    const own = chargerDrawPerGridPhase(ch);
    const roomOf = (g: number): number => {
      const a = sample.currentsA[g];
      return typeof a === 'number' ? fuse.fuseA - fuse.marginA - (a - own[g]) : 0;
    };
    const wired = ch.phaseMap.map((g) => (g ? GRID_PHASES.indexOf(g) : -1)).filter((g) => g >= 0);
    if (!wired.length) return null;
    const first = ch.phaseMap[0];
    const room = { one: first ? roomOf(GRID_PHASES.indexOf(first)) : 0, three: Math.min(...wired.map(roomOf)) };
    this.lastRoom.set(ch.id, room);
    return room;
  }
}
