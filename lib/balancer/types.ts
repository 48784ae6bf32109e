/**
 * The balancer's contract with the rest of the app. The controller (app), the simulator and the demo
 * all speak these types; the balancer never knows a charger brand.
 *
 * Conventions: grid phases are indexed 0..2 (L1..L3) in tuples; currents are A per phase; time is
 * milliseconds from the injected clock.
 */
import type { Reason } from '../reasons';
import type { LatencyClass } from '../charger';

import { GRID_PHASES, type GridPhase } from '../phase';
export { GRID_PHASES, type GridPhase };

export type Triple<T> = [T, T, T];

/** The main fuse a user may set (A): the one range, used by the settings validation and the balancer's. */
export const FUSE_LIMITS_A = { min: 6, max: 100 } as const;

/** One reading of the house meter. Currents are signed (negative = export), null = phase not reported. */
export interface MeterSample {
  /**
   * Wall time of the reading (ms), for display. Without `seq` (the simulator, tests) a timestamp already
   * seen is not fresh.
   */
  timeMs: number;
  /**
   * A counter the source increases for each reading with new content; when present it alone decides
   * freshness: the same `seq` again is a repeat, any other value is new (a restarted or switched source
   * counts from 1 again).
   */
  seq?: number;
  currentsA: Triple<number | null>;
  /**
   * How long before this sample each phase's value was last seen to change (ms): a meter that reports only what
   * changed carries an unchanged phase forward, and its age keeps counting from that change. Absent/null = now.
   */
  ageMs?: Triple<number | null>;
  /**
   * Net active power of the whole house (W): import positive, export negative; absent/null = the meter gives none
   * (the capacity guard then uses Σ currentsA × voltagesV, or 230 V).
   */
  powerW?: number | null;
  /** Voltage per grid phase (V), where the meter gives it; null = not reported. */
  voltagesV?: Triple<number | null>;
  /**
   * The meter's own record of this month's peak (W): the highest quarter-hour average import the meter itself keeps
   * (Belgian e-MUCS / Fluvius DSMR 1-0:1.6.0, HomeWizard `montly_power_peak_w`); absent/null = the meter keeps none.
   * Shown next to the capacity guard's own figure, never used to limit.
   */
  meterPeakW?: number | null;
}

export interface BalancerConfig {
  /** Main fuse rating, the same on every phase (A). */
  fuseA: number;
  /** Keep this much below the fuse (A). */
  marginA: number;
  /** Raise a limited charger by at most this much per hold period (A). */
  restoreStepA: number;
  /** Wait at least this long after any change before the next raise (s). */
  restoreHoldS: number;
  /** No fresh sample for this long: drop every charger to its minimum (s). */
  staleAfterS: number;
  /** No fresh sample for this long: pause every charger (s). */
  pauseAfterS: number;
  /** After a pause, headroom must stay ≥ min + hysteresis this long before resuming (s). */
  resumeWindowS: number;
  /** Extra headroom above the minimum current needed to resume (A). */
  resumeHysteresisA: number;
  /** A cloud charger gets at most one increase per this interval (s); decreases always go. */
  cloudWriteIntervalS: number;
  /** A local charger gets at most one increase per this interval (s). */
  localWriteIntervalS: number;
  /**
   * A cloud charger acts ~20 s after a decision (command latency + the car), so it is raised only into
   * headroom that held on every fresh sample of this many seconds (the household's highest current in
   * the window counts) (s); 0 = the latest sample only.
   */
  cloudRaiseWindowS: number;
  /** A cloud charger is raised only as far as leaves this much more headroom than the margin (A). */
  cloudRaiseReserveA: number;
  /**
   * Optional (default 60): a phase that stays above fuse − margin this long after the last reduction on
   * it, although every balanced charger on it is paused or at its minimum, raises `overloadUnresolved` (s).
   */
  overloadUnresolvedAfterS?: number;
  /**
   * Optional (default `DEFAULT_QUICK_STRESS_BUDGET`): while the fuse's stress over the last hour (lib/balancer/fuseStress.ts:
   * 1 = the fastest type C breaker could trip) stays under this, the waits before a raise or a resume
   * (`restoreHoldS`, `resumeWindowS`, `cloudRaiseWindowS`) are `QUICK_WAIT_FACTOR` of theirs and the restore
   * step as many times larger (lib/balancer/config.ts `quickRules`); 0 = never.
   */
  quickStressBudget?: number;
  /**
   * Not a setting: `quickRules` sets it to the configured `restoreHoldS`, which the raise back-off keeps under the quick
   * rules (a raise cut back soon, judged against it, brings back half of it, then it, doubled per further step: a
   * cycling load is not chased each cycle; work.ts `holdWindowMs`).
   */
  configuredHoldS?: number;
}

/** Default for the optional `BalancerConfig.quickStressBudget`: a tenth of what could trip the fastest allowed breaker. */
export const DEFAULT_QUICK_STRESS_BUDGET = 0.1;
/** While the fuse is cool, the raise and resume waits are this share of the configured ones (30 s → 2 s, 120 s → 8 s), the step 1 / this. */
export const QUICK_WAIT_FACTOR = 1 / 15;

