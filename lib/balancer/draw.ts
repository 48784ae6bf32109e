/**
 * A charger's own draw per grid phase, as the balancer counts it when it works out the house load.
 */
import { GRID_PHASES, type Triple } from './types';
import { FOLLOW_MS, validLimit, type Work } from './work';

/** The meter per grid phase on recent fresh samples, to look up what it read at a given time. */
export class MeterHistory {
  private readonly points: Triple<{ atMs: number; a: number }[]> = [[], [], []];
  constructor(private readonly keepMs: number) {}

  push(atMs: number, phaseA: Triple<number | null>, present: Triple<boolean>): void {
    for (let g = 0; g < 3; g++) {
      const list = this.points[g];
      const v = phaseA[g];
      if (present[g] && typeof v === 'number') list.push({ atMs, a: v });
      while (list.length > 1 && list[1].atMs < atMs - this.keepMs) list.shift();
    }
  }

  /** What phase g read at time t: the last value at or before t (the oldest kept when t is older). */
  at(g: number, t: number): number | null {
    let v: number | null = null;
    for (const p of this.points[g]) {
      if (p.atMs > t) return v ?? p.a;
      v = p.a;
    }
    return v;
  }

  shift(deltaMs: number): void {
    for (const list of this.points) for (const p of list) p.atMs += deltaMs;
  }
}

/**
 * The household current (measured − the balanced chargers' own draw) per grid phase on recent fresh
 * samples: how much headroom has held over a window (a raise's hold, a cloud charger's raise window).
 */
export class HouseHistory {
  private readonly points: Triple<{ atMs: number; a: number }[]> = [[], [], []];
  private readonly nowA: Triple<number> = [NaN, NaN, NaN];

  /** Forget what is older than `keepMs`; phase g's household now (recorded when it came in this sample). */
  update(nowMs: number, g: number, houseA: number | null, present: boolean, keepMs: number): void {
    const list = this.points[g];
    while (list.length && list[0].atMs < nowMs - keepMs) list.shift();
    this.nowA[g] = houseA ?? NaN;
    if (houseA !== null && present) list.push({ atMs: nowMs, a: houseA });
  }

  /** `limitA` − the highest household on phase g over the last `windowMs` (now included): the headroom that held. */
  heldAvail(nowMs: number, g: number, windowMs: number, limitA: number): number {
    let peakA = this.nowA[g];
    for (const h of this.points[g]) if (h.atMs >= nowMs - windowMs && h.a > peakA) peakA = h.a;
    return limitA - peakA;
  }

  shift(deltaMs: number): void {
    for (const list of this.points) for (const p of list) p.atMs += deltaMs;
  }
}

/**
 * Where a charger's change began: the meter per phase then, the charger's own draw per grid phase as
 * counted then, and how far up (or down) it may go.
 * - After a decision (a raise, a start, a cut): the meter and the estimate at the decision, the new limit.
 * - At a session start the car may already draw what the charger offered while no car was there (a
 *   limit written before, 6 A after a start-up) although the reading that saw it connect shows 0 A:
 *   the meter when that reading was taken, the reading itself, the limit the charger reports.
 */
interface Reference {
  meterAt: (g: number) => number | null;
  baseA: (g: number) => number;
  toA: number;
  up: boolean;
}

function reference(it: Work, nowMs: number, history: MeterHistory, readA: Triple<number>): Reference | null {
  const input = it.input;
  const at = input.measuredAtMs;
  if (typeof at !== 'number') return null;
  const followMs = FOLLOW_MS[input.latencyClass];
  const move = it.memo.move;
  // after a cut, for as long as the reading is older (a charger whose polls fail): the fall only ever
  // lowers its count toward its new limit, so the house is never taken for less than the meter shows
  if (move && at < move.atMs + followMs && (!move.up || nowMs - move.atMs < 2 * followMs)) {
    return { meterAt: (g) => move.meterA[g], baseA: (g) => move.ownA[g], toA: move.toA, up: move.up };
  }
  const connectedAt = it.memo.connectedAtMs;
  const offeredA = input.paused ? 0 : validLimit(input.currentLimitA);
  if (connectedAt !== null && nowMs - connectedAt < 2 * followMs && at < nowMs && offeredA) {
    return { meterAt: (g) => history.at(g, at), baseA: (g) => readA[g], toA: offeredA, up: true };
  }
  return null;
}

/**
 * The charger's own draw per grid phase. A reading taken before the last change of its limit (older
 * than the change plus FOLLOW_MS) does not show the car following yet, while the meter may already:
 * - after a raise or a start, the rise at the meter on the phases it uses since then is counted as its
 *   own, up to its new limit: a car starting between two charger polls is not taken for a household
 *   jump (no pause at session start, no raise/cut pair);
 * - after a cut, the fall at the meter since then is counted as its own, down to its new limit, for as
 *   long as the reading is older than the cut: the old reading neither hides a house load (its draw
 *   counted in full once the car has followed) nor invents one (its draw counted at the new limit before
 *   the car has; a charger whose polls fail after a cut that landed is not counted at its old draw);
 * - at a session start, the rise since the reading that saw the car connect, up to what the charger
 *   offers (see `reference`).
 * Each amp of a rise or fall is attributed to one charger only.
 */
export function ownDrawEstimate(
  phaseA: Triple<number | null>,
  history: MeterHistory,
  nowMs: number,
  it: Work,
  attributed: Triple<number>,
): Triple<number> {
  const input = it.input;
  const readA: Triple<number> = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const p = input.phaseMap[k];
    const raw = input.measuredA[k];
    if (p && typeof raw === 'number' && Number.isFinite(raw) && raw > 0) readA[GRID_PHASES.indexOf(p)] += raw;
  }
  const ref = reference(it, nowMs, history, readA);
  const accepted = input.acceptedA;
  const limitA = ref && typeof accepted === 'number' && Number.isFinite(accepted) ? Math.min(ref.toA, Math.max(accepted, 0)) : ref?.toA ?? 0;
  const out: Triple<number> = [readA[0], readA[1], readA[2]];
  for (let g = 0; g < 3; g++) {
    const before = ref?.meterAt(g);
    const now = phaseA[g];
    if (!ref || !it.w[g] || typeof before !== 'number' || typeof now !== 'number') continue;
    const m = readA[g];
    const capA = (ref.up ? limitA : ref.toA) * it.w[g];
    if (ref.up) {
      const rise = Math.max(0, now - before - attributed[g]);
      out[g] = Math.max(m, Math.min(capA, ref.baseA(g) + rise));
      attributed[g] += out[g] - m;
    } else if (m > capA) {
      const fall = Math.max(0, before - now + attributed[g]);
      out[g] = Math.min(m, Math.max(capA, ref.baseA(g) - fall));
      attributed[g] -= m - out[g];
    }
  }
  return out;
}
