import { EventEmitter } from 'events';
import Homey from 'homey';
import { BalancerCards, BalancerCardHost } from './flow/balancerCards';
import type { BalancerOutput, MeterSample, Triple } from './lib/balancer/types';
import { GRID_PHASES } from './lib/balancer/types';
import type { Charger, ChargerStatus } from './lib/charger';
import { Clock, SystemClock } from './lib/clock';
import { Controller, ControllerEvent } from './lib/controller';
import { UserInputError, describeError } from './lib/errors';
import { type HttpTransport, nodeFetchTransport } from './lib/http';
import { FlowReportSource } from './lib/meter/flowReport';
import { HomeWizardP1Source, homeWizardMetersFromDiscovery, readHomeWizardRecord } from './lib/meter/homewizard';
import { HomeyApiLike, HomeyDeviceSource, listMeterDevices } from './lib/meter/homeyDevice';
import type { MeterSource } from './lib/meter/source';
import { AppSettings, MeterSettings, SETTINGS_KEY, defaultAppSettings, followedHomeWizardHost } from './lib/settings';
import { validateAppSettings } from './lib/settingsValidation';
import type { HomeWizardDiscoveryView, LiveView, MeterCandidate, SaveResult, SettingsView } from './lib/webapi';

/** Homey setting key of the controller's persisted state (safe start after a restart). */
const STATE_KEY = 'controllerState';
const TICK_MS = 1000;
const LIVE_EVERY_TICKS = 2;
const PHASE_INSIGHTS_EVERY_MS = 10_000;
const HOMEY_API_TIMEOUT_MS = 10_000;
/** .homeycompose/discovery/homewizard_energy.json: every `_hwenergy._tcp` device, no conditions (lib/meter/homewizard
 *  tells P1 meters from other HomeWizard products, case-insensitively). */
const HOMEWIZARD_DISCOVERY = 'homewizard_energy';

/** A charger device of either driver, as the app sees it. */
interface ChargerDevice extends Homey.Device {
  getCharger(): Charger;
}

type ManualChange = { kind: 'current'; currentA: number } | { kind: 'pause' } | { kind: 'resume' };

interface Attached {
  device: ChargerDevice;
  chargerId: string;
  detach: () => void;
}

const isChargerDevice = (d: Homey.Device): d is ChargerDevice => typeof (d as Partial<ChargerDevice>).getCharger === 'function';

/** Insights log id for a charger (ids allow letters, digits and _). */
const chargerLogId = (chargerId: string): string => `charger_${chargerId.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_allowed`;

/**
 * PhaseGuard EV: drives Charge Amps and go-e chargers and keeps every phase of the house under the
 * main fuse. Thin adapter: settings, meter source, flow cards and Insights around lib/controller.
 */
class PhaseGuardApp extends Homey.App implements BalancerCardHost {
  /** Tests replace this to hand in a fake homey-api; on Homey it is HomeyAPI.createAppAPI. */
  static homeyApiFactory: (homey: Homey.App['homey']) => Promise<HomeyApiLike> = async (homey) => {
    // Loaded lazily: homey-api is large and only needed for the 'homey-device' meter source.
    const { HomeyAPI } = require('homey-api') as { HomeyAPI: { createAppAPI(o: { homey: unknown }): Promise<unknown> } };
    return (await HomeyAPI.createAppAPI({ homey })) as HomeyApiLike;
  };

  /** Tests replace this with a ManualClock. */
  static clockFactory: () => Clock = () => new SystemClock();

  /** Tests replace this to send the HomeWizard source's requests to emulators on loopback. */
  static homeWizardHttp: HttpTransport = nodeFetchTransport;

  private readonly clock = PhaseGuardApp.clockFactory();
  private settingsValue: AppSettings = defaultAppSettings();
  private controller!: Controller;
  private cards!: BalancerCards;
  private flowSource!: FlowReportSource;
  private meter: MeterSource | null = null;
  private meterOff: (() => void)[] = [];
  /** Meter (re)starts and stops run one after the other, so two quick changes never leave two sources polling. */
  private meterQueue: Promise<void> = Promise.resolve();
  private homeyApi: Promise<HomeyApiLike> | null = null;
  private readonly attached = new Map<string, Attached>();
  private ticks = 0;
  private lastPhaseInsightsMs = 0;
  private staleNotified = false;
  private readonly insightLogs = new Map<string, Promise<Homey.InsightsLog | null>>();
  private discoveryOff: (() => void) | null = null;

