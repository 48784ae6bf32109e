/**
 * One allocation on a fresh sample, in four named steps (docs/balancer.md, "Sharing" and "Down fast,
 * up slowly"): each balanced charger's ceiling for this step (`capsForStep`), paused chargers whose
 * headroom held long enough resume (`resumeWhereHeld`), chargers whose minimum does not fit are paused
 * lowest priority first (`pauseWhereMinimumsDoNotFit`), and the rest share what is left max–min fair,
 * one amp at a time (`fairFill`). Pure: the balancer's config and the work items in, limits out.
 */
import type { PhaseIndex } from '../phase';
import { GRID_PHASES, type BalancerConfig, type Triple } from './types';
import { COMPLY_TOLERANCE_A } from '../actuatorRules';
import { reason } from '../reasons';
import { backoffNow, dropFirst, EPS, holdWindowMs, KEEP_SLACK_A, maxBackoff, maxWhy, staleWhy, type Work } from './work';

/** What the meter says for this step, per grid phase. */
export interface PhaseView {
  /** Headroom for the balanced chargers (A); NaN when unknown. */
  avail: Triple<number>;
  /** The more careful headroom a raise of a cloud charger must also fit (A). */
  cloudAvail: Triple<number>;
  /** The headroom an amp a cloud charger already has must fit: export counts only beyond `cloudRaiseReserveA` (A). */
  cloudKeep: Triple<number>;
  /** The headroom on phase g that held on every fresh sample of the last `windowMs` (A): what a raise must fit. */
  heldAvail: (g: number, windowMs: number) => number;
  /** A good value not older than staleAfterS. */
  known: Triple<boolean>;
  /** A good value in this very sample. */
  present: Triple<boolean>;
  ageMs: Triple<number>;
}

/** How far over fuse − margin an amp already given is kept: KEEP_SLACK_A, at most half the margin (A). */
export function keepSlackA(cfg: BalancerConfig): number {
  return Math.max(EPS, Math.min(KEEP_SLACK_A, cfg.marginA / 2));
}

/** The longest a raise's headroom may have to hold (the house history keeps this much; ms). */
export function longestHoldWindowMs(cfg: BalancerConfig): number {
  return holdWindowMs(cfg, maxBackoff(cfg));
}

/** Fresh sample: compute every balanced charger's new limit (`newA`, −1 = no decision yet). */
export function allocate(cfg: BalancerConfig, nowMs: number, work: Work[], view: PhaseView): void {
  const paused = capsForStep(cfg, nowMs, work, view);
  if (paused.length) resumeWhereHeld(cfg, nowMs, work, paused, view.avail);
  const load = pauseWhereMinimumsDoNotFit(work, view);
  fairFill(cfg, nowMs, work, view, load);
}

/** Each charger's ceiling for this step (`capA`; 0 = paused); returns the paused ones that may resume. */
function capsForStep(cfg: BalancerConfig, nowMs: number, work: Work[], view: PhaseView): Work[] {
  const holdMs = cfg.restoreHoldS * 1000;
  const paused: Work[] = [];
  for (const it of work) {
    const m = it.memo;
    const stale = it.stalePhase;
    const dead = it.deadPhase;
    let missing = false;
    for (let g = 0; g < 3; g++) if (it.w[g] && !view.present[g]) missing = true;
    const canRaise = stale === null && dead === null && !missing;
    it.capA = 0;
    if (it.maxA < it.minA) {
      it.why = maxWhy(it, 'max_below_min');
      // paused by a limit, not the fuse: keep timing the headroom so it resumes at once when the limit lifts
      if (m.pausedByBalancer && canRaise) paused.push(it);
    } else if (dead !== null) {
      it.phase = dead;
      it.why = staleWhy(dead, view.ageMs);
    } else if (m.sessionStart) {
      // a new session starts at what fits, even on a charger paused in the previous session
      // (a paused charger is not resumed, even at its minimum, on incomplete or stale data)
      if (canRaise) it.capA = it.maxA;
      else if (it.input.paused) it.waitStart = true;
      else it.capA = it.minA;
    } else if (m.pausedByBalancer) {
      if (!canRaise) m.resumeHist.length = 0;
      else paused.push(it);
    } else {
      // (a limit below a raised minimum is corrected up to the minimum when that fits)
      it.capA = Math.max(it.minA, Math.min(m.allowedA, it.maxA));
      const raiseOk = canRaise && nowMs - m.lastChangeMs >= holdMs && nowMs - m.lastIncreaseMs >= it.writeIntervalMs;
      if (raiseOk) it.capA = Math.min(it.maxA, Math.floor(m.allowedA + cfg.restoreStepA + EPS));
      if (stale !== null && it.capA > it.minA) {
        it.capA = it.minA;
        it.phase = stale;
        it.why = staleWhy(stale, view.ageMs);
      }
    }
  }
  return paused;
}

