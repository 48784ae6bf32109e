/**
 * Surplus from the meter the fuse already uses (pure). Two figures from the same sample:
 *
 * - **net** (what the bill sees on a meter that nets its phases, as the Dutch, Belgian and German meters do):
 *   the house's export in total, `−powerW` (or `−Σ currentsA × voltagesV` without `powerW`), with the solar
 *   chargers' own draw added back. A 1-phase car on L2 may use all of it: export on L1 and L3 pays for its
 *   draw on L2 on such a bill. The fuse of L2 still caps it (the balancer).
 * - **per phase**: the export of each grid phase alone (`−currentsA[g]`, A), the chargers' own draw on that
 *   phase added back. For a meter or tariff that bills each phase on its own: a 1-phase car on L2 uses only
 *   L2's surplus, a 3-phase car three times the smallest of its phases.
 *
 * `SolarConfig.balance` chooses which one limits a car (docs/solar.md): 'net' by default.
 *
 * Unsigned meters (some Homey meter apps report |I|) never give surplus from their currents: a detected or
 * declared unsigned meter yields per-phase surplus null, and net surplus only from `powerW` (signed by the
 * contract of `MeterSample`), else null. Unknown surplus counts as none.
 */
import type { ChargerInput, MeterSample, Triple } from '../balancer/types';
import { GRID_PHASES } from '../balancer/types';

/** How the meter's currents are signed: declared by the user, or 'auto' (detected from the samples). */
export type MeterSignSetting = 'auto' | 'signed' | 'unsigned';
export type MeterSign = 'signed' | 'unsigned' | 'unknown';

/** Volts per phase when the meter gives none. */
export const NOMINAL_VOLTAGE_V = 230;

/** Export at or below this (W) while every current is ≥ 0 shows that the currents are unsigned. */
export const UNSIGNED_EVIDENCE_W = -200;

/**
 * Watches samples for the sign of the currents: a negative current ever seen proves them signed; `powerW` at
 * or below `UNSIGNED_EVIDENCE_W` (export) while every reported current is ≥ 0 and at least one carries 1 A
 * or more proves them unsigned (a signed meter would show that export as a negative current somewhere).
 */
export class MeterSignDetector {
  private signedSeen = false;
  private unsignedSeen = false;

  observe(sample: MeterSample): void {
    const currents = sample.currentsA.filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
    if (currents.some((a) => a < -0.5)) this.signedSeen = true;
    const p = sample.powerW;
    if (typeof p === 'number' && p <= UNSIGNED_EVIDENCE_W && currents.length && currents.every((a) => a >= 0) && currents.some((a) => a >= 1)) {
      this.unsignedSeen = true;
    }
  }

  /** What the samples showed; a meter that showed both (a glitch) is taken as unsigned: safety first. */
  detected(): MeterSign {
    if (this.unsignedSeen) return 'unsigned';
    return this.signedSeen ? 'signed' : 'unknown';
  }
}

/**
 * The sign the surplus uses: what the user declared, else what was detected. An undetermined meter is
 * read as signed: its currents are then all ≥ 0 (import), so they give no surplus either way.
 */
export function describeMeterSign(setting: MeterSignSetting, detector: MeterSignDetector): { sign: MeterSign; declared: boolean; text: string } {
  if (setting !== 'auto') {
    return { sign: setting, declared: true, text: `declared ${setting} in the settings` };
  }
  const sign = detector.detected();
  const text =
    sign === 'signed'
      ? 'detected signed: a negative (export) current was seen'
      : sign === 'unsigned'
        ? 'detected unsigned: the meter exported while every phase current was positive; its currents are never taken for surplus'
        : 'not known yet: no export seen (currents are read as signed; positive currents give no surplus)';
  return { sign, declared: false, text };
}

/** The surplus of one sample, chargers' draw added back. */
export interface Surplus {
  /** Net export of the whole house plus the added-back draw (W); null = unknown. May be negative (import). */
  netW: number | null;
  /** Per grid phase: export plus the added-back draw (A); null = unknown. May be negative (import). */
  phaseA: Triple<number | null>;
  /** Volts per grid phase used (the meter's, else 230 V). */
  voltsV: Triple<number>;
}

/** The draw of one charger per grid phase (A), from its own measurement. */
export function chargerDrawPerGridPhase(ch: ChargerInput): Triple<number> {
  const out: Triple<number> = [0, 0, 0];
  ch.phaseMap.forEach((g, k) => {
    const a = ch.measuredA[k];
    if (g && typeof a === 'number' && Number.isFinite(a) && a > 0) out[GRID_PHASES.indexOf(g)] += a;
  });
  return out;
}

/** Surplus of `sample` with the draw of `addBack` (the chargers whose mode uses surplus) added back. */
export function surplusOf(sample: MeterSample, sign: MeterSign, addBack: readonly ChargerInput[]): Surplus {
  const voltsV = [0, 1, 2].map((g) => {
    const v = sample.voltagesV?.[g];
    return typeof v === 'number' && v > 100 && v < 300 ? v : NOMINAL_VOLTAGE_V;
  }) as Triple<number>;
  const own: Triple<number> = [0, 0, 0];
  for (const ch of addBack) chargerDrawPerGridPhase(ch).forEach((a, g) => (own[g] += a));
  const ownW = own.reduce((s, a, g) => s + a * voltsV[g], 0);
  const signedCurrents = sign !== 'unsigned';
  const phaseA = sample.currentsA.map((a, g) => (signedCurrents && typeof a === 'number' && Number.isFinite(a) ? own[g] - a : null)) as Triple<number | null>;
  let netW: number | null = null;
  if (typeof sample.powerW === 'number' && Number.isFinite(sample.powerW)) netW = ownW - sample.powerW;
  else if (phaseA.every((a) => a !== null)) netW = (phaseA as Triple<number>).reduce((s, a, g) => s + a * voltsV[g], 0);
  return { netW, phaseA, voltsV };
}

/**
 * What one car may use of `s` (W), on `gridPhases` (indexes of the grid phases it draws on):
 * 'net' = the net surplus; 'per-phase' = its phase's surplus (1 phase) or n × the smallest of its phases.
 * Null when unknown.
 */
export function usableW(s: Surplus, gridPhases: readonly number[], balance: 'net' | 'per-phase'): number | null {
  if (balance === 'net') return s.netW;
  if (!gridPhases.length) return null;
  let least = Infinity;
  for (const g of gridPhases) {
    const a = s.phaseA[g];
    if (a === null) return null;
    least = Math.min(least, a * s.voltsV[g]);
  }
  return least * gridPhases.length;
}