  async onInit(): Promise<void> {
    this.settingsValue = this.loadSettings();
    this.controller = new Controller({
      clock: this.clock,
      settings: this.settingsValue,
      store: {
        load: () => this.homey.settings.get(STATE_KEY),
        save: (state) => this.homey.settings.set(STATE_KEY, state),
      },
      log: (line) => this.log(line),
    });
    this.controller.on('event', (ev: ControllerEvent) => void this.onControllerEvent(ev));
    this.controller.on('applied', (a: { chargerId: string; limitA: number | null; paused: boolean | null }) =>
      void this.writeInsight(chargerLogId(a.chargerId), a.paused ? 0 : a.limitA),
    );
    this.cards = new BalancerCards(this.homey, this);
    this.cards.register();
    this.flowSource = new FlowReportSource(this.clock);
    await this.startMeter(this.settingsValue.meter);
    this.watchHomeWizardDiscovery();
    this.homey.setInterval(() => void this.tick(), TICK_MS);
    this.log('PhaseGuard EV has started');
  }

  async onUninit(): Promise<void> {
    this.discoveryOff?.();
    this.discoveryOff = null;
    await this.queueMeter(() => this.stopMeter());
    for (const a of this.attached.values()) a.detach();
    this.attached.clear();
  }

  // ---- settings ------------------------------------------------------------------------------

  private loadSettings(): AppSettings {
    const raw = this.homey.settings.get(SETTINGS_KEY) as unknown;
    if (raw === null || raw === undefined) return defaultAppSettings();
    const stored = raw as Partial<AppSettings>;
    const result = validateAppSettings({ ...defaultAppSettings(), ...stored }, Object.keys(stored.chargers ?? {}));
    if (result.ok) return result.value;
    this.error(`stored settings are not valid (${Object.entries(result.errors).map(([k, v]) => `${k}: ${v}`).join('; ')}); using defaults`);
    return defaultAppSettings();
  }

  private knownChargerIds(): string[] {
    return [...new Set([...[...this.attached.values()].map((a) => a.chargerId), ...Object.keys(this.settingsValue.chargers)])];
  }

  private async applySettings(next: AppSettings): Promise<void> {
    // a Homey-device meter judges frozen phases by staleAfterS: a change restarts it with the new value
    const meterChanged =
      JSON.stringify(next.meter) !== JSON.stringify(this.settingsValue.meter) ||
      (next.meter.source === 'homey-device' && next.staleAfterS !== this.settingsValue.staleAfterS);
    this.homey.settings.set(SETTINGS_KEY, next);
    this.settingsValue = next;
    this.controller.setSettings(next);
    if (meterChanged) await this.startMeter(next.meter);
    this.pushLive();
  }

  getSettings(): AppSettings {
    return this.settingsValue;
  }

  async updateSettings(change: (s: AppSettings) => AppSettings): Promise<void> {
    const result = validateAppSettings(change(this.settingsValue), this.knownChargerIds());
    if (!result.ok) {
      const [field, message] = Object.entries(result.errors)[0];
      throw new UserInputError(field, message);
    }
    await this.applySettings(result.value);
  }

  // ---- Web API (api.ts) ----------------------------------------------------------------------

  getSettingsView(): SettingsView {
    return {
      settings: this.settingsValue,
      chargers: [...this.attached.values()].map((a) => {
        const charger = a.device.getCharger();
        return { id: a.chargerId, name: a.device.getName(), brand: charger.brand, hardwareMaxA: charger.maxCurrentA };
      }),
    };
  }

  async saveSettings(body: unknown): Promise<SaveResult> {
    const result = validateAppSettings(body, this.knownChargerIds());
    if (!result.ok) return { ok: false, errors: result.errors };
    await this.applySettings(result.value);
    // A page opened before the meter moved sends its old address with the serial: follow it again right away.
    await this.followHomeWizard();
    return { ok: true };
  }

  async listMeters(): Promise<MeterCandidate[]> {
    const api = await this.getHomeyApi();
    const devices = await listMeterDevices(api);
    return devices.map((d) => ({
      id: d.id,
      name: d.name,
      app: (d.driverId ?? '').replace(/^homey:(app:)?/, '').split(':')[0] || 'Homey',
      phaseCapabilities: d.capabilities.phases.map((p) => p.currentId ?? p.powerId ?? null) as Triple<string | null>,
      basis: d.capabilities.basis === 'current' ? 'current' : 'power',
      lastValuesA: d.lastCurrentsA,
    }));
  }

