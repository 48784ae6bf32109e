import Homey from 'homey';
import { describeError, registerSecret } from '../../lib/errors';
import { GoeClient, GoeConnection, GoeLocalApi, normaliseHost } from '../../lib/goe/client';
import { GoePairEntry, goeDevicesFromDiscovery, MdnsResult } from '../../lib/goe/discovery';
import type { GoePhaseMode } from '../../lib/goe/status';
import { registerChargingModeCards } from '../chargingMode';
import { registerPlanCards } from '../planCards';
import type GoeDevice from './device';

/** What the pair/repair views send. */
interface LocalProbe {
  host: string;
  api?: GoeLocalApi;
}
interface CloudProbe {
  serial: string;
  token: string;
  api?: 'v1' | 'v2';
  /** Only for tests and alternative cloud hosts; the views never send it. */
  baseUrl?: string;
}

interface PairDevice extends Omit<GoePairEntry, 'store' | 'settings'> {
  store: Record<string, string>;
  settings: { host: string; api: string };
}

const PROBE_TIMEOUT_MS = 5000;

class GoeDriver extends Homey.Driver {
  async onInit(): Promise<void> {
    const action = <A>(id: string, run: (device: GoeDevice, args: A) => Promise<void>): void => {
      this.homey.flow.getActionCard(id).registerRunListener(async (args: A & { device: GoeDevice }) => run(args.device, args));
    };
    action<{ current: number }>('goe_set_current_limit', (d, a) => d.setCurrentLimit(a.current));
    action('goe_pause', (d) => d.pause());
    action('goe_resume', (d) => d.resume());
    action<{ mode: GoePhaseMode }>('goe_set_phase_mode', (d, a) => d.setPhaseMode(a.mode));
    action<{ energy: number }>('goe_set_session_energy_limit', (d, a) => d.setSessionEnergyLimitKwh(a.energy));
    action<{ grid: number; pv?: number; battery?: number }>('goe_push_pv_data', (d, a) => d.pushPvData(a.grid, a.pv, a.battery));
    this.homey.flow.getConditionCard('goe_car_connected').registerRunListener(async ({ device }: { device: GoeDevice }) => device.isCarConnected());
    this.homey.flow.getConditionCard('goe_charging_allowed').registerRunListener(async ({ device }: { device: GoeDevice }) => device.isChargingAllowed());
    registerChargingModeCards(this.homey.flow, 'goe');
    registerPlanCards(this.homey, 'goe');
  }

  /** Results of both mDNS strategies (`goe_http` from the manifest, `goe_legacy`). */
  async discoveryResults(): Promise<MdnsResult[]> {
    const results: MdnsResult[] = [];
    const strategies = [(): unknown => this.getDiscoveryStrategy(), (): unknown => this.homey.discovery.getStrategy('goe_legacy')];
    for (const strategy of strategies) {
      try {
        const found = (strategy() as { getDiscoveryResults(): Record<string, MdnsResult> }).getDiscoveryResults();
        results.push(...Object.values(found));
      } catch (err) {
        this.log('discovery not available:', describeError(err));
      }
    }
    return results;
  }

  async onPairListDevices(): Promise<PairDevice[]> {
    const known = this.getDevices().map((d) => String(d.getData().id));
    return goeDevicesFromDiscovery(await this.discoveryResults(), known);
  }

  async onPair(session: Homey.Driver.PairSession): Promise<void> {
    session.setHandler('list_devices', () => this.onPairListDevices());
    session.setHandler('probe_host', (data: LocalProbe) => this.probeLocal(data));
    session.setHandler('probe_cloud', (data: CloudProbe) => this.probeCloud(data));
  }

  async onRepair(session: Homey.Driver.PairSession, device: Homey.Device): Promise<void> {
    const goe = device as GoeDevice;
    session.setHandler('current', async () => {
      const s = goe.getSettings() as { host: string; api: string };
      return { host: s.host, api: s.api, serial: String(goe.getData().id) };
    });
    session.setHandler('repair', async (data: Partial<LocalProbe & CloudProbe>) => {
      const wanted = String(goe.getData().id);
      const cloud = Boolean(data.token);
      const found = cloud
        ? await this.probeCloud({ serial: data.serial || wanted, token: data.token ?? '', api: data.api as 'v1' | 'v2', baseUrl: data.baseUrl }, wanted)
        : await this.probeLocal({ host: data.host ?? '', api: data.api as GoeLocalApi }, wanted);
      if (found.data.id !== wanted) throw new Error(this.homey.__('goe.pair.other_charger', { serial: found.data.id }));
      for (const [key, value] of Object.entries(found.store)) await goe.setStoreValue(key, value);
      if (!cloud) await goe.unsetStoreValue('token');
      await goe.setSettings(found.settings);
      await goe.reconnect();
      return { name: found.name };
    });
  }

  /** Probe a host the user typed; resolves with the pairing entry or rejects with a readable message. */
  async probeLocal(probe: LocalProbe, allowSerial?: string): Promise<PairDevice> {
    const api = probe.api ?? 'auto';
    let host: string;
    try {
      host = normaliseHost(probe.host);
    } catch (err) {
      throw new Error(describeError(err));
    }
    const snap = await this.probe({ kind: 'local', host, api });
    const serial = snap.detail.serial;
    this.assertNew(serial, allowSerial);
    const shownHost = probe.host.trim();
    return { name: snap.status.name, data: { id: serial }, store: { serial }, settings: { host: shownHost, api } };
  }

  async probeCloud(probe: CloudProbe, allowSerial?: string): Promise<PairDevice> {
    registerSecret(probe.token);
    const api = probe.api ?? 'v2';
    const snap = await this.probe({ kind: 'cloud', serial: probe.serial, token: probe.token, api, baseUrl: probe.baseUrl });
    const serial = snap.detail.serial || probe.serial;
    this.assertNew(serial, allowSerial);
    const store: Record<string, string> = { serial, token: probe.token.trim(), cloudApi: api };
    if (probe.baseUrl) store.cloudBaseUrl = probe.baseUrl;
    return { name: snap.status.name, data: { id: serial }, store, settings: { host: '', api: 'cloud' } };
  }

  private async probe(connection: GoeConnection): Promise<Awaited<ReturnType<GoeClient['getSnapshot']>>> {
    try {
      return await new GoeClient(connection, { timeoutMs: PROBE_TIMEOUT_MS, minGapMs: 0 }).getSnapshot();
    } catch (err) {
      throw new Error(this.homey.__('goe.pair.probe_failed', { message: describeError(err) }));
    }
  }

  private assertNew(serial: string, allowSerial?: string): void {
    if (serial === allowSerial) return;
    if (this.getDevices().some((d) => String(d.getData().id) === serial)) {
      throw new Error(this.homey.__('goe.pair.already_added', { serial }));
    }
  }
}

export = GoeDriver;
