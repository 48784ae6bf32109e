/**
 * Per-phase load balancer: keeps every grid phase under the main fuse by lowering, pausing, restoring
 * and resuming EV chargers. Pure (no Homey, no timers, no I/O); time is the `nowMs` passed to `step`.
 *
 * ## How it works
 * `step(nowMs, sample, chargers)` is called on every meter sample and periodically with `sample = null`
 * (a tick) so that a silent meter is noticed. It returns commands (`setCurrentLimit`, `pause`, `resume`),
 * readable events, and the per-phase picture.
 *
 * 1. **Fresh samples only.** A sample is fresh when its `seq` (if given) or else its `timeMs` is newer
 *    than the last one; repeats and old samples are ignored for decisions, so polling faster than the
 *    meter never ramps twice on one telegram (no sawtooth). A `seq` that goes down while `timeMs` goes
 *    up is a meter restart, and a `timeMs` more than 30 min behind is a meter clock reset; both count as fresh.
 * 2. **Bad values.** A phase value that is null, not finite, or beyond ±(2 × fuse + 100) A is ignored
 *    for that sample (treated as missing); the last good value of that phase is kept until it is
 *    `staleAfterS` old. A missing phase never lets a charger that uses it be raised or resumed.
 *    In-range spikes are acted on (one sample of a real overload looks the same): the charger is cut or
 *    paused at once, but a pause lasts only until headroom has been back for `resumeWindowS`, so a
 *    one-sample spike never pauses anything for longer than that window.
 * 3. **Headroom per grid phase** = fuse − margin − (measured − the balanced chargers' own draw on that
 *    phase). Each charger's per-phase measurement is mapped through its `phaseMap` onto grid phases.
 *    Disabled chargers, chargers without a car and chargers the user paused are not balanced: their draw
 *    stays part of the house load.
 * 4. **Phases the car uses.** Until the car draws (strongest phase ≥ 2 A) every mapped phase is assumed.
 *    Then each charger phase carrying ≥ 1 A counts; the set only grows during a session (a 3-phase
 *    charger with a 1-phase car then loads one grid phase) and is forgotten when the car leaves.
 * 5. **Sharing.** Chargers that cannot all get their minimum on some phase are paused lowest `priority`
 *    first. The rest start at their minimum and are raised 1 A at a time, always the one with the lowest
 *    current first (ties: higher priority first), as long as every phase it uses still fits: a max–min
 *    fair share, with leftover amps going by priority. Limits are whole amps.
 * 6. **Down fast, up slowly.** A decrease (or pause) is applied in one step on the fresh sample that
 *    needs it. A raise is at most `restoreStepA`, only after `restoreHoldS` since the charger's last
 *    change and `cloudWriteIntervalS` / `localWriteIntervalS` since its last raise, and never above the
 *    headroom or `maxCurrentA`. A limit is never repeated, except to a charger that still reports a
 *    higher limit (or not paused) max(30 s, 2 write intervals) after it was told: then once per such period.
 *    A cloud charger acts ~20 s after a decision (its command latency plus the car's), so a raise (or a
 *    session's starting limit) for it must also fit under the household's highest current of the last
 *    `cloudRaiseWindowS`, with `cloudRaiseReserveA` to spare: a load that just switched off for a moment
 *    (an oven or a kettle cycling) does not invite a raise that the load's return would turn into an
 *    overload the charger cannot undo for 20 s. Decreases never wait for this.
 * 7. **Pause and resume.** Below the minimum the charger is paused. It resumes (at its minimum) only
 *    when headroom ≥ min + `resumeHysteresisA` (counting every running charger at its minimum) has held on
 *    every fresh sample for `resumeWindowS`.
 * 8. **Stale meter** (per phase): a phase without a good value for `staleAfterS` holds every charger
 *    using it at its minimum (event `meterStale`); for `pauseAfterS` it pauses them. Nothing is raised on
 *    stale data; when data returns, chargers restore in steps and resume after the resume window.
 * 9. **Session start.** When a car connects, the charger starts at min(max, what fits with all mapped
 *    phases assumed), never blindly at its maximum, then restores in steps; this also ends a pause left
 *    over from the previous session, but only on a sample with a good value on every phase it uses (on
 *    stale or incomplete data a running charger is held at its minimum, a paused one stays paused). A charger we take over (start-up, restart, re-enabled, resumed by
 *    the user) keeps the lower of its reported limit and the saved one and is not raised before
 *    `restoreHoldS`; one reporting a limit below its minimum gets a proper start on the next fresh sample.
 *    A charger the user paused (reports paused although we did not pause it) is left alone.
 * 10. **Unresolved overload.** A phase that stays above fuse − margin for `overloadUnresolvedAfterS`
 *    after the last reduction on it, while every balanced charger on it is paused or at its minimum,
 *    raises one `overloadUnresolved` event (something else must be switched off).
 *
 * The clock may jump: if `nowMs` goes back, every remembered time moves with it, so staleness and
 * hold timers keep running.
 *
 * Limits: the headroom subtracts each charger's own reported draw, so it is only as good as that
 * reading. A charger reading older than the meter's (a cloud charger's ~30 s) can briefly hide
 * headroom (an extra cut) or show too much (held back by `restoreHoldS`, and cut on the next fresh
 * sample). Draw readings are capped at the charger's max(limit, max) + 2 A so a bogus value cannot
 * invent headroom.
 *
 * ## Settings (`BalancerConfig`, see `validateBalancerConfig`)
 * - `fuseA` main fuse per phase (A). `marginA` stay this far below it (A).
 * - `restoreStepA` largest single raise (A); `restoreHoldS` wait after any change before a raise (s).
 * - `staleAfterS` no good meter value this long: chargers to minimum; `pauseAfterS` (> staleAfterS): pause.
 * - `resumeWindowS` headroom must hold this long before a paused charger resumes;
 *   `resumeHysteresisA` headroom needed above the minimum current to resume.
 * - `cloudWriteIntervalS` / `localWriteIntervalS` at most one raise per interval per charger (decreases
 *   are never delayed).
 * - `cloudRaiseWindowS` / `cloudRaiseReserveA` how far back and how much further below the limit a raise
 *   of a cloud charger looks (see 6).
 * - `overloadUnresolvedAfterS` (optional, default 60) see 10.
 *
 * State: `getState()` returns a small JSON snapshot (limits, who paused, session phases); after a
 * restart `restoreState()` continues from it: no charger is raised above the lower of its saved and its
 * reported limit, and every hold timer starts afresh.
 */