  /** HomeWizard meters Homey's mDNS discovery has found; an empty list with a reason when discovery is unavailable. */
  listHomeWizardMeters(): HomeWizardDiscoveryView {
    let records: unknown[];
    try {
      records = this.homeWizardRecords();
    } catch (err) {
      return { meters: [], otherDevices: 0, error: `Homey cannot search the network for HomeWizard devices (${describeError(err)})` };
    }
    return { ...homeWizardMetersFromDiscovery(records), error: null };
  }

  getLiveView(): LiveView {
    return this.controller.liveView();
  }

  // ---- flow card host ------------------------------------------------------------------------

  reportPhaseCurrents(currentsA: Triple<number | null>): void {
    if (this.settingsValue.meter.source !== 'flow') {
      throw new UserInputError('meter', `the meter source is "${this.settingsValue.meter.source}"; choose "Flow card" as meter source on the settings page to use this card`);
    }
    this.flowSource.report(currentsA[0], currentsA[1], currentsA[2]);
  }

  chargerChoices(): { id: string; name: string }[] {
    return [...this.attached.values()].map((a) => ({ id: a.chargerId, name: a.device.getName() }));
  }

  isChargerLimited(id: string): boolean {
    return this.controller.isLimited(id);
  }

  headroomA(): Triple<number | null> {
    return this.controller.liveView().headroomA;
  }

  // ---- meter ---------------------------------------------------------------------------------

  private homeWizardRecords(): unknown[] {
    return Object.values(this.homey.discovery.getStrategy(HOMEWIZARD_DISCOVERY).getDiscoveryResults());
  }

  /**
   * Log each HomeWizard device found and push the new list to an open settings page (realtime `homewizard`); follow
   * the picked meter (settings `meter.serial`) to a new address: now, when it is found and when its address changes
   * (Homey fires `addressChanged` on the discovery result).
   */
  private watchHomeWizardDiscovery(): void {
    try {
      const strategy = this.homey.discovery.getStrategy(HOMEWIZARD_DISCOVERY);
      const watched = new Map<EventEmitter, () => void>();
      const onAddressChanged = (): void => void this.followHomeWizard();
      const watch = (result: unknown): void => {
        if (!(result instanceof EventEmitter) || watched.has(result)) return;
        result.on('addressChanged', onAddressChanged);
        watched.set(result, () => result.removeListener('addressChanged', onAddressChanged));
      };
      const onResult = (result: unknown): void => {
        const d = readHomeWizardRecord(result);
        this.log(d ? `HomeWizard ${d.productType} found at ${d.host}` : 'an unreadable HomeWizard mDNS record was found');
        this.homey.api.realtime('homewizard', this.listHomeWizardMeters());
        watch(result);
        void this.followHomeWizard();
      };
      strategy.on('result', onResult);
      for (const result of Object.values(strategy.getDiscoveryResults())) watch(result);
      this.discoveryOff = () => {
        strategy.removeListener('result', onResult);
        for (const off of watched.values()) off();
        watched.clear();
      };
      void this.followHomeWizard();
    } catch (err) {
      this.log('HomeWizard discovery not available:', describeError(err));
    }
  }

  /** When discovery reports the picked HomeWizard meter at another address: save that host and poll it there. */
  private async followHomeWizard(): Promise<void> {
    let host: string | null;
    try {
      host = followedHomeWizardHost(this.settingsValue.meter, this.homeWizardRecords());
    } catch {
      return; // discovery unavailable: logged once at start-up
    }
    if (!host) return;
    const { serial, host: oldHost } = this.settingsValue.meter;
    const meter = `HomeWizard P1 ${(serial ?? '').slice(-6)}`;
    try {
      await this.updateSettings((s) => ({ ...s, meter: { ...s.meter, host } }));
      this.log(`${meter} moved from ${oldHost} to ${host}: following it`);
    } catch (err) {
      this.error(`${meter} moved to ${host}, but saving the new address failed:`, describeError(err));
    }
  }

