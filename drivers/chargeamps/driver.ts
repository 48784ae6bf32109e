import Homey from 'homey';
import { ConnectorInfo, listConnectors } from '../../lib/chargeamps/charger';
import { accountEmail, ChargeAmpsClient, sharedClients } from '../../lib/chargeamps/client';
import type { ChargeAmpsCredentials } from '../../lib/chargeamps/auth';
import type { DimmerValue } from '../../lib/chargeamps/types';
import { describeError, registerSecret } from '../../lib/errors';
import { ChargeAmpsStore, verifiedClientFor } from './account';
import { SCHUKO_CAPABILITIES, chargerCapabilities } from './capabilities';
import { registerChargingModeCards } from '../chargingMode';
import { registerPlanCards } from '../planCards';
import type ChargeAmpsDevice from './device';

/** What the api_key view sends; `baseUrl` only for tests and other API hosts (advanced field). */
interface ApiKeyInput {
  apiKey?: string;
  baseUrl?: string;
}

class ChargeAmpsDriver extends Homey.Driver {
  async onInit(): Promise<void> {
    const action = <A>(id: string, run: (device: ChargeAmpsDevice, args: A) => Promise<void>): void => {
      this.homey.flow.getActionCard(id).registerRunListener(async (args: A & { device: ChargeAmpsDevice }) => run(args.device, args));
    };
    action<{ current: number }>('chargeamps_set_current_limit', (d, a) => d.setCurrentLimit(a.current));
    action('chargeamps_pause', (d) => d.pause());
    action('chargeamps_resume', (d) => d.resume());
    action<{ locked: 'lock' | 'unlock' }>('chargeamps_set_cable_lock', (d, a) => d.setCableLock(a.locked === 'lock'));
    action<{ dimmer: DimmerValue }>('chargeamps_set_dimmer', (d, a) => d.setDimmer(a.dimmer));
    const condition = (id: string, test: (device: ChargeAmpsDevice) => boolean): void => {
      this.homey.flow.getConditionCard(id).registerRunListener(async ({ device }: { device: ChargeAmpsDevice }) => test(device));
    };
    condition('chargeamps_is_online', (d) => d.isOnline());
    condition('chargeamps_cable_locked', (d) => d.getCapabilityValue('chargeamps_cable_lock') === true);
    registerChargingModeCards(this.homey.flow, 'chargeamps');
    registerPlanCards(this.homey, 'chargeamps');
  }

  async onPair(session: Homey.Driver.PairSession): Promise<void> {
    let input: ApiKeyInput = {};
    let client: ChargeAmpsClient | null = null;
    let credentials: ChargeAmpsCredentials | null = null;
    const release = (): void => {
      if (client) sharedClients.release(client);
      client = null;
    };
    session.setHandler('api_key', async (data: ApiKeyInput) => {
      input = this.checkApiKey(data);
      return true;
    });
    session.setHandler('login', async (data: { username?: string; password?: string }) => {
      release();
      credentials = this.credentials(input, data);
      client = await this.verify({ ...credentials, baseUrl: input.baseUrl });
      return true;
    });
    session.setHandler('list_devices', async () => {
      if (!client || !credentials) throw new Error(this.homey.__('chargeamps.pair.login_first'));
      let connectors: ConnectorInfo[];
      try {
        connectors = await listConnectors(client);
      } catch (err) {
        throw new Error(this.homey.__('chargeamps.pair.list_failed', { message: describeError(err) }));
      }
      if (connectors.length === 0) throw new Error(this.homey.__('chargeamps.pair.no_chargepoints'));
      const known = new Set(this.getDevices().map((d) => String(d.getData().id)));
      const creds = credentials;
      // a charge point read-only for this account cannot be balanced: not listed; said when nothing else is
      const controllable = connectors.filter((c) => !c.readOnly);
      if (controllable.length === 0) {
        const names = [...new Set(connectors.map((c) => c.chargePoint.name ?? c.chargePointId))].join(', ');
        throw new Error(this.homey.__('chargeamps.pair.read_only', { names }));
      }
      return controllable.filter((c) => !known.has(c.id)).map((c) => this.pairEntry(c, creds, input.baseUrl));
    });
    session.setHandler('disconnect', async () => release());
  }

