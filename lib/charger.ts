/**
 * The one charger abstraction shared by both brands. The balancer and the controller only ever see
 * `Charger` and `ChargerStatus`; protocol clients convert their units into these, once, in one place.
 */

export type ChargerBrand = 'goe' | 'chargeamps';
export type ChargerApi = 'v1' | 'v2' | 'cloud-v1' | 'cloud-v2' | 'eapi';
export type ChargerState = 'idle' | 'connected' | 'charging' | 'complete' | 'error' | 'unknown';
import type { PhaseIndex } from './phase';
export type { PhaseIndex };

export interface PhaseMeasurement {
  phase: PhaseIndex;
  voltageV: number | null;
  currentA: number | null;
  powerW: number | null;
}

/** Normalised status, the same for go-e and Charge Amps (one per Charge Amps connector). */
export interface ChargerStatus {
  brand: ChargerBrand;
  api: ChargerApi;
  id: string;
  /** Charge Amps connector number; absent for go-e. */
  connector?: number;
  name: string;
  firmware: string | null;
  online: boolean;
  state: ChargerState;
  chargingAllowed: boolean;
  /** The current the charger offers the car now (A per phase). */
  currentLimitA: number | null;
  phases: [PhaseMeasurement, PhaseMeasurement, PhaseMeasurement];
  /** How many phases draw current now (0 when not charging). */
  activePhases: number;
  powerW: number | null;
  sessionEnergyWh: number | null;
  totalEnergyWh: number | null;
  temperatureC: number | null;
  /** Readable error text, or null when there is none. */
  error: string | null;
  /**
   * The charger's own reason for charging or not, as a stable id to translate at the edge (go-e: the
   * `GoeReasonId` of its `modelStatus`, lib/goe/reason.ts); null or absent when the charger gives none.
   */
  reason?: string | null;
}

/** How quickly a command reaches the car: a local API answers in ~1 s, a cloud in ~15 s. */
export type LatencyClass = 'local' | 'cloud';

export interface Charger {
  /** Stable id (serial, or chargepoint id + connector). */
  readonly id: string;
  readonly brand: ChargerBrand;
  readonly latencyClass: LatencyClass;
  /** Lowest and highest current the hardware accepts (A). */
  readonly minCurrentA: number;
  readonly maxCurrentA: number;
  getStatus(): Promise<ChargerStatus>;
  /** Set the offered current per phase. Rejects outside minCurrentA..maxCurrentA with a clear error. */
  setCurrentLimit(currentA: number): Promise<void>;
  /** Stop offering current without ending the session. */
  pause(): Promise<void>;
  /** Offer current again after a pause. */
  resume(): Promise<void>;
  /** Whether it can switch between 1 and 3 phases now (go-e V3/V4 with `psm`); absent or false: it cannot. */
  readonly canSwitchPhases?: boolean;
  /** The phase count it is forced to now (go-e `psm` 1 or 2); null or absent: it chooses itself, or cannot say. */
  readonly forcedPhases?: 1 | 3 | null;
  /** Switch to 1 or 3 phases (one write; only the actuator's phase switch calls it, with the charger paused). */
  setPhases?(phases: 1 | 3): Promise<void>;
}

export function emptyPhases(): [PhaseMeasurement, PhaseMeasurement, PhaseMeasurement] {
  return ([0, 1, 2] as const).map((phase) => ({ phase, voltageV: null, currentA: null, powerW: null })) as [
    PhaseMeasurement,
    PhaseMeasurement,
    PhaseMeasurement,
  ];
}

/** Phases that carry at least `thresholdA` (default 1 A): how many phases the car draws. */
export function countActivePhases(phases: PhaseMeasurement[], thresholdA = 1): number {
  return phases.filter((p) => (p.currentA ?? 0) >= thresholdA).length;
}
