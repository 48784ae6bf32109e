/**
 * Per-phase load balancer: keeps every grid phase under the main fuse by lowering, pausing, restoring
 * and resuming EV chargers. Pure (no Homey, no timers, no I/O); time is the `nowMs` passed to `step`
 * (the app passes monotonic time). The full specification — freshness, headroom, attribution of a
 * charger's own draw, sharing, down fast / up slowly, pause and resume, stale meter, session start,
 * unconfirmed cuts, unresolved overload, settings and state — is docs/balancer.md; keep both in step.
 *
 * `step(nowMs, sample, chargers)` runs on every meter sample and on a periodic tick (`sample = null`)
 * and returns a target per balanced charger (`targets`, 0 = pause), commands when a target changes
 * (the simulator applies those), readable events, and the per-phase picture. Writing, repeating,
 * retrying and confirming are the actuator's (lib/actuator.ts), never the balancer's.
 *
 * Files: config.ts (settings and their validation), allocate.ts (one allocation in named steps),
 * draw.ts (a charger's own draw), work.ts (per-charger memory and helpers), fuseStress.ts (the fuse's last hour and
 * the quick rules), types.ts (the contract).
 */
import type { SiteLimit } from '../limits';
import type { PhaseIndex } from '../phase';
import { reason, said, textReason, type Reason } from '../reasons';
import { allocate, holdOnStale, longestHoldWindowMs, type PhaseView } from './allocate';
import { BalancerConfigError, validateBalancerConfig } from './config';
import { HouseHistory, MeterHistory, ownDrawEstimate } from './draw';
import { FuseWatch } from './fuseStress';
import { memosToState, restoreMemos } from './state';
import { DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S, GRID_PHASES, type BalancerCommand, type BalancerConfig, type BalancerEvent } from './types';
import type { BalancerOutput, BalancerState, ChargerInput, GridPhase, MeterSample, Triple } from './types';
import { emitCommand, EPS, finiteOr, maxWhy, METER_CLOCK_RESET_MS, noteDecrease, prepareWork, tightestPhase, UNCONFIRMED_ALARM_MS, validLimit } from './work';
import type { Memo, Work } from './work';

export { BalancerConfigError, validateBalancerConfig };

export class Balancer {
  private cfg: BalancerConfig;
  /** The rules of the running step: quick while the fuse is cool, else `cfg` (docs/balancer.md, "Quick while the fuse is cool"). */
  private rules: BalancerConfig;
  private readonly fuse: FuseWatch;
  /** A site ceiling limited a charger in the last step (the configured rules applied). */
  private siteBound = false;
  private readonly memos = new Map<string, Memo>();
  /** The balanced chargers of the running step (for event reasons). */
  private stepWork: Work[] = [];
  private startMs: number | null = null;
  private lastNowMs: number | null = null;
  private lastTimeMs: number | null = null;
  private lastSeq: number | null = null;
  /** Last good house current per grid phase and when (step time) it arrived. */
  private readonly phaseA: Triple<number | null> = [null, null, null];
  private readonly phaseAtMs: Triple<number> = [NaN, NaN, NaN];
  private staleReported = false;
  /** Per grid phase: the site ceiling's reason while it, not the fuse, binds (this step). */
  private readonly siteWhy: Triple<Reason | null> = [null, null, null];
  private readonly overSinceMs: Triple<number | null> = [null, null, null];
  private readonly overReported: Triple<boolean> = [false, false, false];
  private readonly lastPhaseDecreaseMs: Triple<number> = [-Infinity, -Infinity, -Infinity];
  /** Household current (measured − balanced chargers' draw) per phase on recent fresh samples. */
  private readonly houseHist = new HouseHistory();
  /** The meter on fresh samples of the last two minutes (a charger reading's time → what the meter read then). */
  private readonly meterHistory = new MeterHistory(2 * 60_000);