  async onRepair(session: Homey.Driver.PairSession, device: Homey.Device): Promise<void> {
    const dev = device as ChargeAmpsDevice;
    const store = dev.getStore() as ChargeAmpsStore;
    let input: ApiKeyInput = { apiKey: store.apiKey, baseUrl: store.baseUrl };
    session.setHandler('api_key', async (data: ApiKeyInput) => {
      // An empty field keeps the stored key (the view never shows it).
      input = this.checkApiKey({ apiKey: data.apiKey?.trim() || store.apiKey, baseUrl: data.baseUrl?.trim() || store.baseUrl });
      return true;
    });
    session.setHandler('login', async (data: { username?: string; password?: string }) => {
      const credentials = this.credentials(input, { username: data.username?.trim() || store.email, password: data.password });
      const client = await this.verify({ ...credentials, baseUrl: input.baseUrl });
      try {
        await this.checkOwns(client, store.chargePointId);
      } finally {
        sharedClients.release(client);
      }
      // A new password or key for the same account reaches every connector of it (they share one
      // session); another account (that owns this charge point too) only this device.
      const account = accountEmail(store.email);
      const sameAccount = accountEmail(credentials.email) === account;
      for (const other of this.getDevices() as ChargeAmpsDevice[]) {
        const s = other.getStore() as ChargeAmpsStore;
        if (other !== dev && (!sameAccount || accountEmail(s.email) !== account)) continue;
        await other.updateCredentials({ ...credentials, baseUrl: input.baseUrl });
      }
      await session.done();
      return true;
    });
  }

  /** Refuse a login whose account does not own the charge point this device drives. */
  private async checkOwns(client: ChargeAmpsClient, chargePointId: string): Promise<void> {
    let owned: ConnectorInfo[];
    try {
      owned = await listConnectors(client);
    } catch (err) {
      throw new Error(this.homey.__('chargeamps.pair.list_failed', { message: describeError(err) }));
    }
    if (!owned.some((c) => c.chargePointId === chargePointId)) {
      throw new Error(this.homey.__('chargeamps.pair.wrong_account', { id: chargePointId }));
    }
  }

  private checkApiKey(data: ApiKeyInput): ApiKeyInput {
    const apiKey = String(data?.apiKey ?? '').trim();
    registerSecret(apiKey);
    if (apiKey.length < 8) throw new Error(this.homey.__('chargeamps.pair.no_api_key'));
    const baseUrl = String(data?.baseUrl ?? '').trim() || undefined;
    if (baseUrl && !/^https?:\/\/\S+$/i.test(baseUrl)) throw new Error(this.homey.__('chargeamps.pair.bad_base_url'));
    return { apiKey, baseUrl };
  }

  private credentials(input: ApiKeyInput, data: { username?: string; password?: string }): ChargeAmpsCredentials {
    if (!input.apiKey) throw new Error(this.homey.__('chargeamps.pair.no_api_key'));
    const email = String(data?.username ?? '').trim();
    const password = String(data?.password ?? '');
    registerSecret(password);
    if (!/^\S+@\S+$/.test(email) || !password) throw new Error(this.homey.__('chargeamps.pair.need_credentials'));
    return { email, password, apiKey: input.apiKey };
  }

  /** Log in with these credentials (reusing the account's session when it already uses them). */
  private async verify(store: ChargeAmpsCredentials & { baseUrl?: string }): Promise<ChargeAmpsClient> {
    try {
      return await verifiedClientFor(store);
    } catch (err) {
      throw new Error(this.homey.__('chargeamps.pair.login_failed', { message: describeError(err) }));
    }
  }

  private pairEntry(c: ConnectorInfo, creds: ChargeAmpsCredentials, baseUrl?: string) {
    const halo = String(c.chargePoint.type ?? '').toUpperCase() === 'HALO';
    const store: ChargeAmpsStore = { ...creds, chargePointId: c.chargePointId, connectorId: c.connectorId, schuko: c.schuko };
    if (baseUrl) store.baseUrl = baseUrl;
    return {
      name: c.name,
      data: { id: c.id },
      store,
      settings: { account: creds.email, connector: `${c.chargePointId} #${c.connectorId}` },
      // A Halo's Schuko outlet is a socket, not an EV charger; device.onInit enforces the class as well.
      class: c.schuko ? 'socket' : 'evcharger',
      capabilities: c.schuko ? SCHUKO_CAPABILITIES : chargerCapabilities(!halo),
      ...(c.schuko ? { energy: {} } : {}),
    };
  }
}

export = ChargeAmpsDriver;
