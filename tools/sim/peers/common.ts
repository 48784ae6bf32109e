/**
 * What the peer ports share: the source each follows, and the bridge from "what the peer wants the
 * charger to do" to the simulator's charger commands (go-e / Charge Amps take whole amps).
 */
import type { BalancerCommand, ChargerInput, MeterSample } from '../../../lib/balancer/types';

/** Where a port comes from: repository, the commit read, and the files its behaviour follows. */
export interface PeerSource {
  repo: string;
  commit: string;
  files: string[];
}

/** Highest of the three (signed) phase currents of a reading; null phases are left out, null if none. */
export function maxPhaseA(sample: MeterSample): number | null {
  const known = sample.currentsA.filter((a): a is number => a !== null);
  return known.length ? Math.max(...known) : null;
}

/** The charger's own highest phase current (A), 0 when it reports none. */
export function chargerMaxPhaseA(ch: ChargerInput): number {
  return Math.max(0, ...ch.measuredA.map((a) => a ?? 0));
}

/**
 * Remembers what the peer last told the charger (on/off and its limit) so that it writes only on a
 * change, as each of the ported systems does. Starts from what the charger reports.
 */
export class ChargerOutput {
  private on: boolean | null = null;
  private limitA: number | null = null;

  /** Commands that bring the charger to `on` at `limitA` (floored to whole amps, at most its maximum). */
  apply(ch: ChargerInput, on: boolean, limitA: number, reason: string): BalancerCommand[] {
    if (this.on === null) {
      this.on = !ch.paused;
      this.limitA = ch.currentLimitA ?? ch.maxCurrentA;
    }
    if (!on) {
      if (!this.on) return [];
      this.on = false;
      return [{ type: 'pause', chargerId: ch.id, reason }];
    }
    const a = Math.min(ch.maxCurrentA, Math.max(ch.minCurrentA, Math.floor(limitA + 1e-9)));
    if (!this.on) {
      this.on = true;
      this.limitA = a;
      return [{ type: 'resume', chargerId: ch.id, currentA: a, reason }];
    }
    if (a === this.limitA) return [];
    this.limitA = a;
    return [{ type: 'setCurrentLimit', chargerId: ch.id, currentA: a, reason }];
  }
}
