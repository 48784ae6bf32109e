import type { Charger, ChargerStatus } from '../../lib/charger';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { CHARGEAMPS_POLL, ChargeAmpsClient, sharedClients } from '../../lib/chargeamps/client';
import { clampPollInterval } from '../../lib/pollInterval';
import { DIMMER_VALUES, DimmerValue } from '../../lib/chargeamps/types';
import { PeerError, describeError, registerSecret } from '../../lib/errors';
import { ChargerDevice } from '../chargerDevice';
import { AccountStore, ChargeAmpsStore, clientFor } from './account';
import { capabilityValues } from './capabilities';

/** One read: the connector status and, while online, the charge point's LED brightness. */
interface ConnectorReading {
  status: ChargerStatus;
  dimmer: string | null;
}

/**
 * One connector of a Charge Amps charge point. Thin: the poll loop (drivers/chargerDevice.ts) maps the lib
 * charger's status onto capabilities and triggers; capability listeners and flow cards call the lib charger. All
 * connectors of an account share one session (one client).
 */
class ChargeAmpsDevice extends ChargerDevice<ConnectorReading> {
  /** The cloud needs a few seconds to reach the charger. */
  protected readonly refreshAfterCommandMs = 10_000;
  protected readonly cardPrefix = 'chargeamps';
  private client: ChargeAmpsClient | null = null;
  private charger!: ChargeAmpsConnectorCharger;
  private intervalS = clampPollInterval(undefined, CHARGEAMPS_POLL).intervalS;
  private last: ChargerStatus | undefined;
  private lastRaw: string | null = null;

  protected async initCharger(): Promise<void> {
    this.connect();
    if (this.isSchuko()) await this.becomeSocket();
    else {
      await this.addTargetPower(); // Type 2 connectors paired before target power existed
      await this.addChargingMode();
    }
    const listen = (id: string, fn: (value: unknown) => Promise<void>): void => {
      if (this.hasCapability(id)) this.registerCapabilityListener(id, fn);
    };
    listen('charger_current_limit', (a) => this.setCurrentLimit(Number(a)));
    await this.listenCharging();
    listen('onoff', (on) => (on === true ? this.resume() : this.pause()));
    listen('chargeamps_cable_lock', (locked) => this.setCableLock(locked === true));
    listen('chargeamps_dimmer', (dimmer) => this.setDimmer(dimmer as DimmerValue));
    this.usePollInterval(Number(this.getSetting('poll_interval_s')));
  }

  getCharger(): Charger {
    return this.charger;
  }

  /** A Halo's Schuko outlet (class socket) rather than a Type 2 charger. */
  isSchuko(): boolean {
    return this.getStoreValue('schuko') === true;
  }