  private getHomeyApi(): Promise<HomeyApiLike> {
    if (!this.homeyApi) {
      const timeout = new Promise<never>((_, reject) =>
        this.homey.setTimeout(() => reject(new Error('the Homey Web API did not answer within 10 s')), HOMEY_API_TIMEOUT_MS),
      );
      this.homeyApi = Promise.race([PhaseGuardApp.homeyApiFactory(this.homey), timeout]);
      this.homeyApi.catch(() => {
        this.homeyApi = null; // try again next time
      });
    }
    return this.homeyApi;
  }

  private async stopMeter(): Promise<void> {
    for (const off of this.meterOff) off();
    this.meterOff = [];
    const meter = this.meter;
    this.meter = null;
    if (meter) await meter.stop().catch((err: unknown) => this.error('meter stop:', describeError(err)));
  }

  private queueMeter(job: () => Promise<void>): Promise<void> {
    const run = this.meterQueue.then(job);
    this.meterQueue = run.catch(() => undefined);
    return run;
  }

  private startMeter(m: MeterSettings): Promise<void> {
    return this.queueMeter(() => this.restartMeter(m));
  }

  private async restartMeter(m: MeterSettings): Promise<void> {
    await this.stopMeter();
    this.controller.setMeterError(null);
    try {
      if (m.source === 'homewizard' && m.host) {
        this.meter = new HomeWizardP1Source({ host: m.host, clock: this.clock, http: PhaseGuardApp.homeWizardHttp });
      } else if (m.source === 'homey-device' && m.deviceId) {
        this.meter = new HomeyDeviceSource({ api: await this.getHomeyApi(), deviceId: m.deviceId, clock: this.clock, staleAfterMs: this.settingsValue.staleAfterS * 1000 });
      } else this.meter = this.flowSource;
      const meter = this.meter;
      this.meterOff.push(meter.onSample((s) => this.onSample(s)));
      this.meterOff.push(meter.onError((e) => this.controller.setMeterError(e)));
      await meter.start();
      this.controller.setMeterError(meter.status().error);
      this.log(`meter source: ${meter.kind}`);
    } catch (err) {
      const message = describeError(err);
      this.controller.setMeterError(message);
      this.error('meter source failed:', message);
    }
  }

  private onSample(sample: MeterSample): void {
    const out = this.controller.onSample(sample);
    void this.cards.onHeadroom(out.headroomA).catch((err: unknown) => this.error('headroom trigger:', describeError(err)));
    if (!out.stale) this.staleNotified = false;
    this.writePhaseInsights(out);
  }

  // ---- chargers ------------------------------------------------------------------------------

  /** Attach charger devices that appeared, detach those that went away (devices start after the app). */
  private syncChargers(): void {
    const seen = new Set<string>();
    for (const driver of Object.values(this.homey.drivers.getDrivers())) {
      for (const device of driver.getDevices()) {
        if (!isChargerDevice(device)) continue;
        let charger: Charger;
        try {
          charger = device.getCharger();
        } catch {
          continue; // still initialising
        }
        if (!charger) continue;
        seen.add(charger.id);
        const known = this.attached.get(charger.id);
        if (known && known.device === device) {
          this.controller.renameCharger(charger.id, device.getName());
          continue;
        }
        known?.detach();
        this.attach(device, charger);
      }
    }
    for (const [id, a] of this.attached) {
      if (seen.has(id)) continue;
      a.detach();
      this.attached.delete(id);
      this.controller.removeCharger(id);
      this.log(`charger ${a.device.getName()} removed from balancing`);
    }
  }

  private attach(device: ChargerDevice, charger: Charger): void {
    const onStatus = (status: ChargerStatus): void => this.controller.reportStatus(charger.id, status);
    const onManual = (change: ManualChange): void => {
      if (change.kind === 'current') this.controller.manualCurrentChange(charger.id, change.currentA);
      else this.controller.manualPauseChange(charger.id, change.kind === 'pause');
    };
    device.on('status', onStatus);
    device.on('manual', onManual);
    this.attached.set(charger.id, {
      device,
      chargerId: charger.id,
      detach: () => {
        device.removeListener('status', onStatus);
        device.removeListener('manual', onManual);
      },
    });
    this.controller.addCharger(charger, device.getName());
    void this.ensureLog(chargerLogId(charger.id), `${device.getName()}: allowed current`, 'A');
    this.log(`charger ${device.getName()} takes part in balancing`);
  }

  // ---- periodic work, events, Insights -------------------------------------------------------

