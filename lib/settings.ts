/**
 * The app's settings as one object, stored atomically under the Homey setting key `config`, so a
 * save either applies entirely or not at all. Shared by the controller, the Web API (api.ts), the
 * settings page and the flow cards.
 */
import { DEFAULT_BALANCER_CONFIG, DEFAULT_QUICK_STRESS_BUDGET, type BalancerConfig, type GridPhase } from './balancer/types';
import { readHomeWizardRecord } from './meter/homewizard';
import { readMeterHost } from './settingsValidation';

import type { MeterSourceKind } from './meter/source';
import type { MeterSignSetting } from './solar/surplus';
import type { CapacityRule } from './capacity/types';
export type { MeterSourceKind };

export interface MeterSettings {
  source: MeterSourceKind;
  /** Homey device id of the meter (source 'homey-device'). */
  deviceId: string | null;
  /** Host or IP of the HomeWizard P1 meter, with a port only if not 80 (source 'homewizard'); or host:port of the P1
   *  dongle / serial-to-TCP bridge that streams raw telegrams (source 'p1tcp', the port required). */
  host: string | null;
  /** HomeWizard serial of the meter picked from the ones Homey found, so the app can follow it to a new address;
   *  null when the host was typed by hand (or settings from before this field). */
  serial: string | null;
  /** HomeWizard API v2 (source 'homewizard-v2'): the token the meter created at pairing (its button pressed). A secret:
   *  never sent to the settings page, never logged. Absent until paired. */
  token?: string;
  /** HomeWizard API v2: SHA-256 fingerprint of the meter's certificate, pinned at pairing ("AB:CD:…"). */
  certFingerprint?: string;
  /** The P1 meter's time zone (IANA name) for the timestamps of raw P1 telegrams (source 'p1tcp'); absent = the
   *  Homey's own zone. */
  timeZone?: string;
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

/** The balancer's config from the app settings: the user's keys, quick raising on or off, the rest its defaults. */
export function balancerConfigFrom(settings: AppSettings): BalancerConfig {
  const quickStressBudget = settings.quickRestore === false ? 0 : DEFAULT_QUICK_STRESS_BUDGET;
  return { ...DEFAULT_BALANCER_CONFIG, ...userBalancerSettings(settings), quickStressBudget };
}

/** The user's balancer settings out of a config (or the app settings). */
export function userBalancerSettings(from: UserBalancerSettings): UserBalancerSettings {
  return Object.fromEntries(USER_BALANCER_KEYS.map((k) => [k, from[k]])) as UserBalancerSettings;
}

/**
 * The capacity-tariff guard (lib/capacity, docs/capacity.md), keyed as on the settings page; validated once by
 * lib/capacity/validate.ts through `validateAppSettings`. Optional in `AppSettings` so settings saved before 0.4 load:
 * `capacitySettings` fills what is missing with the defaults.
 */
export interface CapacitySettings {
  /** off | fixed | month-peak | no-steps | se-peaks */
  capacity_rule: CapacityRule;
  /** The cap (kW): 'fixed' the cap, 'month-peak' the floor (Flanders ≥ 2.5), 'no-steps' the step's upper bound, 'se-peaks' the cap. */
  capacity_kw: number;
  /** The period the average is taken over (min): 15 (Flanders) or 60 (Norway, Sweden). */
  capacity_period_min: 15 | 60;
  /** 'se-peaks': how many of the month's highest hourly peaks count (the DSO's N). */
  capacity_se_peaks: number;
  /** 'se-peaks': only weekday daytime hours count (07–19, Monday–Friday). */
  capacity_se_weekday_daytime: boolean;
}

export const DEFAULT_CAPACITY_SETTINGS: CapacitySettings = {
  capacity_rule: 'off',
  capacity_kw: 5,
  capacity_period_min: 15,
  capacity_se_peaks: 3,
  capacity_se_weekday_daytime: false,
};

/** The capacity settings of `s`, the defaults where it has none. */
export function capacitySettings(s: Partial<CapacitySettings>): CapacitySettings {
  const out = { ...DEFAULT_CAPACITY_SETTINGS };
  for (const k of Object.keys(out) as (keyof CapacitySettings)[]) if (s[k] !== undefined && s[k] !== null) (out as Record<string, unknown>)[k] = s[k];
  return out;
}

export interface AppSettings extends UserBalancerSettings, Partial<CapacitySettings> {
  /** Balancing on/off. Off: the app never changes a charger's current. */
  balancing: boolean;
  /**
   * Raise and resume quickly while the fuse is cool (balancer `quickStressBudget`: on = the default budget, off = 0).
   * Absent in settings saved before 0.4.2: on.
   */
  quickRestore?: boolean;
  /** What a manual current change by the user means: a new max until the car is unplugged, or nothing. */
  manualOverride: ManualOverrideMode;
  meter: MeterSettings;
  /** Whether the meter reports export as a negative current (solar surplus, lib/solar): 'auto' detects it; an
   *  unsigned meter's currents are never taken for surplus. Absent in settings saved before 0.4: 'auto'. */
  meterSign?: MeterSignSetting;
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
    quickRestore: true,
    manualOverride: 'until-unplug',
    meter: { source: 'flow', deviceId: null, host: null, serial: null },
    chargers: {},
    ...DEFAULT_CAPACITY_SETTINGS,
    meterSign: 'auto',
  };
}

/**
 * Where the HomeWizard meter picked on the settings page is now: routers hand out a new DHCP address now and then,
 * Homey's mDNS discovery still finds the meter by its serial. Given the meter settings and the discovery results,
 * returns the host to switch to, or null to leave the settings alone: another meter source, no serial (host typed by
 * hand), the serial not among the grid meters found, still at the saved host, or found at more than one address or
 * at one the host setting cannot hold (see `readMeterHost`).
 */
export function followedHomeWizardHost(meter: MeterSettings, records: readonly unknown[]): string | null {
  if (meter.source !== 'homewizard' || !meter.serial) return null;
  const serial = meter.serial.toLowerCase();
  const hosts = new Map<string, string>();
  for (const rec of records) {
    const d = readHomeWizardRecord(rec);
    if (d?.gridMeter && d.serial?.toLowerCase() === serial) hosts.set(d.host.toLowerCase(), d.host);
  }
  if (hosts.size !== 1 || hosts.has((meter.host ?? '').trim().toLowerCase())) return null;
  const [host] = hosts.values();
  return readMeterHost(host).host;
}
