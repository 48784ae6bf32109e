/**
 * The app's settings as one object, stored atomically under the Homey setting key `config`, so a
 * save either applies entirely or not at all. Shared by the controller, the Web API (api.ts), the
 * settings page and the flow cards.
 */
import { DEFAULT_BALANCER_CONFIG, type BalancerConfig, type GridPhase } from './balancer/types';

export type MeterSourceKind = 'homewizard' | 'homey-device' | 'flow';

export interface MeterSettings {
  source: MeterSourceKind;
  /** Homey device id of the meter (source 'homey-device'). */
  deviceId: string | null;
  /** Host or IP of the HomeWizard P1 meter (source 'homewizard'). */
  host: string | null;
}

export interface ChargerSettings {
  /** Takes part in balancing. */
  enabled: boolean;
  /** Higher number is served first once every charger has its fair share (0..10). */
  priority: number;
  /** Grid phase each charger phase (1..3) is wired to; null = not connected. */
  phaseMap: [GridPhase | null, GridPhase | null, GridPhase | null];
  /** The most this charger may get from the balancer (A, 6..32). */
  maxCurrentA: number;
}

export type ManualOverrideMode = 'until-unplug' | 'ignore';

/** The balancer settings a user sets; the rest of `BalancerConfig` keeps its defaults. */
export const USER_BALANCER_KEYS = ['fuseA', 'marginA', 'restoreStepA', 'restoreHoldS', 'staleAfterS', 'pauseAfterS', 'resumeWindowS'] as const;
export type UserBalancerSettings = Pick<BalancerConfig, (typeof USER_BALANCER_KEYS)[number]>;

/** The user's balancer settings out of a config (or the app settings). */
export function userBalancerSettings(from: UserBalancerSettings): UserBalancerSettings {
  return Object.fromEntries(USER_BALANCER_KEYS.map((k) => [k, from[k]])) as UserBalancerSettings;
}

export interface AppSettings extends UserBalancerSettings {
  /** Balancing on/off. Off: the app never changes a charger's current. */
  balancing: boolean;
  /** What a manual current change by the user means: a new max until the car is unplugged, or nothing. */
  manualOverride: ManualOverrideMode;
  meter: MeterSettings;
  /** Per charger, keyed by the Charger id. Chargers not listed use `defaultChargerSettings()`. */
  chargers: Record<string, ChargerSettings>;
}

export const SETTINGS_KEY = 'config';

export function defaultChargerSettings(): ChargerSettings {
  return { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 };
}

export function defaultAppSettings(): AppSettings {
  return {
    balancing: true,
    ...userBalancerSettings(DEFAULT_BALANCER_CONFIG),
    manualOverride: 'until-unplug',
    meter: { source: 'flow', deviceId: null, host: null },
    chargers: {},
  };
}
