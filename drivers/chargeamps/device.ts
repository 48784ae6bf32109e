import Homey from 'homey';
import type { Charger, ChargerStatus } from '../../lib/charger';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { CHARGEAMPS_POLL, ChargeAmpsClient, sharedClients } from '../../lib/chargeamps/client';
import { clampPollInterval } from '../../lib/pollInterval';
import { DIMMER_VALUES, DimmerValue } from '../../lib/chargeamps/types';
import { PeerError, describeError, registerSecret } from '../../lib/errors';
import { AccountStore, ChargeAmpsManualChange, ChargeAmpsStore, clientFor } from './account';
import { capabilityValues } from './capabilities';

/** Re-read the status this long after a command (the cloud needs a few seconds to reach the charger). */
const REFRESH_AFTER_COMMAND_MS = 10_000;

/**
 * One connector of a Charge Amps charge point. Thin: a poll loop maps the lib charger's status onto
 * capabilities and triggers; capability listeners and flow cards call the lib charger. The app gets
 * the one `Charger` through `getCharger()` and listens to `status` (ChargerStatus), `unavailable`
 * (message) and `manual` (ChargeAmpsManualChange). All connectors of an account share one session.
 */
class ChargeAmpsDevice extends Homey.Device {
  private client: ChargeAmpsClient | null = null;
  private charger!: ChargeAmpsConnectorCharger;
  private pollInterval: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private polling: Promise<ChargerStatus | null> | undefined;
  private last: ChargerStatus | undefined;
  private lastRaw: string | null = null;
  private stopped = false;

  async onInit(): Promise<void> {
    this.connect();
    if (this.isSchuko()) await this.becomeSocket();
    const listen = (id: string, fn: (value: unknown) => Promise<void>): void => {
      if (this.hasCapability(id)) this.registerCapabilityListener(id, fn);
    };
    listen('charger_current_limit', (a) => this.setCurrentLimit(Number(a)));
    listen('evcharger_charging', (on) => (on === true ? this.resume() : this.pause()));
    listen('onoff', (on) => (on === true ? this.resume() : this.pause()));
    listen('chargeamps_cable_lock', (locked) => this.setCableLock(locked === true));
    listen('chargeamps_dimmer', (dimmer) => this.setDimmer(dimmer as DimmerValue));
    this.startPolling();
    void this.poll();
  }

  async onUninit(): Promise<void> {
    this.stop();
  }

  async onDeleted(): Promise<void> {
    this.stop();
  }

  /** The one charger interface the app controller drives. */
  getCharger(): Charger {
    return this.charger;
  }

  /** A Halo's Schuko outlet (class socket) rather than a Type 2 charger. */
  isSchuko(): boolean {
    return this.getStoreValue('schuko') === true;
  }

  getLastStatus(): ChargerStatus | undefined {
    return this.last;
  }

  isOnline(): boolean {
    return this.last?.online === true;
  }

  /** A Schuko outlet is a socket, not an EV charger (in case pairing could not set the class). */
  private async becomeSocket(): Promise<void> {
    try {
      if (this.getClass() !== 'socket') await this.setClass('socket');
      if ((this.getEnergy() as { evCharger?: boolean } | null)?.evCharger) await this.setEnergy({});
    } catch (err) {
      this.error('socket class:', describeError(err));
    }
  }

  // --- connection -------------------------------------------------------------------------------

  private connect(): void {
    const store = this.getStore() as ChargeAmpsStore;
    registerSecret(store.password);
    registerSecret(store.apiKey);
    if (this.client) sharedClients.release(this.client);
    this.client = clientFor(store);
    this.charger = new ChargeAmpsConnectorCharger({ client: this.client, chargePointId: store.chargePointId, connectorId: Number(store.connectorId) });
  }

  /** New credentials after a repair (already verified): store them and poll again. */
  async updateCredentials(account: AccountStore): Promise<void> {
    for (const key of ['email', 'password', 'apiKey'] as const) await this.setStoreValue(key, account[key]);
    if (account.baseUrl) await this.setStoreValue('baseUrl', account.baseUrl);
    this.connect();
    await this.poll();
  }

  private stop(): void {
    this.stopped = true;
    if (this.pollInterval) this.homey.clearInterval(this.pollInterval);
    if (this.refreshTimer) this.homey.clearTimeout(this.refreshTimer);
    this.pollInterval = undefined;
    this.refreshTimer = undefined;
    if (this.client) sharedClients.release(this.client);
    this.client = null;
  }

  // --- polling ----------------------------------------------------------------------------------

  private startPolling(requestedS = Number(this.getSetting('poll_interval_s'))): string | null {
    const { intervalS, warning } = clampPollInterval(requestedS, CHARGEAMPS_POLL);
    if (warning) this.log(warning);
    if (this.pollInterval) this.homey.clearInterval(this.pollInterval);
    this.pollInterval = this.homey.setInterval(() => void this.poll(), intervalS * 1000);
    return warning;
  }