  /** Every second: pick up charger devices, let the balancer notice a silent meter, push the live view.
   *  Resolves when the resulting charger writes are done. */
  async tick(): Promise<void> {
    try {
      this.syncChargers();
      this.controller.tick();
      if (++this.ticks % LIVE_EVERY_TICKS === 0) this.pushLive();
      await this.controller.idle();
    } catch (err) {
      this.error('tick failed:', describeError(err));
    }
  }

  private pushLive(): void {
    this.homey.api.realtime('live', this.controller.liveView());
  }

  private async onControllerEvent(ev: ControllerEvent): Promise<void> {
    try {
      await this.cards.fireEvent(ev);
      const logId = { reduced: 'event_reduced', restored: 'event_restored', paused: 'event_paused', resumed: 'event_resumed', meterStale: 'event_meter_stale', overloadUnresolved: 'event_overload_unresolved' }[ev.type];
      await this.writeInsight(logId, true);
      this.homey.setTimeout(() => void this.writeInsight(logId, false), 1000);
      if (ev.type === 'meterStale' && !this.staleNotified) {
        this.staleNotified = true;
        await this.homey.notifications.createNotification({ excerpt: `PhaseGuard EV: ${ev.reason}` });
      }
      this.pushLive();
    } catch (err) {
      this.error(`event ${ev.type}:`, describeError(err));
    }
  }

  private writePhaseInsights(out: BalancerOutput): void {
    const now = this.clock.nowMs();
    if (now - this.lastPhaseInsightsMs < PHASE_INSIGHTS_EVERY_MS) return;
    this.lastPhaseInsightsMs = now;
    GRID_PHASES.forEach((phase, i) => {
      const p = phase.toLowerCase();
      void this.writeInsight(`phase_${p}_current`, out.measuredA[i]);
      void this.writeInsight(`phase_${p}_headroom`, out.headroomA[i]);
    });
    for (const [id, allowedA] of Object.entries(out.allowedA)) {
      if (this.attached.has(id)) void this.writeInsight(chargerLogId(id), allowedA);
    }
  }

  private static readonly LOGS: Record<string, { title: string; units?: string; type?: 'number' | 'boolean' }> = {
    phase_l1_current: { title: 'L1 house current', units: 'A' },
    phase_l2_current: { title: 'L2 house current', units: 'A' },
    phase_l3_current: { title: 'L3 house current', units: 'A' },
    phase_l1_headroom: { title: 'L1 headroom', units: 'A' },
    phase_l2_headroom: { title: 'L2 headroom', units: 'A' },
    phase_l3_headroom: { title: 'L3 headroom', units: 'A' },
    event_reduced: { title: 'Balancer lowered a charger', type: 'boolean' },
    event_restored: { title: 'Balancer raised a charger', type: 'boolean' },
    event_paused: { title: 'Balancer paused a charger', type: 'boolean' },
    event_resumed: { title: 'Balancer resumed a charger', type: 'boolean' },
    event_meter_stale: { title: 'Meter data stale', type: 'boolean' },
    event_overload_unresolved: { title: 'Overload not resolvable', type: 'boolean' },
  };

  private ensureLog(id: string, title?: string, units?: string): Promise<Homey.InsightsLog | null> {
    let log = this.insightLogs.get(id);
    if (!log) {
      const spec = PhaseGuardApp.LOGS[id] ?? { title: title ?? id, units, type: 'number' as const };
      const type = spec.type ?? 'number';
      log = this.homey.insights
        .getLog(id)
        .catch(() =>
          this.homey.insights.createLog(id, {
            title: { en: spec.title },
            type,
            ...(type === 'number' ? { units: { en: spec.units ?? '' }, decimals: 1 } : {}),
          } as never),
        )
        .catch((err: unknown) => {
          this.error(`insights log ${id}:`, describeError(err));
          this.insightLogs.delete(id);
          return null;
        });
      this.insightLogs.set(id, log);
    }
    return log;
  }

  private async writeInsight(id: string, value: number | boolean | null): Promise<void> {
    if (value === null || (typeof value === 'number' && !Number.isFinite(value))) return;
    const log = await this.ensureLog(id);
    if (log) await log.createEntry(typeof value === 'number' ? Math.round(value * 10) / 10 : value).catch((err: unknown) => this.error(`insights ${id}:`, describeError(err)));
  }
}

export = PhaseGuardApp;
