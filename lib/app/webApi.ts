/**
 * What the settings page asks the app through api.ts (GET/PUT /settings, GET /meters, /homewizard, /live). The app
 * exposes it as `homey.app.webApi` once it has started.
 *
 * Homey-free: the Homey Web API (for the meter devices) comes in through `homeyApi`.
 */
import type { Triple } from '../balancer/types';
import type { CapacityStatus } from '../capacity/types';
import { HomeyApiLike, listMeterDevices } from '../meter/homeyDevice';
import type { HomeWizardDiscoveryView, LiveView, MeterCandidate, SaveResult, SettingsView } from '../webapi';
import type { AppSettings } from '../settings';
import type { RegisteredCharger } from './chargerRegistry';
import type { PlanView } from './plan';
import { HomeWizardV2Pairing, type V2PairView, withStoredPairing, withoutSecrets } from './homeWizardV2Pairing';
import type { SettingsStore } from './settingsStore';
import { isRecord } from '../record';

export interface WebApiOptions {
  settings: Pick<SettingsStore, 'get' | 'save' | 'update'>;
  chargers: { list(): RegisteredCharger[] };
  homeWizard: { list(): HomeWizardDiscoveryView; follow(): Promise<void> };
  live: () => LiveView;
  /** The charging plan (lib/app/plan.ts). */
  plan?: () => PlanView;
  /** The capacity guard's status (lib/app/capacity); absent or null before it exists. */
  capacity?: () => CapacityStatus | null;
  homeyApi: () => Promise<HomeyApiLike>;
  /** The settings page saved successfully (after the settings were applied). */
  settingsSaved?: () => void;
}

export class WebApi {
  private readonly v2Pairing: HomeWizardV2Pairing;

  constructor(private readonly opts: WebApiOptions) {
    this.v2Pairing = new HomeWizardV2Pairing({ settings: opts.settings });
  }

  /** GET /settings */
  getSettingsView(): SettingsView {
    return { settings: withoutSecrets(this.opts.settings.get()), chargers: this.opts.chargers.list() };
  }

  /** PUT /settings: nothing is saved unless every field is valid. */
  async saveSettings(body: unknown): Promise<SaveResult> {
    const stored = this.opts.settings.get();
    const result = await this.opts.settings.save(withUnlistedChargers(withStoredPairing(body, stored), stored, this.opts.chargers.list()));
    // A page opened before the meter moved sends its old address with the serial: follow it again right away.
    if (result.ok) {
      await this.opts.homeWizard.follow();
      this.opts.settingsSaved?.();
    }
    return result;
  }

  /** GET /meters: Homey devices with per-phase current or power. */
  async listMeters(): Promise<MeterCandidate[]> {
    const devices = await listMeterDevices(await this.opts.homeyApi());
    return devices.map((d) => ({
      id: d.id,
      name: d.name,
      app: (d.driverId ?? '').replace(/^homey:(app:)?/, '').split(':')[0] || 'Homey',
      phaseCapabilities: d.capabilities.phases.map((p) => p.currentId ?? p.powerId ?? null) as Triple<string | null>,
      basis: d.capabilities.basis === 'current' ? 'current' : 'power',
      lastValuesA: d.lastCurrentsA,
    }));
  }

  /** POST /homewizard-v2/pair: one step of pairing a HomeWizard P1 meter over API v2 (the token stays in the app). */
  pairHomeWizardV2(body: unknown): Promise<V2PairView> {
    return this.v2Pairing.step(body);
  }

  /** GET /homewizard */
  listHomeWizardMeters(): HomeWizardDiscoveryView {
    return this.opts.homeWizard.list();
  }

  /** GET /live */
  getLiveView(): LiveView {
    return this.opts.live();
  }

  /** GET /plan: per charger its target, deadline, progress and planned slots, and the known prices. */
  getPlanView(): PlanView {
    const plan = this.opts.plan;
    if (!plan) throw new Error('the charging plan is still starting, try again in a moment');
    return plan();
  }

  /** GET /capacity: this period's average and projection against the cap, the month's peaks, the meter's own peak. */
  getCapacityStatus(): CapacityStatus | null {
    return this.opts.capacity?.() ?? null;
  }
}

/**
 * The page lists (and sends) only the chargers taking part now; the stored settings of one it did not list (a device
 * still starting, or one that failed to start) are kept, not dropped by a save of something else: its wiring and its
 * enabled switch must survive (a one-phase charger on L3 taken for L1–L3 would be balanced on the wrong phases).
 */
export function withUnlistedChargers(body: unknown, stored: AppSettings, listed: readonly { id: string }[]): unknown {
  if (!isRecord(body) || !isRecord(body.chargers)) return body;
  const b = body;
  const sent = body.chargers;
  const shown = new Set(listed.map((c) => c.id));
  const kept = Object.fromEntries(Object.entries(stored.chargers).filter(([id]) => !shown.has(id) && !(id in sent)));
  return Object.keys(kept).length ? { ...b, chargers: { ...kept, ...sent } } : body;
}