  /**
   * `opts.lastHourKnown`: the caller knows the fuse carried nothing in the hour before (a simulation with nothing
   * before it); otherwise that hour is unknown and the configured (careful) rules apply for the first hour.
   */
  constructor(config: BalancerConfig, opts: { lastHourKnown?: boolean } = {}) {
    this.cfg = this.rules = validateBalancerConfig(config);
    this.fuse = new FuseWatch(this.cfg, opts.lastHourKnown === true);
  }

  setConfig(config: BalancerConfig): void {
    this.cfg = this.rules = validateBalancerConfig(config);
    this.fuse.setConfig(this.cfg);
  }

  /** The fuse's stress over the last hour (1 = the fastest type C breaker could trip) and whether the quick rules apply. */
  fuseStressNow(nowMs: number): { stress: number; quick: boolean } {
    const now = this.fuse.now(nowMs);
    return { stress: now.stress, quick: now.quick && !this.siteBound };
  }

  getConfig(): BalancerConfig {
    return { ...this.cfg };
  }

  /**
   * The car's phases changed (a 1-/3-phase switch): on one phase it draws on the charger's phase 1 (counted at once: a
   * paused car shows nothing to learn from); on three every wired phase counts until it draws, and it goes on from at
   * most `minA` (the headroom was not what its last limit was made for).
   */
  phasesSwitched(id: string, phases: 1 | 3, minA: number): void {
    const m = this.memos.get(id);
    if (!m) return;
    m.sessionPhaseMask = phases === 1 ? 0b001 : 0;
    if (phases === 3 && m.allowedA > minA) m.allowedA = minA;
  }

  getState(): BalancerState {
    return memosToState(this.memos);
  }

  /** Continue from a snapshot. Malformed entries are skipped (persisted data is not trusted). */
  restoreState(state: BalancerState): void {
    restoreMemos(this.memos, state);
    this.fuse.restarted();
  }

  /** One step; `site` = a ceiling from outside the fuse for all balanced chargers together (lib/limits.ts). */
  step(nowMs: number, sample: MeterSample | null, chargers: ChargerInput[], site: SiteLimit | null = null): BalancerOutput {
    if (this.startMs === null) this.startMs = nowMs;
    if (this.lastNowMs !== null && nowMs < this.lastNowMs) this.shiftTimes(nowMs - this.lastNowMs);
    this.lastNowMs = nowMs;
    // 1. the meter; 2. the chargers; 3. the headroom per phase
    const present: Triple<boolean> = [false, false, false];
    const fresh = sample !== null && this.acceptSample(nowMs, sample, present);
    this.rules = this.fuse.rules(nowMs);
    const { ageMs, known } = this.phaseAges(nowMs);
    const { work, idle, ownDraw, usedGrid, allowedA } = this.prepareAll(nowMs, chargers);
    this.stepWork = work;
    const { view, measuredA, headroomA } = this.headroom(nowMs, work, ownDraw, known, present, ageMs, site);
    // 4. decide
    this.markStale(work, ageMs);
    if (fresh) {
      allocate(this.rules, nowMs, work, view);
      this.coverUnconfirmed(nowMs, work, view);
    } else holdOnStale(work, ageMs);
    const commands: BalancerCommand[] = [];
    const events: BalancerEvent[] = [];
    const targets: Record<string, number | null> = {};
    for (const item of work) {
      this.apply(nowMs, item, view.avail, events);
      emitCommand(item, commands);
      allowedA[item.input.id] = item.memo.sessionStart ? 0 : item.memo.allowedA;
      targets[item.input.id] = item.memo.sessionStart ? null : item.memo.allowedA;
    }
    for (const input of idle) this.holdIdle(input, targets, commands);
    // 5. tell: stale meter, unresolved overload
    const stale = this.reportStale(nowMs, usedGrid, ageMs, events);
    if (fresh) this.checkOverload(nowMs, work, present, events);
    return { commands, events, measuredA, headroomA, stale, allowedA, targets };
  }