/**
 * Resume paused chargers whose headroom has held long enough (highest priority first), reserving each
 * one's minimum with everyone already running counted at theirs. How long depends on how much room there
 * is: `resumeWindowS` for its minimum + `resumeHysteresisA`, scaled by (that / the lowest spare of the
 * stretch)² — a quarter of it with twice that much room (never less), longer when less than that fits.
 */
function resumeWhereHeld(cfg: BalancerConfig, nowMs: number, work: Work[], paused: Work[], avail: Triple<number>): void {
  const spare: Triple<number> = [avail[0], avail[1], avail[2]];
  for (const it of work) if (it.capA >= it.minA) for (let g = 0; g < 3; g++) spare[g] -= it.w[g] * it.minA;
  paused.sort((a, b) => b.input.priority - a.input.priority);
  for (const it of paused) {
    const m = it.memo;
    let tight: PhaseIndex | null = null;
    for (let g = 0; g < 3; g++) {
      if (it.w[g] && (tight === null || spare[g] / it.w[g] < spare[tight] / it.w[tight])) tight = g as PhaseIndex;
    }
    if (tight === null) continue; // maps no phase: cannot happen, every charger loads one
    const roomA = spare[tight] / it.w[tight];
    if (!(roomA >= it.minA - EPS)) {
      m.resumeHist.length = 0;
      continue;
    }
    const needA = it.minA + cfg.resumeHysteresisA;
    // a stretch older than the longest wait (for just the minimum) would have resumed already
    const keepMs = cfg.resumeWindowS * 1000 * (needA / Math.max(it.minA, EPS)) ** 2;
    m.resumeHist.push({ atMs: nowMs, spareA: roomA });
    while (m.resumeHist.length > 1 && nowMs - m.resumeHist[1].atMs >= keepMs) m.resumeHist.shift();
    const held = heldLongEnough(cfg, nowMs, m.resumeHist, needA);
    if (!held || nowMs - m.lastIncreaseMs < it.writeIntervalMs || it.maxA < it.minA) continue;
    // a pause not confirmed yet is not undone: the car may still draw, and a resume would keep it drawing. Unconfirmed:
    // the actuator says so (`committedA`; a local charger only after its grace), or the car still draws on its reading
    if ((typeof it.input.committedA === 'number' && it.input.committedA > 0) || stillDraws(it)) continue;
    it.capA = it.minA;
    it.phase = tight;
    it.why = reason('held_room', { phase: GRID_PHASES[tight], a: Math.floor(held.spareA + EPS), s: Math.round(held.seconds) });
    for (let g = 0; g < 3; g++) spare[g] -= it.w[g] * it.minA;
  }
}

/** Whether the charger's own reading shows the car still drawing: more on a phase than the actuator's tolerance for a pause that landed. */
function stillDraws(it: Work): boolean {
  return it.input.measuredA.some((a) => typeof a === 'number' && Number.isFinite(a) && a > COMPLY_TOLERANCE_A);
}

/** The stretch up to now whose lowest spare held for resumeWindowS × (need / that spare)², if there is one. */
function heldLongEnough(cfg: BalancerConfig, nowMs: number, hist: { atMs: number; spareA: number }[], needA: number): { spareA: number; seconds: number } | null {
  const windowMs = cfg.resumeWindowS * 1000;
  let lowA = Infinity;
  for (let i = hist.length - 1; i >= 0; i--) {
    lowA = Math.min(lowA, hist[i].spareA);
    const heldMs = nowMs - hist[i].atMs;
    const wantMs = Math.max(windowMs / 4, windowMs * (needA / Math.max(lowA, EPS)) ** 2);
    if (heldMs >= wantMs - EPS) return { spareA: lowA, seconds: heldMs / 1000 };
  }
  return null;
}

