import Homey from 'homey';
import type { Charger } from '../../lib/charger';
import { describeError, registerSecret } from '../../lib/errors';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient, GoeClientOptions, GoeConnection, normaliseHost } from '../../lib/goe/client';
import { goeFromDiscovery, MdnsResult } from '../../lib/goe/discovery';
import type { GoePhaseMode, GoeSnapshot } from '../../lib/goe/status';
import { capabilityValues, GoeDeviceSettings, GoeManualChange } from './capabilities';

/** Re-read the status this long after a command: the charger's logic runs once per second. */
const REFRESH_AFTER_COMMAND_MS = 1500;

/**
 * A go-e charger. Thin: a poll loop maps the charger's status onto capabilities and triggers, and
 * capability listeners / flow cards call the lib charger. The app gets the one `Charger` through
 * `getCharger()` and listens to `status` (ChargerStatus, GoeDetail), `unavailable` (message) and
 * `manual` (GoeManualChange: a person changed the limit or paused/resumed through Homey).
 */
class GoeDevice extends Homey.Device {
  /** Extra client options for every go-e device (tests and the demo set `{ minGapMs: 0 }` or a clock). */
  static clientOptions: GoeClientOptions = {};

  private charger!: GoeCharger;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<GoeSnapshot | null> | undefined;
  private last: GoeSnapshot | undefined;
  private stopped = false;

  async onInit(): Promise<void> {
    registerSecret(this.getStoreValue('token'));
    this.charger = new GoeCharger(this.buildClient(this.getSettings() as GoeDeviceSettings), this.serial());
    this.registerCapabilityListener('charger_current_limit', (value: number) => this.setCurrentLimit(value));
    this.registerCapabilityListener('evcharger_charging', (on: boolean) => (on ? this.resume() : this.pause()));
    this.registerCapabilityListener('goe_allow_charging', (on: boolean) => (on ? this.resume() : this.pause()));
    this.registerCapabilityListener('goe_session_energy_limit', (kwh: number) => this.setSessionEnergyLimitKwh(kwh));
    this.schedulePoll(0);
  }

  async onUninit(): Promise<void> {
    this.stop();
  }

  async onDeleted(): Promise<void> {
    this.stop();
  }

  /** The one charger interface the app controller drives (the same object for the device's lifetime). */
  getCharger(): Charger {
    return this.charger;
  }

  /** The last status read, if any. */
  getSnapshot(): GoeSnapshot | undefined {
    return this.last;
  }

  // --- polling ----------------------------------------------------------------------------------

