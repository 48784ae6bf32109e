/**
 * What the balancer keeps per charger between steps (`Memo`) and works on during one step (`Work`),
 * its constants and small helpers. Internal to lib/balancer.
 */
import type { PhaseIndex } from '../phase';
import { english, reason, textReason, type Reason } from '../reasons';
import { GRID_PHASES, type BalancerCommand, type BalancerConfig, type ChargerInput, type Triple } from './types';

export const EPS = 1e-6;
/** How far over fuse − margin a phase may read before an amp a charger already has is taken back (A). */
export const KEEP_SLACK_A = 0.3;
/** Raises cut back soon after double how long the headroom must hold before the next, at most this many times. */
export const RAISE_BACKOFF_MAX = 2;
/** Under the quick rules the back-off has this many steps more: the quick hold's 2 s, then half the configured hold. */
const QUICK_BACKOFF_EXTRA = 2;
/** The back-off drops one step per this long without another raise cut back (ms). */
export const RAISE_BACKOFF_DECAY_MS = 10 * 60_000;
/** A cut this long after the hold window of a raise still counts against that raise (the car follows in ~5 s; ms). */
const RAISE_CUT_GRACE_MS = 10_000;
/** A charger phase carrying at least this much is in use by the car (A). */
export const PHASE_IN_USE_A = 1;
/** The car is really drawing once its strongest phase carries this much (A): phase detection starts. */
export const CAR_DRAWING_A = 2;
/** A meter timestamp this far behind the last one is a meter clock reset, not an old sample. */
export const METER_CLOCK_RESET_MS = 30 * 60_000;
/**
 * After a raise or a start, a charger reading older than this (local / cloud) may not show the car
 * following yet: a rise at the meter on its phases is then counted as its own, up to its new limit.
 */
export const FOLLOW_MS = { local: 10_000, cloud: 60_000 } as const;
/** An overload whose only cuttable amps are a cut not yet confirmed is reported this soon after the cut (ms). */
export const UNCONFIRMED_ALARM_MS = 45_000;

export interface Memo {
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
  /** The last decrease or pause the house load caused (see noteDecrease). */
  lastHouseCutMs: number;
  /** Raises cut back soon after (each doubles the hold window of the next, see holdWindowMs) and when the last was. */
  backoff: number;
  backoffAtMs: number;
  /** While paused: its spare headroom (A per charger phase) on each fresh sample since it last fell below its minimum. */
  resumeHist: { atMs: number; spareA: number }[];
  /** When the car connected (this session); null when no car. */
  connectedAtMs: number | null;
  /** The last change of limit: when, to what, up or down, and the meter per grid phase then (see FOLLOW_MS). */
  move: { atMs: number; toA: number; up: boolean; meterA: Triple<number | null>; ownA: Triple<number> } | null;
}

/** One balanced charger during one step. */
export interface Work {
  input: ChargerInput;
  memo: Memo;
  /** How many of the charger's in-use phases sit on each grid phase. */
  w: Triple<number>;
  minA: number;
  maxA: number;
  capA: number;
  newA: number;
  writeIntervalMs: number;
  /** The oldest grid phase it uses without a good value for staleAfterS / pauseAfterS (null = none). */
  stalePhase: PhaseIndex | null;
  deadPhase: PhaseIndex | null;
  /** The grid phase that decided this step (null = none) and the reason text, when not derived. */
  phase: PhaseIndex | null;
  why: Reason | null;
  /** A new session on a paused charger without complete fresh data: decide on a later sample. */
  waitStart: boolean;
  /** Its own draw per grid phase as counted in this step (see draw.ts). */
  ownA: Triple<number>;
}

export function staleWhy(g: PhaseIndex, ageMs: Triple<number>): Reason {
  return reason('stale_phase', { phase: GRID_PHASES[g], s: Math.round(ageMs[g] / 1000) });
}

/** The reason a limit from outside the fuse gave (a mode, a plan, the capacity cap), or the charger's maximum. */
export function maxWhy(it: Work, key: 'max_is' | 'max_below_min'): Reason {
  if (it.input.maxReason) return it.input.maxText ?? textReason(it.input.maxReason);
  return reason(key, { name: it.input.name, a: it.maxA, max: it.maxA, min: it.minA });
}

export function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function newMemo(nowMs: number): Memo {
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
    lastHouseCutMs: -Infinity,
    backoff: 0,
    backoffAtMs: -Infinity,
    resumeHist: [],
    move: null,
    connectedAtMs: null,
  };
}

/** The raise back-off now: one step less per RAISE_BACKOFF_DECAY_MS since the last raise that was cut back. */
export function backoffNow(m: Memo, nowMs: number): number {
  return Math.max(0, m.backoff - Math.floor((nowMs - m.backoffAtMs) / RAISE_BACKOFF_DECAY_MS));
}

/**
 * How long the headroom must have held before a raise: restoreHoldS, doubled per back-off step (raises cut back soon).
 * Under the quick rules a back-off climbs from the quick hold to half the configured hold (`configuredHoldS`), then
 * doubles up to the configured rules' longest: 2 s, then 15, 30, 60, 120 s (ms). A load that returned once costs
 * 15 s of room, not 30; one that keeps cycling still meets the longer holds.
 */
export function holdWindowMs(cfg: BalancerConfig, backoff: number): number {
  const b = Math.min(backoff, maxBackoff(cfg)); // a back-off earned under the quick rules outlasts them
  if (b > 0 && cfg.configuredHoldS !== undefined) return cfg.configuredHoldS * 1000 * 2 ** (b - QUICK_BACKOFF_EXTRA);
  return cfg.restoreHoldS * 1000 * 2 ** b;
}

