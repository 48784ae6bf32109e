/**
 * A charger's own draw per grid phase, as the balancer counts it when it works out the house load.
 */
import { GRID_PHASES, type Triple } from './types';
import { FOLLOW_MS, type Work } from './work';

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
export function ownDrawEstimate(phaseA: Triple<number | null>, nowMs: number, it: Work, attributed: Triple<number>): Triple<number> {
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
    const now = phaseA[g];
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
