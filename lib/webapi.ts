/**
 * Shapes exchanged between the app (api.ts), the settings page and the controller. Plain JSON.
 */
import type { ModeStatusView } from './app/modeStatus';
import type { BalancerEventType, Triple } from './balancer/types';
import type { DiscoveredHomeWizard } from './meter/homewizard';
import type { AppSettings, MeterSourceKind } from './settings';

/** GET /settings */
export interface SettingsView {
  settings: AppSettings;
  /** Every charger device the app knows, so the page can list them even when not yet configured. */
  chargers: { id: string; name: string; brand: 'goe' | 'chargeamps'; hardwareMaxA: number }[];
}

/** PUT /settings answer: nothing is saved unless ok. `errors` maps a field path (e.g. "fuseA",
 *  "chargers.abc.maxCurrentA", "meter.host") to a one-line message. */
export type SaveResult = { ok: true } | { ok: false; errors: Record<string, string> };

/** GET /meters: candidate meter devices (source 'homey-device') with what was detected. */
export interface MeterCandidate {
  id: string;
  name: string;
  /** e.g. "HomeWizard", "Tibber", "Homey Energy Dongle" or the app id */
  app: string;
  /** The capability id found per phase (null = phase not found). */
  phaseCapabilities: Triple<string | null>;
  /** 'current' when per-phase current exists, 'power' when derived from power / voltage */
  basis: 'current' | 'power';
  lastValuesA: Triple<number | null>;
}

/** GET /live and the realtime event `live`. */
export interface LiveView {
  timeMs: number;
  balancing: boolean;
  fuseA: number;
  marginA: number;
  meter: { source: MeterSourceKind; stale: boolean; lastSampleAgeS: number | null; error: string | null };
  measuredA: Triple<number | null>;
  headroomA: Triple<number | null>;
  /** The fuse's stress over the last hour (1 = the fastest type C breaker could trip), whether the balancer raises
   *  quickly now, and whether the setting allows it (docs/balancer.md, rule 13). */
  fuse: { stress: number; quick: boolean; quickOn: boolean };
  chargers: {
    id: string;
    name: string;
    enabled: boolean;
    allowedA: number | null;
    drawnA: Triple<number | null>;
    paused: boolean;
    limited: boolean;
    /** Why the charger in its charging mode is (not) charging: an id and numbers the page translates
     *  (locales `modeStatus.<id>`); absent or null where the app has no status for it. */
    modeStatus?: ModeStatusView | null;
  }[];
  /** The last 20 balancer events, newest first. */
  events: { timeMs: number; type: BalancerEventType; chargerName: string | null; reason: string }[];
}

/** GET /homewizard and the realtime event `homewizard`: HomeWizard meters Homey found on the network (mDNS
 *  `_hwenergy._tcp`). */
export interface HomeWizardDiscoveryView {
  /** Grid meters, P1 meters first, then 3-phase kWh meters (`isP1` false); picking one fills the meter host and serial
   *  (settings `meter.serial`: the app follows that meter to a new address). */
  meters: DiscoveredHomeWizard[];
  /** Other HomeWizard devices seen (sockets, water meters, 1-phase kWh meters, batteries): they cannot measure the
   *  grid connection, so they are only counted. */
  otherDevices: number;
  /** One line when Homey's discovery could not be used (e.g. not available on this Homey); null otherwise. */
  error: string | null;
}