/** The configured hold (ms), also under the quick rules: what "a raise cut back soon" is judged against. */
function configuredHoldMs(cfg: BalancerConfig): number {
  return (cfg.configuredHoldS ?? cfg.restoreHoldS) * 1000;
}

/** The most back-off steps: under the quick rules QUICK_BACKOFF_EXTRA more, so the longest wait is the configured rules' (4 × the hold). */
export function maxBackoff(cfg: BalancerConfig): number {
  return RAISE_BACKOFF_MAX + (cfg.configuredHoldS !== undefined ? QUICK_BACKOFF_EXTRA : 0);
}

/**
 * A decrease: one that comes within the hold window (plus the car's follow time) of the last raise shows
 * that raise went into headroom that did not last (a load that cycles): the next raise waits twice as long.
 * Under the quick rules, which take the room 2 s after it appears and so raise long before a slow cycle returns,
 * a second raise cut back by the house (`houseCut`: not a lower maximum, not a stale meter) within
 * RAISE_BACKOFF_DECAY_MS of the previous such cut counts too.
 */
export function noteDecrease(cfg: BalancerConfig, m: Memo, nowMs: number, houseCut: boolean): void {
  const b = backoffNow(m, nowMs);
  // judged against the configured rules' hold at this step (at most their longest); a raise the quick rules made early
  // (by configured − quick hold) counts from where the configured rules would have made it
  const earlyMs = Math.max(0, configuredHoldMs(cfg) - cfg.restoreHoldS * 1000);
  const soon = nowMs - m.lastIncreaseMs < configuredHoldMs(cfg) * 2 ** Math.min(b, RAISE_BACKOFF_MAX) + RAISE_CUT_GRACE_MS + earlyMs;
  const raisedSince = m.lastIncreaseMs > m.lastHouseCutMs;
  const again = cfg.configuredHoldS !== undefined && houseCut && raisedSince && nowMs - m.lastHouseCutMs < RAISE_BACKOFF_DECAY_MS;
  if (soon || again) {
    m.backoff = Math.min(maxBackoff(cfg), b + 1);
    m.backoffAtMs = nowMs;
  } else if (b < m.backoff) {
    m.backoff = b;
    m.backoffAtMs = nowMs;
  }
  if (houseCut) m.lastHouseCutMs = nowMs;
}

export function validLimit(v: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v + EPS) : null;
}

/** The used, known phase with the least headroom per charger phase on it. */
export function tightestPhase(it: Work, avail: Triple<number>): PhaseIndex | null {
  let best: PhaseIndex | null = null;
  for (let g = 0; g < 3; g++) {
    if (!it.w[g] || Number.isNaN(avail[g])) continue;
    if (best === null || avail[g] / it.w[g] < avail[best] / it.w[best]) best = g as PhaseIndex;
  }
  return best;
}

/** Which of two chargers to pause first: lower priority, then one not running yet, then the later one. */
export function dropFirst(a: Work, b: Work): boolean {
  if (a.input.priority !== b.input.priority) return a.input.priority < b.input.priority;
  const aRunning = a.memo.allowedA > 0 && !a.memo.sessionStart;
  const bRunning = b.memo.allowedA > 0 && !b.memo.sessionStart;
  if (aRunning !== bRunning) return !aRunning;
  return true; // later in the list
}

/** Update the memo of a balanced-capable charger; returns its work item or null when not balanced now. */
export function prepareWork(memos: Map<string, Memo>, cfg: BalancerConfig, nowMs: number, input: ChargerInput): Work | null {
  let memo = memos.get(input.id);
  if (!memo) {
    memo = newMemo(nowMs);
    memo.carConnected = input.carConnected;
    memos.set(input.id, memo);
  }
  const minA = Math.ceil(finiteOr(input.minCurrentA, 6) - EPS);
  const maxA = Math.floor(finiteOr(input.maxCurrentA, 0) + EPS);
  const writeIntervalMs = (input.latencyClass === 'cloud' ? cfg.cloudWriteIntervalS : cfg.localWriteIntervalS) * 1000;

  if (!input.carConnected) {
    if (memo.carConnected) memo.sessionPhaseMask = 0;
    memo.move = null;
    memo.connectedAtMs = null;
    memo.carConnected = false;
    memo.controlled = false;
    return null;
  }
  const reportedA = input.paused ? null : validLimit(input.currentLimitA);
  if (!memo.carConnected) {
    memo.carConnected = true;
    memo.sessionStart = true;
    memo.connectedAtMs = nowMs;
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

  return { input, memo, w, minA, maxA, capA: 0, newA: memo.allowedA, writeIntervalMs, stalePhase: null, deadPhase: null, phase: null, why: null, waitStart: false, ownA: [0, 0, 0] };
}

/**
 * A command when the target changes (the simulator applies these; the app hands `targets` to each
 * charger's actuator, which alone repeats, retries and confirms).
 */
export function emitCommand(it: Work, commands: BalancerCommand[]): void {
  const m = it.memo;
  if (m.sessionStart) return; // the starting limit is picked on the next fresh sample
  const want = m.allowedA;
  const chargerId = it.input.id;
  const why = it.why ? english(it.why) : `Keeping ${it.input.name} at ${want === 0 ? 'pause' : `${want} A`}`;
  let cmd: BalancerCommand | null = null;
  if (want === 0) {
    if (!it.input.paused && m.sentA !== 0) cmd = { type: 'pause', chargerId, reason: why };
  } else if (m.sentA === 0 || (m.sentA !== want && it.input.paused)) {
    cmd = { type: 'resume', chargerId, currentA: want, reason: why };
  } else if (m.sentA !== want) {
    cmd = { type: 'setCurrentLimit', chargerId, currentA: want, reason: why };
  }
  if (cmd) commands.push(cmd);
  m.sentA = want;
}