  /** Seconds since each phase last had a good value, and whether it is still usable (< staleAfterS). */
  private phaseAges(nowMs: number): { ageMs: Triple<number>; known: Triple<boolean> } {
    const staleMs = this.cfg.staleAfterS * 1000;
    const ageMs: Triple<number> = [0, 0, 0];
    const known: Triple<boolean> = [false, false, false];
    for (let g = 0; g < 3; g++) {
      const at = this.phaseAtMs[g];
      ageMs[g] = nowMs - (Number.isNaN(at) ? (this.startMs as number) : at);
      known[g] = this.phaseA[g] !== null && ageMs[g] < staleMs;
    }
    return { ageMs, known };
  }

  /** Who is balanced, which phases they load, and their own draw per grid phase. */
  private prepareAll(
    nowMs: number,
    chargers: ChargerInput[],
  ): { work: Work[]; idle: ChargerInput[]; ownDraw: Triple<number>; usedGrid: number; allowedA: Record<string, number> } {
    const work: Work[] = [];
    const idle: ChargerInput[] = [];
    const ownDraw: Triple<number> = [0, 0, 0];
    const attributed: Triple<number> = [0, 0, 0]; // meter rise/fall per phase already counted as some charger's own
    const allowedA: Record<string, number> = {};
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
      allowedA[input.id] = 0;
      const item = prepareWork(this.memos, this.cfg, nowMs, input);
      if (!item) {
        if (!input.carConnected && !input.externalPause) idle.push(input);
        continue;
      }
      work.push(item);
      const capDraw = Math.max(item.maxA, finiteOr(input.currentLimitA, 0)) + 2;
      const drawA = ownDrawEstimate(this.phaseA, this.meterHistory, nowMs, item, attributed);
      item.ownA = drawA;
      for (let g = 0; g < 3; g++) ownDraw[g] += Math.min(drawA[g], capDraw * Math.max(1, item.w[g]));
    }
    return { work, idle, ownDraw, usedGrid: usedGrid || 7, allowedA };
  }

  /**
   * A charger without a car is held at its minimum (or stays paused), so that the next car starts at
   * 6 A whatever the last session left behind: a session never starts with an overload.
   */
  private holdIdle(input: ChargerInput, targets: Record<string, number | null>, commands: BalancerCommand[]): void {
    const memo = this.memos.get(input.id);
    const minA = Math.ceil(finiteOr(input.minCurrentA, 6) - EPS);
    const want = input.paused ? 0 : minA;
    targets[input.id] = want;
    if (!memo || want === 0 || memo.sentA === want) return;
    if (validLimit(input.currentLimitA) !== want) {
      commands.push({ type: 'setCurrentLimit', chargerId: input.id, currentA: want, reason: `No car at ${input.name}: held at ${want} A for the next session` });
    }
    memo.sentA = want;
  }

  /** Headroom per phase = fuse − margin − (measured − the balanced chargers' own draw), the cloud one and the held one. */
  private headroom(nowMs: number, work: Work[], ownDraw: Triple<number>, known: Triple<boolean>, present: Triple<boolean>, ageMs: Triple<number>, site: SiteLimit | null) {
    const cfg = this.cfg;
    const limitA = cfg.fuseA - cfg.marginA;
    const hist = this.houseHist;
    const heldAvail = (g: number, windowMs: number): number => hist.heldAvail(nowMs, g, windowMs, limitA);
    const view: PhaseView = { avail: [NaN, NaN, NaN], cloudAvail: [NaN, NaN, NaN], cloudKeep: [NaN, NaN, NaN], heldAvail, known, present, ageMs };
    this.siteWhy.fill(null);
    const measuredA: Triple<number | null> = [null, null, null];
    const headroomA: Triple<number | null> = [null, null, null];
    const keepMs = Math.max(cfg.cloudRaiseWindowS * 1000, longestHoldWindowMs(cfg));
    const ceilingA = (g: number): number | null => (typeof site?.ceilingA[g] === 'number' && Number.isFinite(site.ceilingA[g]) ? site.ceilingA[g] : null);
    for (let g = 0; g < 3; g++) {
      const v = this.phaseA[g] as number;
      const houseA = known[g] ? v - ownDraw[g] : null;
      hist.update(nowMs, g, houseA, present[g], keepMs);
      if (houseA === null) continue;
      view.avail[g] = limitA - houseA;
      measuredA[g] = v;
      headroomA[g] = view.avail[g];
      // export (a cloud can take it within seconds) keeps a cloud charger's amps only beyond its reserve
      view.cloudKeep[g] = limitA - (houseA < 0 ? Math.min(0, houseA + cfg.cloudRaiseReserveA) : houseA);
      // a site ceiling (capacity cap) below the fuse headroom binds instead; the fuse always wins
      const ceilA = ceilingA(g);
      this.siteWhy[g] = ceilA !== null && ceilA < view.avail[g] ? (site!.text ?? textReason(site!.reason)) : null;
      if (this.siteWhy[g] !== null) view.avail[g] = ceilA as number;
    }
    // quick only while the fuse alone bounds the chargers: a site ceiling (capacity cap) that leaves a charger less on
    // its phases than the fuse does keeps the configured rules
    const least = (it: Work, v: Triple<number | null>): number => Math.min(...[0, 1, 2].filter((g) => it.w[g] && headroomA[g] !== null).map((g) => (v[g] as number) / it.w[g]));
    this.siteBound = work.some((it) => least(it, view.avail) < least(it, headroomA) - EPS);
    if (this.siteBound) this.rules = cfg;
    for (let g = 0; g < 3; g++) {
      if (headroomA[g] === null) continue;
      const ceilA = ceilingA(g);
      view.cloudAvail[g] = Math.min(heldAvail(g, this.rules.cloudRaiseWindowS * 1000) - cfg.cloudRaiseReserveA, ceilA ?? Infinity);
    }
    return { view, measuredA, headroomA };
  }

  /** The oldest phase each charger uses that has had no good value for staleAfterS / pauseAfterS. */
  private markStale(work: Work[], ageMs: Triple<number>): void {
    const staleMs = this.cfg.staleAfterS * 1000;
    const pauseMs = this.cfg.pauseAfterS * 1000;
    for (const it of work) {
      for (let g = 0; g < 3; g++) {
        if (!it.w[g]) continue;
        if (ageMs[g] >= pauseMs) {
          if (it.deadPhase === null || ageMs[g] > ageMs[it.deadPhase]) it.deadPhase = g as PhaseIndex;
        } else if (ageMs[g] >= staleMs && (it.stalePhase === null || ageMs[g] > ageMs[it.stalePhase])) it.stalePhase = g as PhaseIndex;
      }
    }
  }

  /** One `meterStale` event per episode; true while a phase in use is stale. */
  private reportStale(nowMs: number, usedGrid: number, ageMs: Triple<number>, events: BalancerEvent[]): boolean {
    const staleMs = this.cfg.staleAfterS * 1000;
    const stalePhases: GridPhase[] = [];
    for (let g = 0; g < 3; g++) if (usedGrid & (1 << g) && ageMs[g] >= staleMs) stalePhases.push(GRID_PHASES[g]);
    const staleNow = stalePhases.length > 0;
    if (staleNow && !this.staleReported) {
      const worst = Math.max(...ageMs.filter((_, g) => usedGrid & (1 << g)));
      events.push({
        type: 'meterStale',
        timeMs: nowMs,
        phase: stalePhases.length === 1 ? stalePhases[0] : undefined,
        ...said(reason('meter_stale', { phases: stalePhases.join(', '), s: Math.round(worst / 1000), pauseS: this.cfg.pauseAfterS })),
      });
    }
    this.staleReported = staleNow;
    return staleNow;
  }

  // -------------------------------------------------------------------------------------------------

  /**
   * The clock went back (NTP, manual change): move every remembered time by the same amount so ages
   * and hold timers continue from where they were instead of freezing (a meter would look fresh for
   * as long as the jump).
   */
  private shiftTimes(deltaMs: number): void {
    if (this.startMs !== null) this.startMs += deltaMs;
    this.houseHist.shift(deltaMs);
    this.fuse.shift(deltaMs);
    for (let g = 0; g < 3; g++) {
      this.phaseAtMs[g] += deltaMs;
      this.lastPhaseDecreaseMs[g] += deltaMs;
      if (g === 0) this.meterHistory.shift(deltaMs);
      const since = this.overSinceMs[g];
      if (since !== null) this.overSinceMs[g] = since + deltaMs;
    }
    for (const m of this.memos.values()) {
      m.lastChangeMs += deltaMs;
      m.lastIncreaseMs += deltaMs;
      m.lastHouseCutMs += deltaMs;
      if (m.move) m.move.atMs += deltaMs;
      if (m.connectedAtMs !== null) m.connectedAtMs += deltaMs;
      m.backoffAtMs += deltaMs;
      for (const h of m.resumeHist) h.atMs += deltaMs;
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
        // a value carried forward unchanged is as old as its last change, not as this sample
        const ageMs = sample.ageMs?.[g];
        this.phaseAtMs[g] = nowMs - (typeof ageMs === 'number' && Number.isFinite(ageMs) && ageMs > 0 ? ageMs : 0);
        present[g] = true;
      }
    }
    this.meterHistory.push(nowMs, this.phaseA, present);
    this.fuse.add(nowMs, this.phaseA, present);
    return true;
  }

  /**
   * A charger whose decrease is not confirmed yet (`committedA`, or a cloud charger cut in this very
   * step) may still draw its old current: the others on its phases are allocated again with that much
   * less, so they are cut to cover it.
   */
  private coverUnconfirmed(nowMs: number, work: Work[], view: PhaseView): void {
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
      it.phase = null;
      it.why = null;
    }
    const less = (t: Triple<number>): Triple<number> => t.map((v, g) => v - reserve[g]) as Triple<number>;
    allocate(this.rules, nowMs, others, { ...view, avail: less(view.avail), cloudAvail: less(view.cloudAvail), cloudKeep: less(view.cloudKeep) });
    const pinnedWhy = { items: pinned.map((p) => reason('pinned', { name: p.input.name, a: this.committedOf(p) ?? 0 })), sep: '; ' } as const;
    others.forEach((it, i) => {
      if (it.newA >= 0 && it.newA < before[i]) {
        if (it.phase === null) it.phase = tightestPhase(it, less(view.avail));
        it.why = reason('and_pinned', { cause: this.overloadCause(it.phase, it), pinned: pinnedWhy });
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

  /** Turn a decision into memo changes and events. */
  private apply(nowMs: number, it: Work, avail: Triple<number>, events: BalancerEvent[]): void {
    const m = it.memo;
    const name = it.input.name;
    const newA = it.newA;
    if (newA < 0) return;
    const phase = it.phase ?? tightestPhase(it, avail);
    const P = phase !== null ? GRID_PHASES[phase] : undefined;
    const oldA = m.allowedA;
    const maxCut = newA > 0 && newA === it.maxA && oldA > it.maxA;
    const cause = it.why ?? (maxCut ? maxWhy(it, 'max_is') : this.overloadCause(phase, it));
    if (m.sessionStart) {
      m.sessionStart = false;
      m.allowedA = newA;
      m.lastChangeMs = nowMs;
      if (newA > 0) {
        m.pausedByBalancer = false;
        m.lastIncreaseMs = nowMs;
        m.move = { atMs: nowMs, toA: newA, up: true, meterA: [...this.phaseA] as Triple<number | null>, ownA: [...it.ownA] as Triple<number> };
        const free = phase !== null && P && !it.why;
        it.why = reason(free ? 'car_connected_free' : 'car_connected', { name, a: newA, ...(free ? { free: avail[phase], phase: P } : {}) });
      } else if (!m.pausedByBalancer) {
        m.pausedByBalancer = true;
        m.resumeHist.length = 0;
        it.why = reason('paused', { cause, name, min: it.minA });
        events.push({ type: 'paused', timeMs: nowMs, chargerId: it.input.id, phase: P, ...said(it.why) });
      }
      return;
    }
    if (newA === oldA) return;
    m.allowedA = newA;
    m.lastChangeMs = nowMs;
    const base = { timeMs: nowMs, chargerId: it.input.id, phase: P, fromA: oldA, toA: newA };
    if (newA < oldA) {
      noteDecrease(this.rules, m, nowMs, !maxCut && it.stalePhase === null && it.deadPhase === null && it.maxA >= it.minA);
      for (let g = 0; g < 3; g++) if (it.w[g]) this.lastPhaseDecreaseMs[g] = nowMs;
      m.move = { atMs: nowMs, toA: newA, up: false, meterA: [...this.phaseA] as Triple<number | null>, ownA: [...it.ownA] as Triple<number> };
      if (newA === 0) {
        m.pausedByBalancer = true;
        m.resumeHist.length = 0;
        it.why = reason('paused', { cause, name, min: it.minA });
        events.push({ type: 'paused', ...base, ...said(it.why) });
      } else {
        it.why = reason('lowered', { cause, name, from: oldA, to: newA });
        events.push({ type: 'reduced', ...base, ...said(it.why) });
      }
    } else {
      m.lastIncreaseMs = nowMs;
      m.move = { atMs: nowMs, toA: newA, up: true, meterA: [...this.phaseA] as Triple<number | null>, ownA: [...it.ownA] as Triple<number> };
      if (oldA === 0) {
        m.pausedByBalancer = false;
        m.resumeHist.length = 0;
        it.why = reason('resumed', { cause, name, a: newA });
        events.push({ type: 'resumed', ...base, ...said(it.why) });
      } else {
        const room = phase !== null && P ? reason('room_on', { phase: P, a: avail[phase] }) : reason('room_again');
        it.why = reason('raised', { cause: room, name, from: oldA, to: newA });
        events.push({ type: 'restored', ...base, ...said(it.why) });
      }
    }
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
      const at = { phase: P, v, fuse: cfg.fuseA };
      const why = stuck
        ? reason(stuck.memo.allowedA === 0 ? 'unresolved_stuck_pause' : 'unresolved_stuck', { ...at, name: stuck.input.name, to: stuck.memo.allowedA, a: stuck.input.committedA ?? 0 })
        : reason('unresolved', at);
      events.push({ type: 'overloadUnresolved', timeMs: nowMs, chargerId: stuck?.input.id, phase: P, ...said(why) });
    }
  }

  /** "L3 at 26 A of 25 A fuse (house 8 A, Halo 10 A)": the phase and, in plain words, what else is on it. */
  private overloadCause(phase: PhaseIndex | null, it?: Work): Reason {
    if (phase === null) return reason('meter_missing');
    const siteWhy = this.siteWhy[phase];
    if (siteWhy !== null) return siteWhy;
    const v = this.phaseA[phase];
    const P = GRID_PHASES[phase];
    if (v === null) return reason('no_meter_phase', { phase: P });
    let houseA = v;
    const others: Reason[] = [];
    for (const o of this.stepWork) {
      houseA -= o.ownA[phase];
      if (o !== it && o.ownA[phase] >= 0.5) others.push(reason('charger_part', { name: o.input.name, a: o.ownA[phase] }));
    }
    const parts = { items: [reason('house_part', { a: Math.max(0, houseA) }), ...others], sep: ', ' } as const;
    return reason('overload', { phase: P, v, fuse: this.cfg.fuseA, parts });
  }
}