export const DEFAULT_BALANCER_CONFIG: BalancerConfig = {
  fuseA: 25,
  marginA: 1,
  restoreStepA: 2,
  restoreHoldS: 30,
  staleAfterS: 15,
  pauseAfterS: 60,
  resumeWindowS: 120,
  resumeHysteresisA: 0,
  cloudWriteIntervalS: 60,
  localWriteIntervalS: 5,
  cloudRaiseWindowS: 60,
  cloudRaiseReserveA: 1,
};

/** What the balancer needs to know about one charger at each step. */
export interface ChargerInput {
  id: string;
  /** Shown in event reasons. */
  name: string;
  /** Takes part in balancing. A charger that does not is still counted in the house load. */
  enabled: boolean;
  /** Grid phase each charger phase (1..3) is wired to; null where the charger has no such phase. */
  phaseMap: Triple<GridPhase | null>;
  /** Current the charger reports per charger phase (A); null = unknown. */
  measuredA: Triple<number | null>;
  /**
   * When that reading arrived (the balancer's clock, ms); absent = taken now. A reading older than a
   * raise or a start does not show the car following it yet: a rise at the meter on the charger's
   * phases is then counted as the charger's, up to what it was offered (not as house load).
   */
  measuredAtMs?: number | null;
  /**
   * Set while a decrease or pause has not been confirmed by the charger's own reading: the current it may
   * still draw per phase. The balancer counts it at this (not at its new limit), so other chargers on
   * its phases are cut to cover it. Absent/null = confirmed.
   */
  committedA?: number | null;
  /**
   * The limit the charger has accepted (a write answered OK; 0 = paused); absent/null = unknown. A car can
   * follow a raise only once the charger has it: a rise at the meter is not attributed beyond this.
   */
  acceptedA?: number | null;
  /** The limit the charger reports it is offering now (A); null = unknown. */
  currentLimitA: number | null;
  /** Lowest current the car accepts (normally 6 A). */
  minCurrentA: number;
  /** Highest current allowed: installation/cable limit or the user's target (default 16 A). */
  maxCurrentA: number;
  /** Why `maxCurrentA` is what it is when a limit from outside the fuse set it (a mode, a plan): shown to the user. */
  maxReason?: string;
  /** What `maxReason` was written from, for the user's language (lib/reasons.ts). */
  maxText?: Reason;
  /** The charger offers no current now (paused by us or anyone else), as far as it reports. */
  paused: boolean;
  /**
   * Paused by someone other than the balancer (the user, the charger's app, or held paused after it
   * ignored its limit): not the balancer's to run; its draw stays house load.
   */
  externalPause?: boolean;
  /** A car is connected and wants to charge. */
  carConnected: boolean;
  /** Higher number = served first once every charger has its fair share. */
  priority: number;
  latencyClass: LatencyClass;
}

export type BalancerCommand =
  | { type: 'setCurrentLimit'; chargerId: string; currentA: number; reason: string }
  | { type: 'pause'; chargerId: string; reason: string }
  | { type: 'resume'; chargerId: string; currentA: number; reason: string };

export type BalancerEventType = 'reduced' | 'restored' | 'paused' | 'resumed' | 'meterStale' | 'overloadUnresolved';

export interface BalancerEvent {
  type: BalancerEventType;
  timeMs: number;
  chargerId?: string;
  /** The grid phase that decided it, where one did. */
  phase?: GridPhase;
  fromA?: number;
  toA?: number;
  /** A sentence a user can read (English). */
  reason: string;
  /** What `reason` was written from: the app says it in the user's language (lib/reasons.ts). */
  text?: Reason;
}

export interface BalancerOutput {
  commands: BalancerCommand[];
  events: BalancerEvent[];
  /** Last fresh house current per phase (A), null when unknown. */
  measuredA: Triple<number | null>;
  /** Headroom per phase: fuse − margin − (measured − chargers' own draw); null when unknown. */
  headroomA: Triple<number | null>;
  /** True while the meter is stale. */
  stale: boolean;
  /** The limit the balancer wants for each charger id (0 = paused). */
  allowedA: Record<string, number>;
  /**
   * The target of each balanced charger (A, 0 = pause): what the app hands its actuator; null = a new
   * session waits for a fresh sample. A charger without a car is held at its minimum (or stays paused), so
   * the next session starts at 6 A. Chargers disabled or paused by others are absent.
   */
  targets: Record<string, number | null>;
}

/** Default for the optional `BalancerConfig.overloadUnresolvedAfterS` (s). */
export const DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S = 60;

/** What the balancer remembers about one charger across a restart. */
export interface BalancerChargerState {
  /** Limit the balancer last wanted (A); 0 = paused by the balancer. */
  allowedA: number;
  /** The balancer (not the user) paused it; it will resume it when headroom allows. */
  pausedByBalancer: boolean;
  /** Charger phases (bit 0 = phase 1 … bit 2 = phase 3) the car was seen drawing on this session; 0 = not known yet. */
  sessionPhaseMask: number;
  carConnected: boolean;
}

/**
 * A small JSON snapshot the app persists (`getState`) and hands back after a restart (`restoreState`),
 * so a restart continues at the limits it had, with every restore timer started afresh.
 */
export interface BalancerState {
  version: 1;
  chargers: Record<string, BalancerChargerState>;
}