  /**
   * A Schuko outlet (an engine heater, a bike) is not balanced: it has no charging current to set, only on/off, so the
   * balancer could only switch off whatever is plugged in. What it draws is house load the meter sees.
   */
  protected override takesPart(): boolean {
    return !this.isSchuko();
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

  /**
   * Use the account's shared client. The new one is acquired before the old one is released, so the account's
   * session (and the charger the app drives) carries on with new credentials; only another account or API host
   * makes a new charger, which then joins the app again.
   */
  private connect(): void {
    const store = this.getStore() as ChargeAmpsStore;
    registerSecret(store.password);
    registerSecret(store.apiKey);
    const old = this.client;
    this.client = clientFor(store);
    if (old) sharedClients.release(old);
    if (this.client === old) return;
    this.charger = new ChargeAmpsConnectorCharger({
      client: this.client,
      chargePointId: store.chargePointId,
      connectorId: Number(store.connectorId),
      resumeMode: {
        load: () => this.getStoreValue('modeBeforePause'),
        save: async (mode) => {
          if (mode) await this.setStoreValue('modeBeforePause', mode);
          else await this.unsetStoreValue('modeBeforePause');
        },
      },
    });
    if (old) this.rejoin();
  }

  /** New credentials after a repair (already verified): store them and poll again. */
  async updateCredentials(account: AccountStore): Promise<void> {
    for (const key of ['email', 'password', 'apiKey'] as const) await this.setStoreValue(key, account[key]);
    if (account.baseUrl) await this.setStoreValue('baseUrl', account.baseUrl);
    this.connect();
    await this.poll();
  }

  protected releaseCharger(): void {
    if (this.client) sharedClients.release(this.client);
    this.client = null;
  }

  // --- polling ----------------------------------------------------------------------------------

  /** Poll every `requestedS` seconds (at least the cloud's minimum); returns the warning when it was raised. */
  private usePollInterval(requestedS: number): string | null {
    const { intervalS, warning } = clampPollInterval(requestedS, CHARGEAMPS_POLL);
    if (warning) this.log(warning);
    this.intervalS = intervalS;
    return warning;
  }

  protected pollIntervalMs(): number {
    return this.intervalS * 1000;
  }

  protected async read(): Promise<ConnectorReading> {
    const status = await this.charger.getStatus();
    const dimmer = status.online && this.hasCapability('chargeamps_dimmer') ? (await this.charger.getChargePointSettings()).dimmer : null;
    return { status, dimmer };
  }

  protected async show({ status, dimmer }: ConnectorReading): Promise<ChargerStatus> {
    const before = this.last;
    const rawBefore = this.lastRaw;
    this.last = status;
    this.lastRaw = this.charger.rawStatus;
    const cableLock = status.online ? (this.charger.connectorSettings?.cableLock ?? null) : null;
    const offlineUnknown = (id: string, value: unknown): boolean =>
      value === null && !status.online && (id === 'chargeamps_cable_lock' || id === 'chargeamps_dimmer');
    await this.showValues(capabilityValues(status, { rawStatus: this.lastRaw, cableLock, dimmer }), offlineUnknown);
    if (before) {
      if (before.online && !status.online) await this.trigger('chargeamps_went_offline');
      if (!before.online && status.online) await this.trigger('chargeamps_came_online');
      if (this.lastRaw !== rawBefore && this.lastRaw !== null) await this.trigger('chargeamps_status_changed', { status: this.lastRaw, state: status.state });
    }
    await this.setWarning(status.online ? null : this.homey.__('chargeamps.offline'));
    return status;
  }

  protected async showFailure(err: unknown, message: string): Promise<void> {
    if (err instanceof PeerError && err.kind === 'rate-limit') {
      // The cloud asked us to slow down: keep the last values, say so, try again later.
      await this.setWarning(this.homey.__('chargeamps.slow_down', { message }));
    } else {
      await this.setUnavailable(this.homey.__('chargeamps.unavailable', { message }));
    }
  }

  // --- commands (capability listeners and flow cards; limit, pause and resume in ChargerDevice) ---

  async setCableLock(locked: boolean): Promise<void> {
    await this.command(() => this.charger.setCableLock(locked));
    await this.showValue('chargeamps_cable_lock', locked);
  }

  async setDimmer(dimmer: DimmerValue): Promise<void> {
    if (!DIMMER_VALUES.includes(dimmer)) throw new Error(this.homey.__('chargeamps.bad_dimmer', { value: String(dimmer) }));
    await this.command(() => this.charger.setDimmer(dimmer));
    await this.showValue('chargeamps_dimmer', dimmer);
  }

  // --- settings ---------------------------------------------------------------------------------

  async onSettings({ newSettings, changedKeys }: { oldSettings: object; newSettings: object; changedKeys: string[] }): Promise<string | void> {
    if (!changedKeys.includes('poll_interval_s')) return;
    const warning = this.usePollInterval(Number((newSettings as { poll_interval_s?: unknown }).poll_interval_s));
    this.schedulePoll(this.pollIntervalMs());
    return warning ?? undefined;
  }
}

export = ChargeAmpsDevice;