/** Everyone who may run gets the minimum; where that does not fit, pause lowest priority first. Returns the load. */
function pauseWhereMinimumsDoNotFit(work: Work[], view: PhaseView): Triple<number> {
  const load: Triple<number> = [0, 0, 0];
  for (const it of work) if (it.capA >= it.minA) for (let g = 0; g < 3; g++) load[g] += it.w[g] * it.minA;
  for (;;) {
    let over: PhaseIndex | null = null;
    let victim: Work | null = null;
    for (let g = 0; g < 3 && !victim; g++) {
      if (!view.known[g] || load[g] <= view.avail[g] + EPS) continue;
      for (const it of work) {
        if (it.capA < it.minA || !it.w[g]) continue;
        if (!victim || dropFirst(it, victim)) victim = it;
      }
      over = g as PhaseIndex;
    }
    if (!victim) return load; // nothing left to pause on any over-limit phase
    victim.capA = 0;
    victim.phase = over;
    victim.why = null;
    for (let g = 0; g < 3; g++) load[g] -= victim.w[g] * victim.minA;
  }
}

/**
 * Max–min fair fill, one amp at a time: always the charger with the lowest current (ties: priority).
 * An amp a charger already has is kept while the phase is at most KEEP_SLACK_A over fuse − margin (still
 * under the fuse by nearly the margin): a meter reading a few hundredths over the line after a raise to
 * exactly fuse − margin does not undo that raise (no raise/cut flapping); with a small margin at most
 * half of it, so the phase stays under the fuse. A raise must fit strictly, and into headroom that held
 * for its hold window (restoreHoldS, doubled after raises that were cut back soon: a load that cycles does
 * not get the same raise and overload every cycle). A cloud charger keeps an amp only under `cloudKeep`
 * (export counts beyond its reserve only: a cloud takes it faster than the charger's cut lands).
 */
function fairFill(cfg: BalancerConfig, nowMs: number, work: Work[], view: PhaseView, load: Triple<number>): void {
  const { avail, cloudAvail, cloudKeep, heldAvail, known } = view;
  const keepSlack = keepSlackA(cfg);
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
    if (pick < 0) return;
    const it = work[pick];
    // a raise (or a starting limit) of a cloud charger must also fit its more careful headroom
    const raise = it.memo.sessionStart || it.newA >= it.memo.allowedA;
    const ceil = it.input.latencyClass !== 'cloud' ? avail : raise ? cloudAvail : cloudKeep;
    const holdMs = raise && !it.memo.sessionStart ? holdWindowMs(cfg, backoffNow(it.memo, nowMs)) : -1;
    const slack = raise ? EPS : keepSlack;
    let binding: PhaseIndex | null = null;
    for (let g = 0; g < 3; g++) {
      if (!it.w[g] || !known[g]) continue;
      const topA = Math.min(avail[g], ceil[g], holdMs >= 0 ? heldAvail(g, holdMs) : Infinity);
      if (load[g] + it.w[g] > topA + slack) binding ??= g as PhaseIndex;
    }
    if (binding !== null) {
      frozen[pick] = true;
      if (it.phase === null) it.phase = binding; // the phase that stopped it: what its reason names
      const b = binding;
      if (ceil === cloudKeep && load[b] + it.w[b] <= avail[b] + slack) {
        it.why ??= reason('export_cloud', { phase: GRID_PHASES[b], keep: cloudKeep[b], a: avail[b], name: it.input.name });
      }
      continue;
    }
    it.newA++;
    for (let g = 0; g < 3; g++) load[g] += it.w[g];
  }
}

/** No fresh sample: only lower chargers on phases that went stale (or whose maximum dropped). */
export function holdOnStale(work: Work[], ageMs: Triple<number>): void {
  for (const it of work) {
    const m = it.memo;
    it.newA = m.allowedA;
    const dead = it.deadPhase;
    const stale = it.stalePhase;
    const g = dead ?? stale;
    if (g !== null) {
      it.phase = g;
      it.why = staleWhy(g, ageMs);
      if (dead !== null || m.pausedByBalancer || it.maxA < it.minA) it.newA = 0;
      else if (m.sessionStart || it.newA > it.minA) it.newA = it.minA;
    } else if (m.sessionStart) {
      it.newA = -1; // wait for a fresh sample to pick the starting limit
    }
    if (it.newA > it.maxA) {
      it.newA = it.maxA >= it.minA ? it.maxA : 0;
      it.why = maxWhy(it, 'max_is');
    }
  }
}
