import type { Charger, ChargerStatus } from '../../lib/charger';
import { describeError, registerSecret, UserInputError } from '../../lib/errors';
import { GoeCharger } from '../../lib/goe/charger';
import { GoeClient, GoeClientOptions, GoeConnection, GoeOtherChargerError, normaliseHost } from '../../lib/goe/client';
import { goeFromDiscovery, MdnsResult } from '../../lib/goe/discovery';
import type { GoePhaseMode, GoeSnapshot } from '../../lib/goe/status';
import { ChargerDevice } from '../chargerDevice';
import { capabilityValues, GoeDeviceSettings } from './capabilities';

const isPlugged = (s: GoeSnapshot): boolean => s.detail.pwmSignal !== 'ready_no_car' && s.detail.pwmSignal !== 'unknown';

/**
 * A go-e charger. Thin: the poll loop (drivers/chargerDevice.ts) maps the charger's status onto capabilities and
 * triggers; capability listeners and flow cards call the lib charger. The app drives the one `Charger` from
 * `getCharger()` (the same object for the device's lifetime).
 */
class GoeDevice extends ChargerDevice<GoeSnapshot> {
  /** Extra client options for every go-e device (tests and the demo set `{ minGapMs: 0 }` or a clock). */
  static clientOptions: GoeClientOptions = {};

  /** The charger's logic runs once per second. */
  protected readonly refreshAfterCommandMs = 1500;
  protected readonly cardPrefix = 'goe';
  private charger!: GoeCharger;
  private last: GoeSnapshot | undefined;

  protected async initCharger(): Promise<void> {
    // devices paired before the reason capability existed lack it
    if (!this.hasCapability('goe_reason')) await this.addCapability('goe_reason').catch((err: unknown) => this.error('goe_reason:', describeError(err)));
    await this.addTargetPower();
    await this.addChargingMode();
    registerSecret(this.getStoreValue('token'));
    this.charger = new GoeCharger(this.buildClient(this.getSettings() as GoeDeviceSettings), this.serial());
    this.registerCapabilityListener('charger_current_limit', (value: number) => this.setCurrentLimit(value));
    await this.listenCharging();
    this.registerCapabilityListener('goe_allow_charging', (on: boolean) => (on ? this.resume() : this.pause()));
    this.registerCapabilityListener('goe_session_energy_limit', (kwh: number) => this.setSessionEnergyLimitKwh(kwh));
  }

  getCharger(): Charger {
    return this.charger;
  }

  /** The last status read, if any. */
  getSnapshot(): GoeSnapshot | undefined {
    return this.last;
  }

  // --- polling ----------------------------------------------------------------------------------

  protected read(): Promise<GoeSnapshot> {
    return this.charger.getSnapshot();
  }

  protected async show(snap: GoeSnapshot): Promise<ChargerStatus> {
    const previous = this.last;
    this.last = snap;
    await this.showValues(capabilityValues(snap));
    if (previous) await this.fireTriggers(previous, snap);
    return snap.status;
  }

  protected async showFailure(_err: unknown, message: string): Promise<void> {
    await this.setUnavailable(this.homey.__('goe.unavailable', { message }));
  }

  protected pollIntervalMs(snap: GoeSnapshot | null): number {
    const s = this.getSettings() as GoeDeviceSettings;
    const carConnected = snap ? snap.detail.pwmSignal !== 'ready_no_car' : false;
    return (carConnected ? s.poll_active_s : s.poll_idle_s) * 1000;
  }

  private async fireTriggers(before: GoeSnapshot, now: GoeSnapshot): Promise<void> {
    const energy = (s: GoeSnapshot): number => Math.round(s.status.sessionEnergyWh ?? 0) / 1000;
    if (!isPlugged(before) && isPlugged(now) && now.detail.pwmSignal !== 'error') await this.trigger('goe_car_connected');
    if (isPlugged(before) && now.detail.pwmSignal === 'ready_no_car') await this.trigger('goe_car_disconnected', { session_energy: energy(before) });
    if (before.status.state === 'charging' && now.status.state === 'complete') await this.trigger('goe_charging_finished', { session_energy: energy(now) });
    if (now.status.error && now.status.error !== before.status.error) await this.trigger('goe_error', { error: now.status.error });
  }

  // --- commands (capability listeners and flow cards; limit, pause and resume in ChargerDevice) ---

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
    return this.last !== undefined && isPlugged(this.last);
  }

  isChargingAllowed(): boolean {
    return this.last?.status.chargingAllowed === true;
  }

  // --- settings and connection -------------------------------------------------------------------

  async onSettings({ oldSettings, newSettings }: { oldSettings: object; newSettings: object; changedKeys: string[] }): Promise<string | void> {
    const s = newSettings as GoeDeviceSettings;
    if (!['auto', 'v1', 'v2', 'cloud'].includes(s.api)) throw new Error(this.homey.__('goe.settings.bad_api'));
    if (s.api !== 'cloud') {
      try {
        normaliseHost(s.host);
      } catch (err) {
        // the locale names the field already: the problem alone ("is empty; …"), not "host: is empty; …"
        const message = err instanceof UserInputError ? err.problem : describeError(err);
        throw new Error(this.homey.__('goe.settings.bad_host', { message }));
      }
    } else if (!this.getStoreValue('token')) {
      throw new Error(this.homey.__('goe.settings.no_token'));
    }
    if (!(s.poll_active_s >= 2) || !(s.poll_idle_s >= 5) || s.poll_active_s > s.poll_idle_s) {
      throw new Error(this.homey.__('goe.settings.bad_poll'));
    }
    if (!(s.installation_max_a >= 6 && s.installation_max_a <= 32)) throw new Error(this.homey.__('goe.settings.bad_max'));
    const client = this.buildClient(s);
    if (s.api !== 'cloud' && s.host !== (oldSettings as GoeDeviceSettings).host) await this.refuseOtherCharger(client);
    this.charger.useClient(client);
    this.schedulePoll(0);
  }

  /** A new host where another go-e answers (its serial is not this device's) is refused; no answer is accepted. */
  private async refuseOtherCharger(client: GoeClient): Promise<void> {
    const paired = this.serial();
    if (!paired) return;
    client.expectSerial(paired);
    try {
      await client.getSnapshot();
    } catch (err) {
      if (err instanceof GoeOtherChargerError) {
        throw new Error(this.homey.__('goe.settings.other_charger', { host: err.host, serial: err.serial, paired }));
      }
    }
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
    return new GoeClient(connection, { ...GoeDevice.clientOptions, installationMaxA, authorise: s.authorise_sessions === true });
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