import { UserInputError } from '../errors';
import {
  DEFAULT_BALANCER_CONFIG,
  DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S,
  GRID_PHASES,
  type BalancerChargerState,
  type BalancerCommand,
  type BalancerConfig,
  type BalancerEvent,
  type BalancerOutput,
  type BalancerState,
  type ChargerInput,
  type GridPhase,
  type MeterSample,
  type Triple,
} from './types';

const EPS = 1e-6;
/** A charger phase carrying at least this much is in use by the car (A). */
const PHASE_IN_USE_A = 1;
/** The car is really drawing once its strongest phase carries this much (A): phase detection starts. */
const CAR_DRAWING_A = 2;
/** A meter timestamp this far behind the last one is a meter clock reset, not an old sample. */
const METER_CLOCK_RESET_MS = 30 * 60_000;
/**
 * After a raise or a start, a charger reading older than this (local / cloud) may not show the car
 * following yet: a rise at the meter on its phases is then counted as its own, up to its new limit.
 */
const FOLLOW_MS = { local: 10_000, cloud: 60_000 } as const;
/** An overload whose only cuttable amps are a cut not yet confirmed is reported this soon after the cut (ms). */
const UNCONFIRMED_ALARM_MS = 45_000;

interface Memo {
  /** Limit wanted now (A); 0 = paused by the balancer. */
  allowedA: number;
  pausedByBalancer: boolean;
  sessionPhaseMask: number;
  carConnected: boolean;
  /** Balanced in the previous step. */
  controlled: boolean;
  /** The car just connected: the first decision picks a starting limit. */
  sessionStart: boolean;
  /** Came from restoreState and has not been balanced since. */
  restored: boolean;
  /** The last target handed out (0 = pause), or what it reported when we took over; null = unknown. */
  sentA: number | null;
  lastChangeMs: number;
  lastIncreaseMs: number;
  resumeOkSinceMs: number | null;
  /** The last change of limit: when, to what, up or down, and the meter per grid phase then (see FOLLOW_MS). */
  move: { atMs: number; toA: number; up: boolean; meterA: Triple<number | null> } | null;
}