  /** Read the charger once and update capabilities (also used by tests and after commands). */
  poll(): Promise<GoeSnapshot | null> {
    if (!this.polling) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined;
      });
    }
    return this.polling;
  }

  private async pollOnce(): Promise<GoeSnapshot | null> {
    let snap: GoeSnapshot | null = null;
    try {
      snap = await this.charger.getSnapshot();
      if (this.stopped) return null;
      await this.apply(snap);
      if (!this.getAvailable()) await this.setAvailable();
      this.emit('status', snap.status, snap.detail);
    } catch (err) {
      if (this.stopped) return null;
      const message = describeError(err);
      this.error('poll failed:', message);
      await this.setUnavailable(this.homey.__('goe.unavailable', { message })).catch(() => undefined);
      this.emit('unavailable', message);
    } finally {
      if (!this.stopped) this.schedulePoll(this.pollIntervalMs(snap));
    }
    return snap;
  }

  private pollIntervalMs(snap: GoeSnapshot | null): number {
    const s = this.getSettings() as GoeDeviceSettings;
    const carConnected = snap ? snap.detail.pwmSignal !== 'ready_no_car' : false;
    return (carConnected ? s.poll_active_s : s.poll_idle_s) * 1000;
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    if (this.pollTimer) this.homey.clearTimeout(this.pollTimer);
    this.pollTimer = this.homey.setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll();
    }, delayMs);
  }

  private stop(): void {
    this.stopped = true;
    if (this.pollTimer) this.homey.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async apply(snap: GoeSnapshot): Promise<void> {
    const previous = this.last;
    this.last = snap;
    for (const [id, value] of Object.entries(capabilityValues(snap))) {
      if (!this.hasCapability(id) || this.getCapabilityValue(id) === value) continue;
      await this.setCapabilityValue(id, value).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    }
    if (previous) await this.fireTriggers(previous, snap);
  }

  private async fireTriggers(before: GoeSnapshot, now: GoeSnapshot): Promise<void> {
    const wasPlugged = before.detail.pwmSignal !== 'ready_no_car' && before.detail.pwmSignal !== 'unknown';
    const isPlugged = now.detail.pwmSignal !== 'ready_no_car' && now.detail.pwmSignal !== 'unknown';
    const energy = (s: GoeSnapshot): number => Math.round(s.status.sessionEnergyWh ?? 0) / 1000;
    const trigger = (id: string, tokens: Record<string, unknown> = {}): Promise<unknown> =>
      this.homey.flow.getDeviceTriggerCard(id).trigger(this, tokens).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    if (!wasPlugged && isPlugged && now.detail.pwmSignal !== 'error') await trigger('goe_car_connected');
    if (wasPlugged && now.detail.pwmSignal === 'ready_no_car') await trigger('goe_car_disconnected', { session_energy: energy(before) });
    if (before.status.state === 'charging' && now.status.state === 'complete') await trigger('goe_charging_finished', { session_energy: energy(now) });
    if (now.status.error && now.status.error !== before.status.error) await trigger('goe_error', { error: now.status.error });
  }

  // --- commands (capability listeners and flow cards) --------------------------------------------

  private async command(fn: () => Promise<void>, change?: GoeManualChange): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw new Error(describeError(err));
    }
    if (change) this.emit('manual', change);
    this.schedulePoll(REFRESH_AFTER_COMMAND_MS);
  }

  async setCurrentLimit(currentA: number): Promise<void> {
    await this.command(() => this.charger.setCurrentLimit(currentA), { kind: 'current', currentA });
    await this.setCapabilityValue('charger_current_limit', Math.floor(currentA)).catch(() => undefined);
  }

  async pause(): Promise<void> {
    await this.command(() => this.charger.pause(), { kind: 'pause' });
  }

  async resume(): Promise<void> {
    await this.command(() => this.charger.resume(), { kind: 'resume' });
  }

  async setPhaseMode(mode: GoePhaseMode): Promise<void> {
    await this.command(() => this.charger.client.setPhaseMode(mode));
  }

  async setSessionEnergyLimitKwh(energyKwh: number): Promise<void> {
    await this.command(() => this.charger.client.setSessionEnergyLimit(energyKwh > 0 ? energyKwh * 1000 : null));
  }

  async pushPvData(gridW: number, pvW?: number, batteryW?: number): Promise<void> {
    await this.command(() => this.charger.client.pushPvData({ gridW, pvW, batteryW }));
  }

  isCarConnected(): boolean {
    const car = this.last?.detail.pwmSignal;
    return car !== undefined && car !== 'ready_no_car' && car !== 'unknown';
  }

  isChargingAllowed(): boolean {
    return this.last?.status.chargingAllowed === true;
  }

  // --- settings and connection -------------------------------------------------------------------

  async onSettings({ newSettings }: { oldSettings: object; newSettings: object; changedKeys: string[] }): Promise<string | void> {
    const s = newSettings as GoeDeviceSettings;
    if (!['auto', 'v1', 'v2', 'cloud'].includes(s.api)) throw new Error(this.homey.__('goe.settings.bad_api'));
    if (s.api !== 'cloud') {
      try {
        normaliseHost(s.host);
      } catch (err) {
        throw new Error(this.homey.__('goe.settings.bad_host', { message: describeError(err) }));
      }
    } else if (!this.getStoreValue('token')) {
      throw new Error(this.homey.__('goe.settings.no_token'));
    }
    if (!(s.poll_active_s >= 2) || !(s.poll_idle_s >= 5) || s.poll_active_s > s.poll_idle_s) {
      throw new Error(this.homey.__('goe.settings.bad_poll'));
    }
    if (!(s.installation_max_a >= 6 && s.installation_max_a <= 32)) throw new Error(this.homey.__('goe.settings.bad_max'));
    this.charger.useClient(this.buildClient(s));
    this.schedulePoll(0);
  }

  /** Use the stored connection again (after a repair changed the host or the token). */
  async reconnect(): Promise<void> {
    registerSecret(this.getStoreValue('token'));
    this.charger.useClient(this.buildClient(this.getSettings() as GoeDeviceSettings));
    await this.poll();
  }

  private serial(): string {
    return String(this.getStoreValue('serial') ?? this.getData().id ?? '');
  }

  private buildClient(s: GoeDeviceSettings): GoeClient {
    const connection: GoeConnection =
      s.api === 'cloud'
        ? {
            kind: 'cloud',
            serial: this.serial(),
            token: String(this.getStoreValue('token') ?? ''),
            api: this.getStoreValue('cloudApi') === 'v1' ? 'v1' : 'v2',
            baseUrl: this.getStoreValue('cloudBaseUrl') ?? undefined,
          }
        : { kind: 'local', host: s.host, api: s.api };
    const installationMaxA = s.force_16a ? Math.min(16, s.installation_max_a) : s.installation_max_a;
    return new GoeClient(connection, { ...GoeDevice.clientOptions, installationMaxA });
  }

  // --- discovery: follow the charger when its address changes ------------------------------------

  onDiscoveryResult(result: MdnsResult): boolean {
    return goeFromDiscovery(result)?.data.id === this.getData().id;
  }

  async onDiscoveryAvailable(result: MdnsResult): Promise<void> {
    await this.followAddress(result);
  }

  async onDiscoveryAddressChanged(result: MdnsResult): Promise<void> {
    await this.followAddress(result);
  }

  private async followAddress(result: MdnsResult): Promise<void> {
    const s = this.getSettings() as GoeDeviceSettings;
    const entry = goeFromDiscovery(result);
    if (s.api === 'cloud' || !entry || entry.settings.host === s.host) return;
    this.log('charger moved to', entry.settings.host);
    await this.setSettings({ host: entry.settings.host });
    await this.reconnect();
  }
}

export = GoeDevice;