  /** Read the connector once and update capabilities (also used by tests and after commands). */
  poll(): Promise<ChargerStatus | null> {
    if (!this.polling) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined;
      });
    }
    return this.polling;
  }

  private async pollOnce(): Promise<ChargerStatus | null> {
    try {
      const status = await this.charger.getStatus();
      const dimmer = status.online && this.hasCapability('chargeamps_dimmer') ? (await this.charger.getChargePointSettings()).dimmer : null;
      if (this.stopped) return null;
      await this.apply(status, dimmer);
      if (!this.getAvailable()) await this.setAvailable();
      await this.setWarning(status.online ? null : this.homey.__('chargeamps.offline'));
      this.emit('status', status);
      return status;
    } catch (err) {
      if (this.stopped) return null;
      const message = describeError(err);
      this.error('poll failed:', message);
      if (err instanceof PeerError && err.kind === 'rate-limit') {
        // The cloud asked us to slow down: keep the last values, say so, try again later.
        await this.setWarning(this.homey.__('chargeamps.slow_down', { message })).catch(() => undefined);
      } else {
        await this.setUnavailable(this.homey.__('chargeamps.unavailable', { message })).catch(() => undefined);
      }
      this.emit('unavailable', message);
      return null;
    }
  }

  private async apply(status: ChargerStatus, dimmer: string | null): Promise<void> {
    const before = this.last;
    const rawBefore = this.lastRaw;
    this.last = status;
    this.lastRaw = this.charger.rawStatus;
    const cableLock = status.online ? (this.charger.connectorSettings?.cableLock ?? null) : null;
    const values = capabilityValues(status, { rawStatus: this.lastRaw, cableLock, dimmer });
    for (const [id, value] of Object.entries(values)) {
      if (!this.hasCapability(id) || this.getCapabilityValue(id) === value) continue;
      if (value === null && !status.online && (id === 'chargeamps_cable_lock' || id === 'chargeamps_dimmer')) continue;
      await this.setCapabilityValue(id, value).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    }
    if (!before) return;
    const trigger = (id: string, tokens: Record<string, unknown> = {}): Promise<unknown> =>
      this.homey.flow.getDeviceTriggerCard(id).trigger(this, tokens).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    if (before.online && !status.online) await trigger('chargeamps_went_offline');
    if (!before.online && status.online) await trigger('chargeamps_came_online');
    if (this.lastRaw !== rawBefore && this.lastRaw !== null) await trigger('chargeamps_status_changed', { status: this.lastRaw, state: status.state });
  }

  // --- commands (capability listeners and flow cards) -------------------------------------------

  private async command(fn: () => Promise<void>, change?: ChargeAmpsManualChange): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw new Error(describeError(err));
    }
    if (change) this.emit('manual', change);
    if (this.refreshTimer) this.homey.clearTimeout(this.refreshTimer);
    this.refreshTimer = this.homey.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.poll();
    }, REFRESH_AFTER_COMMAND_MS);
  }

  async setCurrentLimit(currentA: number): Promise<void> {
    await this.command(() => this.charger.setCurrentLimit(currentA), { kind: 'current', currentA });
    if (this.hasCapability('charger_current_limit')) await this.setCapabilityValue('charger_current_limit', Math.floor(currentA)).catch(() => undefined);
  }

  async pause(): Promise<void> {
    await this.command(() => this.charger.pause(), { kind: 'pause' });
  }

  async resume(): Promise<void> {
    await this.command(() => this.charger.resume(), { kind: 'resume' });
  }

  async setCableLock(locked: boolean): Promise<void> {
    await this.command(() => this.charger.setCableLock(locked));
    if (this.hasCapability('chargeamps_cable_lock')) await this.setCapabilityValue('chargeamps_cable_lock', locked).catch(() => undefined);
  }

  async setDimmer(dimmer: DimmerValue): Promise<void> {
    if (!DIMMER_VALUES.includes(dimmer)) throw new Error(this.homey.__('chargeamps.bad_dimmer', { value: String(dimmer) }));
    await this.command(() => this.charger.setDimmer(dimmer));
    if (this.hasCapability('chargeamps_dimmer')) await this.setCapabilityValue('chargeamps_dimmer', dimmer).catch(() => undefined);
  }

  // --- settings ---------------------------------------------------------------------------------

  async onSettings({ newSettings, changedKeys }: { oldSettings: object; newSettings: object; changedKeys: string[] }): Promise<string | void> {
    if (!changedKeys.includes('poll_interval_s')) return;
    const warning = this.startPolling(Number((newSettings as { poll_interval_s?: unknown }).poll_interval_s));
    return warning ?? undefined;
  }
}

export = ChargeAmpsDevice;