/** One balanced charger during one step. */
interface Work {
  input: ChargerInput;
  memo: Memo;
  /** How many of the charger's in-use phases sit on each grid phase. */
  w: Triple<number>;
  minA: number;
  maxA: number;
  capA: number;
  newA: number;
  writeIntervalMs: number;
  /** The oldest grid phase it uses without a good value for staleAfterS / pauseAfterS (-1 = none). */
  stalePhase: number;
  deadPhase: number;
  /** Grid phase index that decided this step (-1 = none) and the reason text, when not derived. */
  phase: number;
  why: string | null;
  /** A new session on a paused charger without complete fresh data: decide on a later sample. */
  waitStart: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Configuration

type NumericKey = {
  [K in keyof BalancerConfig]-?: BalancerConfig[K] extends number | undefined ? K : never;
}[keyof BalancerConfig];

const FIELDS: { key: NumericKey; unit: string; min: number; minInclusive: boolean; max: number }[] = [
  { key: 'fuseA', unit: 'A', min: 0, minInclusive: false, max: 1000 },
  { key: 'marginA', unit: 'A', min: 0, minInclusive: true, max: 1000 },
  { key: 'restoreStepA', unit: 'A', min: 0, minInclusive: false, max: 100 },
  { key: 'restoreHoldS', unit: 's', min: 0, minInclusive: true, max: 86_400 },
  { key: 'staleAfterS', unit: 's', min: 0, minInclusive: false, max: 86_400 },
  { key: 'pauseAfterS', unit: 's', min: 0, minInclusive: false, max: 86_400 },
  { key: 'resumeWindowS', unit: 's', min: 0, minInclusive: true, max: 86_400 },
  { key: 'resumeHysteresisA', unit: 'A', min: 0, minInclusive: true, max: 100 },
  { key: 'cloudWriteIntervalS', unit: 's', min: 0, minInclusive: true, max: 86_400 },
  { key: 'localWriteIntervalS', unit: 's', min: 0, minInclusive: true, max: 86_400 },
  { key: 'cloudRaiseWindowS', unit: 's', min: 0, minInclusive: true, max: 3_600 },
  { key: 'cloudRaiseReserveA', unit: 'A', min: 0, minInclusive: true, max: 100 },
  { key: 'overloadUnresolvedAfterS', unit: 's', min: 0, minInclusive: true, max: 86_400 },
];

/** Thrown by `validateBalancerConfig`: `field` is the first bad field, `problems` has one line per bad field. */
export class BalancerConfigError extends UserInputError {
  readonly problems: { field: string; message: string }[];
  constructor(problems: { field: string; message: string }[]) {
    const [first, ...rest] = problems;
    super(first.field, [first.message, ...rest.map((p) => `${p.field}: ${p.message}`)].join('; '));
    this.name = 'BalancerConfigError';
    this.problems = problems;
  }
}

/**
 * Check a (partial) config from settings or a flow card and fill the defaults. Numbers may come as
 * numeric strings. Throws `BalancerConfigError` (a `UserInputError`) listing every bad field.
 */
export function validateBalancerConfig(partial: unknown): BalancerConfig {
  if (partial === undefined || partial === null) partial = {};
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    throw new UserInputError('balancer', 'expected an object with the balancer settings');
  }
  const src = partial as Record<string, unknown>;
  const out: BalancerConfig = { ...DEFAULT_BALANCER_CONFIG, overloadUnresolvedAfterS: DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S };
  const problems: { field: string; message: string }[] = [];
  const bad = new Set<string>();
  for (const f of FIELDS) {
    const raw = src[f.key];
    if (raw === undefined) continue;
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const range = `${f.minInclusive ? 'at least' : 'more than'} ${f.min} ${f.unit} and at most ${f.max} ${f.unit}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push({ field: f.key, message: `expected a number of ${f.unit} (${range}), got ${JSON.stringify(raw)}` });
      bad.add(f.key);
    } else if (v > f.max || (f.minInclusive ? v < f.min : v <= f.min)) {
      problems.push({ field: f.key, message: `must be ${range}, got ${v}` });
      bad.add(f.key);
    } else {
      out[f.key] = v;
    }
  }
  if (!bad.has('marginA') && !bad.has('fuseA') && out.marginA >= out.fuseA) {
    problems.push({ field: 'marginA', message: `must be less than the fuse (${out.fuseA} A), got ${out.marginA} A` });
  }
  if (!bad.has('pauseAfterS') && !bad.has('staleAfterS') && out.pauseAfterS <= out.staleAfterS) {
    problems.push({
      field: 'pauseAfterS',
      message: `must be longer than staleAfterS (${out.staleAfterS} s): first hold at minimum, then pause; got ${out.pauseAfterS} s`,
    });
  }
  if (problems.length) throw new BalancerConfigError(problems);
  return out;
}

// ---------------------------------------------------------------------------------------------------

function fmt(a: number): string {
  return String(Math.round(a * 10) / 10);
}

function staleWhy(g: number, ageMs: Triple<number>): string {
  return `No fresh meter data for ${GRID_PHASES[g]} for ${Math.round(ageMs[g] / 1000)} s`;
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export class Balancer {
  private cfg: BalancerConfig;
  private readonly memos = new Map<string, Memo>();
  private startMs: number | null = null;
  private lastNowMs: number | null = null;
  private lastTimeMs: number | null = null;
  private lastSeq: number | null = null;
  /** Last good house current per grid phase and when (step time) it arrived. */
  private readonly phaseA: Triple<number | null> = [null, null, null];
  private readonly phaseAtMs: Triple<number> = [NaN, NaN, NaN];
  private staleReported = false;
  private readonly overSinceMs: Triple<number | null> = [null, null, null];
  private readonly overReported: Triple<boolean> = [false, false, false];
  private readonly lastPhaseDecreaseMs: Triple<number> = [-Infinity, -Infinity, -Infinity];
  /** Household current (measured − balanced chargers' draw) per phase on fresh samples of the last cloudRaiseWindowS. */
  private readonly houseHist: Triple<{ atMs: number; a: number }[]> = [[], [], []];

  constructor(config: BalancerConfig) {
    this.cfg = validateBalancerConfig(config);
  }

  setConfig(config: BalancerConfig): void {
    this.cfg = validateBalancerConfig(config);
  }

  getConfig(): BalancerConfig {
    return { ...this.cfg };
  }

  getState(): BalancerState {
    const chargers: Record<string, BalancerChargerState> = {};
    for (const [id, m] of this.memos) {
      chargers[id] = {
        allowedA: m.allowedA,
        pausedByBalancer: m.pausedByBalancer,
        sessionPhaseMask: m.sessionPhaseMask,
        carConnected: m.carConnected,
      };
    }
    return { version: 1, chargers };
  }

  /** Continue from a snapshot. Malformed entries are skipped (persisted data is not trusted). */
  restoreState(state: BalancerState): void {
    if (!state || typeof state !== 'object' || state.version !== 1 || !state.chargers || typeof state.chargers !== 'object') {
      return;
    }
    for (const [id, s] of Object.entries(state.chargers)) {
      if (!s || typeof s !== 'object') continue;
      const allowedA = finiteOr(s.allowedA, -1);
      if (allowedA < 0 || allowedA > 1000) continue;
      const m = newMemo(-Infinity);
      m.allowedA = Math.floor(allowedA);
      m.pausedByBalancer = s.pausedByBalancer === true;
      m.sessionPhaseMask = Number.isInteger(s.sessionPhaseMask) ? s.sessionPhaseMask & 7 : 0;
      m.carConnected = s.carConnected === true;
      m.restored = true;
      this.memos.set(id, m);
    }
  }

  step(nowMs: number, sample: MeterSample | null, chargers: ChargerInput[]): BalancerOutput {
    const cfg = this.cfg;
    if (this.startMs === null) this.startMs = nowMs;
    if (this.lastNowMs !== null && nowMs < this.lastNowMs) this.shiftTimes(nowMs - this.lastNowMs);
    this.lastNowMs = nowMs;
    const commands: BalancerCommand[] = [];
    const events: BalancerEvent[] = [];
    const limitA = cfg.fuseA - cfg.marginA;

    // 1. The meter.
    const present: Triple<boolean> = [false, false, false];
    const fresh = sample !== null && this.acceptSample(nowMs, sample, present);
    const staleMs = cfg.staleAfterS * 1000;
    const ageMs: Triple<number> = [0, 0, 0];
    const known: Triple<boolean> = [false, false, false];
    for (let g = 0; g < 3; g++) {
      const at = this.phaseAtMs[g];
      ageMs[g] = nowMs - (Number.isNaN(at) ? this.startMs : at);
      known[g] = this.phaseA[g] !== null && ageMs[g] < staleMs;
    }

    // 2. The chargers: who is balanced, which phases they load, their own draw.
    const work: Work[] = [];
    const ownDraw: Triple<number> = [0, 0, 0];
    /** Meter rise per grid phase already counted as some charger's own (see ownDrawEstimate). */
    const attributed: Triple<number> = [0, 0, 0];
    const allowedOut: Record<string, number> = {};
    const targets: Record<string, number | null> = {};
    let usedGrid = 0;
    for (const input of chargers) {
      if (!input.enabled) {
        const m = this.memos.get(input.id);
        if (m) m.controlled = false;
        continue;
      }
      for (let k = 0; k < 3; k++) {
        const g = input.phaseMap[k];
        if (g) usedGrid |= 1 << GRID_PHASES.indexOf(g);
      }
      allowedOut[input.id] = 0;
      const item = this.prepare(nowMs, input);
      if (!item) continue;
      work.push(item);
      const capDraw = Math.max(item.maxA, finiteOr(input.currentLimitA, 0)) + 2;
      const drawA = this.ownDrawEstimate(nowMs, item, attributed);
      for (let g = 0; g < 3; g++) ownDraw[g] += Math.min(drawA[g], capDraw * Math.max(1, item.w[g]));
    }
    if (usedGrid === 0) usedGrid = 7;

    const avail: Triple<number> = [NaN, NaN, NaN];
    const cloudAvail: Triple<number> = [NaN, NaN, NaN];
    const measuredOut: Triple<number | null> = [null, null, null];
    const headroomOut: Triple<number | null> = [null, null, null];
    const windowStartMs = nowMs - cfg.cloudRaiseWindowS * 1000;
    for (let g = 0; g < 3; g++) {
      const hist = this.houseHist[g];
      while (hist.length && hist[0].atMs < windowStartMs) hist.shift();
      if (!known[g]) continue;
      const v = this.phaseA[g] as number;
      const houseA = v - ownDraw[g];
      avail[g] = limitA - houseA;
      measuredOut[g] = v;
      headroomOut[g] = avail[g];
      if (present[g]) hist.push({ atMs: nowMs, a: houseA });
      let peakA = houseA;
      for (const h of hist) if (h.a > peakA) peakA = h.a;
      cloudAvail[g] = limitA - peakA - cfg.cloudRaiseReserveA;
    }

    // 3. Decide.
    const pauseMs = cfg.pauseAfterS * 1000;
    for (const it of work) {
      for (let g = 0; g < 3; g++) {
        if (!it.w[g]) continue;
        if (ageMs[g] >= pauseMs) {
          if (it.deadPhase < 0 || ageMs[g] > ageMs[it.deadPhase]) it.deadPhase = g;
        } else if (ageMs[g] >= staleMs && (it.stalePhase < 0 || ageMs[g] > ageMs[it.stalePhase])) it.stalePhase = g;
      }
    }
    if (fresh) {
      this.allocate(nowMs, work, avail, cloudAvail, known, present, ageMs);
      this.coverUnconfirmed(nowMs, work, avail, cloudAvail, known, present, ageMs);
    } else this.holdOnStale(work, ageMs);
    for (const item of work) {
      this.apply(nowMs, item, avail, events);
      this.emit(item, commands);
      allowedOut[item.input.id] = item.memo.sessionStart ? 0 : item.memo.allowedA;
      targets[item.input.id] = item.memo.sessionStart ? null : item.memo.allowedA;
    }

    // 4. Meter stale and unresolved overload.
    let staleNow = false;
    const stalePhases: GridPhase[] = [];
    for (let g = 0; g < 3; g++) {
      if (usedGrid & (1 << g) && ageMs[g] >= staleMs) {
        staleNow = true;
        stalePhases.push(GRID_PHASES[g]);
      }
    }
    if (staleNow && !this.staleReported) {
      const worst = Math.max(...ageMs.filter((_, g) => usedGrid & (1 << g)));
      events.push({
        type: 'meterStale',
        timeMs: nowMs,
        phase: stalePhases.length === 1 ? stalePhases[0] : undefined,
        reason: `No fresh meter data for ${stalePhases.join(', ')} for ${Math.round(worst / 1000)} s: chargers held at minimum, paused after ${cfg.pauseAfterS} s`,
      });
    }
    this.staleReported = staleNow;
    if (fresh) this.checkOverload(nowMs, work, present, events);

    return { commands, events, measuredA: measuredOut, headroomA: headroomOut, stale: staleNow, allowedA: allowedOut, targets };
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * The clock went back (NTP, manual change): move every remembered time by the same amount so ages
   * and hold timers continue from where they were instead of freezing (a meter would look fresh for
   * as long as the jump).
   */
  private shiftTimes(deltaMs: number): void {
    if (this.startMs !== null) this.startMs += deltaMs;
    for (let g = 0; g < 3; g++) {
      this.phaseAtMs[g] += deltaMs;
      this.lastPhaseDecreaseMs[g] += deltaMs;
      for (const h of this.houseHist[g]) h.atMs += deltaMs;
      const since = this.overSinceMs[g];
      if (since !== null) this.overSinceMs[g] = since + deltaMs;
    }
    for (const m of this.memos.values()) {
      m.lastChangeMs += deltaMs;
      m.lastIncreaseMs += deltaMs;
      if (m.move) m.move.atMs += deltaMs;
      if (m.resumeOkSinceMs !== null) m.resumeOkSinceMs += deltaMs;
    }
  }

  /** Take a sample if it is fresh; fills `present` with the phases that carried a good value. */
  private acceptSample(nowMs: number, sample: MeterSample, present: Triple<boolean>): boolean {
    const t = sample.timeMs;
    if (typeof t !== 'number' || !Number.isFinite(t)) return false;
    const seq = typeof sample.seq === 'number' && Number.isFinite(sample.seq) ? sample.seq : null;
    const last = this.lastTimeMs;
    let fresh: boolean;
    if (last === null) fresh = true;
    else if (seq !== null && this.lastSeq !== null) fresh = seq !== this.lastSeq;
    else fresh = t > last || t < last - METER_CLOCK_RESET_MS;
    if (!fresh) return false;
    this.lastTimeMs = t;
    this.lastSeq = seq;
    const absurdA = 2 * this.cfg.fuseA + 100;
    for (let g = 0; g < 3; g++) {
      const v = sample.currentsA?.[g];
      if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= absurdA) {
        this.phaseA[g] = v;
        this.phaseAtMs[g] = nowMs;
        present[g] = true;
      }
    }
    return true;
  }

  /** Update the memo of a balanced-capable charger; returns its work item or null when not balanced now. */
  private prepare(nowMs: number, input: ChargerInput): Work | null {
    let memo = this.memos.get(input.id);
    if (!memo) {
      memo = newMemo(nowMs);
      memo.carConnected = input.carConnected;
      this.memos.set(input.id, memo);
    }
    const minA = Math.ceil(finiteOr(input.minCurrentA, 6) - EPS);
    const maxA = Math.floor(finiteOr(input.maxCurrentA, 0) + EPS);
    const writeIntervalMs = (input.latencyClass === 'cloud' ? this.cfg.cloudWriteIntervalS : this.cfg.localWriteIntervalS) * 1000;

    if (!input.carConnected) {
      if (memo.carConnected) memo.sessionPhaseMask = 0;
      memo.move = null;
      memo.carConnected = false;
      memo.controlled = false;
      return null;
    }
    const reportedA = input.paused ? null : validLimit(input.currentLimitA);
    if (!memo.carConnected) {
      memo.carConnected = true;
      memo.sessionStart = true;
      memo.sessionPhaseMask = 0;
      memo.sentA = input.paused ? 0 : reportedA;
    }
    if (input.externalPause) {
      memo.controlled = false; // paused by someone else: not ours to resume
      return null;
    }
    if (!memo.controlled && !memo.sessionStart) {
      // Taking over (start-up, restart, re-enabled, user resumed): no raise above what it has now.
      if (memo.pausedByBalancer) {
        memo.allowedA = 0;
        memo.sentA = input.paused ? 0 : reportedA;
      } else if (reportedA !== null && reportedA < minA) {
        memo.sessionStart = true; // below its minimum: pick a proper starting limit on fresh data
        memo.sentA = reportedA;
      } else {
        let a = reportedA ?? minA;
        if (memo.restored && memo.allowedA >= minA) a = Math.min(a, memo.allowedA);
        memo.allowedA = maxA < minA ? 0 : Math.max(minA, Math.min(maxA, a));
        memo.pausedByBalancer = memo.allowedA === 0;
        memo.sentA = reportedA;
      }
      memo.lastChangeMs = nowMs;
    }
    memo.controlled = true;
    memo.restored = false;

    // Which charger phases the car draws on (grows during the session only).
    let strongest = 0;
    let mask = 0;
    for (let k = 0; k < 3; k++) {
      const m = input.measuredA[k];
      if (!input.phaseMap[k] || typeof m !== 'number' || !Number.isFinite(m)) continue;
      if (m > strongest) strongest = m;
      if (m >= PHASE_IN_USE_A) mask |= 1 << k;
    }
    if (strongest >= CAR_DRAWING_A) memo.sessionPhaseMask |= mask;

    const w: Triple<number> = [0, 0, 0];
    const use = memo.sessionPhaseMask || 7;
    let mapped = false;
    for (let k = 0; k < 3; k++) {
      const g = input.phaseMap[k];
      if (g && use & (1 << k)) {
        w[GRID_PHASES.indexOf(g)]++;
        mapped = true;
      }
    }
    if (!mapped) w[0] = w[1] = w[2] = 1; // no phase map: assume it loads every phase

    return { input, memo, w, minA, maxA, capA: 0, newA: memo.allowedA, writeIntervalMs, stalePhase: -1, deadPhase: -1, phase: -1, why: null, waitStart: false };
  }

  /** Fresh sample: compute every balanced charger's new limit. */
  private allocate(
    nowMs: number,
    work: Work[],
    avail: Triple<number>,
    cloudAvail: Triple<number>,
    known: Triple<boolean>,
    present: Triple<boolean>,
    ageMs: Triple<number>,
  ): void {
    const cfg = this.cfg;
    const holdMs = cfg.restoreHoldS * 1000;
    const paused: Work[] = [];

    for (const it of work) {
      const m = it.memo;
      const stale = it.stalePhase;
      const dead = it.deadPhase;
      let missing = false;
      for (let g = 0; g < 3; g++) if (it.w[g] && !present[g]) missing = true;
      const canRaise = stale < 0 && dead < 0 && !missing;
      it.capA = 0;
      if (it.maxA < it.minA) {
        it.why = `Maximum of ${it.input.name} (${it.maxA} A) is below its minimum (${it.minA} A)`;
      } else if (dead >= 0) {
        it.phase = dead;
        it.why = staleWhy(dead, ageMs);
      } else if (m.sessionStart) {
        // a new session starts at what fits, even on a charger paused in the previous session
        // (a paused charger is not resumed, even at its minimum, on incomplete or stale data)
        if (canRaise) it.capA = it.maxA;
        else if (it.input.paused) it.waitStart = true;
        else it.capA = it.minA;
      } else if (m.pausedByBalancer) {
        if (!canRaise) m.resumeOkSinceMs = null;
        else paused.push(it);
      } else {
        // (a limit below a raised minimum is corrected up to the minimum when that fits)
        it.capA = Math.max(it.minA, Math.min(m.allowedA, it.maxA));
        const raiseOk = canRaise && nowMs - m.lastChangeMs >= holdMs && nowMs - m.lastIncreaseMs >= it.writeIntervalMs;
        if (raiseOk) it.capA = Math.min(it.maxA, Math.floor(m.allowedA + cfg.restoreStepA + EPS));
        if (stale >= 0 && it.capA > it.minA) {
          it.capA = it.minA;
          it.phase = stale;
          it.why = staleWhy(stale, ageMs);
        }
      }
    }

    // Resume paused chargers whose headroom has held long enough (highest priority first), reserving
    // each one's minimum with everyone already running counted at theirs.
    if (paused.length) {
      const spare: Triple<number> = [avail[0], avail[1], avail[2]];
      for (const it of work) if (it.capA >= it.minA) for (let g = 0; g < 3; g++) spare[g] -= it.w[g] * it.minA;
      paused.sort((a, b) => b.input.priority - a.input.priority);
      for (const it of paused) {
        const m = it.memo;
        const needA = it.minA + cfg.resumeHysteresisA;
        let ok = true;
        let tight = -1;
        for (let g = 0; g < 3; g++) {
          if (!it.w[g]) continue;
          if (!(spare[g] >= it.w[g] * needA - EPS)) ok = false;
          if (tight < 0 || spare[g] / it.w[g] < spare[tight] / it.w[tight]) tight = g;
        }
        if (!ok) {
          m.resumeOkSinceMs = null;
          continue;
        }
        if (m.resumeOkSinceMs === null) m.resumeOkSinceMs = nowMs;
        if (nowMs - m.resumeOkSinceMs < cfg.resumeWindowS * 1000 || nowMs - m.lastIncreaseMs < it.writeIntervalMs) continue;
        it.capA = it.minA;
        it.phase = tight;
        it.why = `${GRID_PHASES[tight]} headroom stayed at ${fmt(needA)} A or more for ${cfg.resumeWindowS} s`;
        for (let g = 0; g < 3; g++) spare[g] -= it.w[g] * it.minA;
      }
    }

    // Everyone who may run gets the minimum; where that does not fit, pause lowest priority first.
    const load: Triple<number> = [0, 0, 0];
    for (const it of work) if (it.capA >= it.minA) for (let g = 0; g < 3; g++) load[g] += it.w[g] * it.minA;
    for (;;) {
      let over = -1;
      let victim: Work | null = null;
      for (let g = 0; g < 3 && !victim; g++) {
        if (!known[g] || load[g] <= avail[g] + EPS) continue;
        for (const it of work) {
          if (it.capA < it.minA || !it.w[g]) continue;
          if (!victim || dropFirst(it, victim)) victim = it;
        }
        over = g;
      }
      if (!victim) break; // nothing left to pause on any over-limit phase
      victim.capA = 0;
      victim.phase = over;
      victim.why = null;
      for (let g = 0; g < 3; g++) load[g] -= victim.w[g] * victim.minA;
    }

    // Max–min fair fill, one amp at a time.
    for (const it of work) it.newA = it.waitStart ? -1 : it.capA >= it.minA ? it.minA : 0;
    const frozen = new Array<boolean>(work.length).fill(false);
    for (;;) {
      let pick = -1;
      for (let i = 0; i < work.length; i++) {
        const it = work[i];
        if (frozen[i] || it.newA <= 0 || it.newA >= it.capA) continue;
        if (pick < 0) pick = i;
        else {
          const p = work[pick];
          if (it.newA < p.newA || (it.newA === p.newA && it.input.priority > p.input.priority)) pick = i;
        }
      }
      if (pick < 0) break;
      const it = work[pick];
      // a raise (or a starting limit) of a cloud charger must also fit its more careful headroom (see 6)
      const ceil = it.input.latencyClass === 'cloud' && (it.memo.sessionStart || it.newA >= it.memo.allowedA) ? cloudAvail : avail;
      let fits = true;
      for (let g = 0; g < 3; g++) if (it.w[g] && known[g] && load[g] + it.w[g] > Math.min(avail[g], ceil[g]) + EPS) fits = false;
      if (!fits) {
        frozen[pick] = true;
        continue;
      }
      it.newA++;
      for (let g = 0; g < 3; g++) load[g] += it.w[g];
    }
  }

  /**
   * The charger's own draw per grid phase. A reading taken before the last change of its limit (older
   * than the change plus FOLLOW_MS) does not show the car following yet, while the meter may already:
   * - after a raise or a start, the rise at the meter on the phases it uses since then is counted as its
   *   own, up to its new limit: a car starting between two charger polls is not taken for a household
   *   jump (no pause at session start, no raise/cut pair);
   * - after a cut, the fall at the meter since then is counted as its own, down to its new limit: the
   *   old reading neither hides a house load (its draw counted in full once the car has followed) nor
   *   invents one (its draw counted at the new limit before the car has).
   * Each amp of a rise or fall is attributed to one charger only.
   */
  private ownDrawEstimate(nowMs: number, it: Work, attributed: Triple<number>): Triple<number> {
    const input = it.input;
    const out: Triple<number> = [0, 0, 0];
    const move = it.memo.move;
    const at = input.measuredAtMs;
    const followMs = FOLLOW_MS[input.latencyClass];
    const follow = move !== null && typeof at === 'number' && at < move.atMs + followMs && nowMs - move.atMs < 2 * followMs;
    for (let k = 0; k < 3; k++) {
      const p = input.phaseMap[k];
      if (!p) continue;
      const g = GRID_PHASES.indexOf(p);
      const raw = input.measuredA[k];
      const m = typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : 0;
      let est = m;
      const before = move?.meterA[g];
      const now = this.phaseA[g];
      if (follow && move && it.w[g] && typeof before === 'number' && typeof now === 'number') {
        if (move.up) {
          const rise = Math.max(0, now - before - attributed[g]);
          est = Math.max(m, Math.min(move.toA, m + rise));
          attributed[g] += est - m;
        } else if (m > move.toA) {
          const fall = Math.max(0, before - now + attributed[g]);
          est = Math.min(m, Math.max(move.toA, m - fall));
          attributed[g] -= m - est;
        }
      }
      out[g] += est;
    }
    return out;
  }

  /**
   * A charger whose decrease is not confirmed yet (`committedA`, or a cloud charger cut in this very
   * step) may still draw its old current: the others on its phases are allocated again with that much
   * less, so they are cut to cover it.
   */
  private coverUnconfirmed(
    nowMs: number,
    work: Work[],
    avail: Triple<number>,
    cloudAvail: Triple<number>,
    known: Triple<boolean>,
    present: Triple<boolean>,
    ageMs: Triple<number>,
  ): void {
    const reserve: Triple<number> = [0, 0, 0];
    const pinned: Work[] = [];
    for (const it of work) {
      const committedA = this.committedOf(it);
      if (committedA === null || it.newA < 0 || committedA <= it.newA + EPS) continue;
      pinned.push(it);
      for (let g = 0; g < 3; g++) reserve[g] += it.w[g] * committedA;
    }
    const others = work.filter((it) => !pinned.includes(it));
    if (!pinned.length || !others.length) return;
    const before = others.map((it) => it.newA);
    for (const it of others) {
      it.phase = -1;
      it.why = null;
    }
    const less = (t: Triple<number>): Triple<number> => t.map((v, g) => v - reserve[g]) as Triple<number>;
    this.allocate(nowMs, others, less(avail), less(cloudAvail), known, present, ageMs);
    const names = pinned.map((p) => `${p.input.name} may still draw ${fmt(this.committedOf(p) ?? 0)} A until it confirms its cut`).join('; ');
    others.forEach((it, i) => {
      if (it.newA >= 0 && it.newA < before[i]) {
        if (it.phase < 0) it.phase = this.tightestPhase(it, less(avail));
        it.why = `${this.overloadCause(it.phase)}, and ${names}`;
      }
    });
  }

  /** The current an unconfirmed decrease may still draw per phase, or null. */
  private committedOf(it: Work): number | null {
    const c = it.input.committedA;
    if (typeof c === 'number' && Number.isFinite(c) && c > 0) return c;
    const m = it.memo;
    if (it.input.latencyClass !== 'cloud' || m.sessionStart || it.newA < 0 || it.newA >= m.allowedA) return null;
    let drawA = 0;
    for (const v of it.input.measuredA) if (typeof v === 'number' && Number.isFinite(v)) drawA = Math.max(drawA, v);
    return Math.max(m.allowedA, drawA);
  }

  /** No fresh sample: only lower chargers on phases that went stale (or whose maximum dropped). */
  private holdOnStale(work: Work[], ageMs: Triple<number>): void {
    for (const it of work) {
      const m = it.memo;
      it.newA = m.allowedA;
      const dead = it.deadPhase;
      const stale = it.stalePhase;
      const g = dead >= 0 ? dead : stale;
      if (g >= 0) {
        it.phase = g;
        it.why = staleWhy(g, ageMs);
        if (dead >= 0 || m.pausedByBalancer || it.maxA < it.minA) it.newA = 0;
        else if (m.sessionStart || it.newA > it.minA) it.newA = it.minA;
      } else if (m.sessionStart) {
        it.newA = -1; // wait for a fresh sample to pick the starting limit
      }
      if (it.newA > it.maxA) {
        it.newA = it.maxA >= it.minA ? it.maxA : 0;
        it.why = `Maximum of ${it.input.name} is ${it.maxA} A`;
      }
    }
  }

  /** Turn a decision into memo changes and events. */
  private apply(nowMs: number, it: Work, avail: Triple<number>, events: BalancerEvent[]): void {
    const m = it.memo;
    const name = it.input.name;
    const newA = it.newA;
    if (newA < 0) return;
    const phase = it.phase >= 0 ? it.phase : this.tightestPhase(it, avail);
    const P = phase >= 0 ? GRID_PHASES[phase] : undefined;
    const oldA = m.allowedA;
    const maxCut = newA > 0 && newA === it.maxA && oldA > it.maxA;
    const cause = it.why ?? (maxCut ? `Maximum of ${name} is ${it.maxA} A` : this.overloadCause(phase));
    if (m.sessionStart) {
      m.sessionStart = false;
      m.allowedA = newA;
      m.lastChangeMs = nowMs;
      if (newA > 0) {
        m.pausedByBalancer = false;
        m.lastIncreaseMs = nowMs;
        m.move = { atMs: nowMs, toA: newA, up: true, meterA: [...this.phaseA] as Triple<number | null> };
        it.why = `Car connected to ${name}: starting at ${newA} A${P && !it.why ? ` (${P} headroom ${fmt(avail[phase])} A)` : ''}`;
      } else if (!m.pausedByBalancer) {
        m.pausedByBalancer = true;
        m.resumeOkSinceMs = null;
        it.why = `${cause}: paused ${name} (needs ${it.minA} A)`;
        events.push({ type: 'paused', timeMs: nowMs, chargerId: it.input.id, phase: P, reason: it.why });
      }
      return;
    }
    if (newA === oldA) return;
    m.allowedA = newA;
    m.lastChangeMs = nowMs;
    const base = { timeMs: nowMs, chargerId: it.input.id, phase: P, fromA: oldA, toA: newA };
    if (newA < oldA) {
      for (let g = 0; g < 3; g++) if (it.w[g]) this.lastPhaseDecreaseMs[g] = nowMs;
      m.move = { atMs: nowMs, toA: newA, up: false, meterA: [...this.phaseA] as Triple<number | null> };
      if (newA === 0) {
        m.pausedByBalancer = true;
        m.resumeOkSinceMs = null;
        it.why = `${cause}: paused ${name} (needs ${it.minA} A)`;
        events.push({ type: 'paused', ...base, reason: it.why });
      } else {
        it.why = `${cause}: lowered ${name} from ${oldA} A to ${newA} A`;
        events.push({ type: 'reduced', ...base, reason: it.why });
      }
    } else {
      m.lastIncreaseMs = nowMs;
      m.move = { atMs: nowMs, toA: newA, up: true, meterA: [...this.phaseA] as Triple<number | null> };
      if (oldA === 0) {
        m.pausedByBalancer = false;
        m.resumeOkSinceMs = null;
        it.why = `${cause}: resumed ${name} at ${newA} A`;
        events.push({ type: 'resumed', ...base, reason: it.why });
      } else {
        const room = P ? `${P} has ${fmt(avail[phase])} A of headroom for chargers` : 'Headroom is back';
        it.why = `${room}: raised ${name} from ${oldA} A to ${newA} A`;
        events.push({ type: 'restored', ...base, reason: it.why });
      }
    }
  }

  /**
   * A command when the target changes (the simulator applies these; the app hands `targets` to each
   * charger's actuator, which alone repeats, retries and confirms).
   */
  private emit(it: Work, commands: BalancerCommand[]): void {
    const m = it.memo;
    if (m.sessionStart) return; // the starting limit is picked on the next fresh sample
    const want = m.allowedA;
    const chargerId = it.input.id;
    const reason = it.why ?? `Keeping ${it.input.name} at ${want === 0 ? 'pause' : `${want} A`}`;
    let cmd: BalancerCommand | null = null;
    if (want === 0) {
      if (!it.input.paused && m.sentA !== 0) cmd = { type: 'pause', chargerId, reason };
    } else if (m.sentA === 0 || (m.sentA !== want && it.input.paused)) {
      cmd = { type: 'resume', chargerId, currentA: want, reason };
    } else if (m.sentA !== want) {
      cmd = { type: 'setCurrentLimit', chargerId, currentA: want, reason };
    }
    if (cmd) commands.push(cmd);
    m.sentA = want;
  }

  /** Raise `overloadUnresolved` once per episode on a phase nobody can relieve any more. */
  private checkOverload(nowMs: number, work: Work[], present: Triple<boolean>, events: BalancerEvent[]): void {
    const cfg = this.cfg;
    const limitA = cfg.fuseA - cfg.marginA;
    const graceMs = (cfg.overloadUnresolvedAfterS ?? DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S) * 1000;
    for (let g = 0; g < 3; g++) {
      if (!present[g]) continue;
      const v = this.phaseA[g] as number;
      // nothing left to cut: every balanced charger on it is at its minimum, paused, or has a cut that did not land
      let exhausted = v > limitA + EPS;
      let stuck: Work | null = null;
      for (const it of work) {
        if (!it.w[g]) continue;
        const c = it.input.committedA;
        const unconfirmed = typeof c === 'number' && c > it.memo.allowedA + EPS;
        if (it.memo.allowedA > it.minA && !unconfirmed) exhausted = false;
        if (unconfirmed && (!stuck || c > (stuck.input.committedA ?? 0))) stuck = it;
      }
      if (!exhausted) {
        this.overSinceMs[g] = null;
        this.overReported[g] = false;
        continue;
      }
      const since = this.overSinceMs[g] ?? nowMs;
      this.overSinceMs[g] = since;
      const wait = stuck ? Math.min(graceMs, UNCONFIRMED_ALARM_MS) : graceMs;
      if (this.overReported[g] || nowMs - Math.max(since, this.lastPhaseDecreaseMs[g]) < wait) continue;
      this.overReported[g] = true;
      const P = GRID_PHASES[g];
      const head = `${P} at ${fmt(v)} A of ${cfg.fuseA} A fuse`;
      const reason = stuck
        ? `${head}: ${stuck.input.name} has not confirmed its cut to ${stuck.memo.allowedA === 0 ? 'pause' : `${stuck.memo.allowedA} A`} and may still draw ${fmt(stuck.input.committedA ?? 0)} A; nothing else on ${P} can be cut`
        : `${head} although every balanced charger on ${P} is paused or at minimum: switch off other loads`;
      events.push({ type: 'overloadUnresolved', timeMs: nowMs, chargerId: stuck?.input.id, phase: P, reason });
    }
  }

  /** The used, known phase with the least headroom per charger phase on it. */
  private tightestPhase(it: Work, avail: Triple<number>): number {
    let best = -1;
    for (let g = 0; g < 3; g++) {
      if (!it.w[g] || Number.isNaN(avail[g])) continue;
      if (best < 0 || avail[g] / it.w[g] < avail[best] / it.w[best]) best = g;
    }
    return best;
  }

  private overloadCause(phase: number): string {
    if (phase < 0) return 'Meter data missing';
    const v = this.phaseA[phase];
    const P = GRID_PHASES[phase];
    if (v === null) return `No meter data for ${P}`;
    return `${P} at ${fmt(v)} A of ${this.cfg.fuseA} A fuse`;
  }
}

function newMemo(nowMs: number): Memo {
  return {
    allowedA: 0,
    pausedByBalancer: false,
    sessionPhaseMask: 0,
    carConnected: false,
    controlled: false,
    sessionStart: false,
    restored: false,
    sentA: null,
    lastChangeMs: nowMs,
    lastIncreaseMs: -Infinity,
    resumeOkSinceMs: null,
    move: null,
  };
}

function validLimit(v: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v + EPS) : null;
}

/** Which of two chargers to pause first: lower priority, then one not running yet, then the later one. */
function dropFirst(a: Work, b: Work): boolean {
  if (a.input.priority !== b.input.priority) return a.input.priority < b.input.priority;
  const aRunning = a.memo.allowedA > 0 && !a.memo.sessionStart;
  const bRunning = b.memo.allowedA > 0 && !b.memo.sessionStart;
  if (aRunning !== bRunning) return !aRunning;
  return true; // later in the list
}
