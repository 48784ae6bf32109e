/**
 * HomeWizard devices on the network (Homey's mDNS discovery, strategy `homewizard_energy`): the list the settings
 * page shows (pushed again whenever a device is found), and following the meter picked from that list (settings
 * `meter.serial`) to a new address: now, when it is found, and when Homey reports its address changed. A host typed
 * by hand (no serial) is never moved (see `followedHomeWizardHost`).
 *
 * A meter paired over the local API v2 (source 'homewizard-v2') is followed the same way, by the serial it gave at
 * pairing, through the record firmware 6 announces for API v2: `_homewizard._tcp` (strategy `homewizard_v2`), whose
 * TXT carries `serial`, `product_type`, `api_version` and `id` = "appliance/<product_type>/<serial>", on port 443
 * (api-documentation.homewizard.com, "Discovery"). Only the host changes: the token and the pinned certificate stay,
 * so at the new address the source talks only to the certificate pinned at pairing (a device presenting another one
 * is refused with its one line, the token never sent).
 *
 * Homey-free: a discovery strategy is anything with results and `result` events whose results emit
 * `addressChanged`; getting it may throw (Homey Cloud, Homey Bridge: no local discovery).
 */
import { EventEmitter } from 'events';
import net from 'net';
import { describeError } from '../errors';
import { GRID_METER_PRODUCTS, homeWizardMetersFromDiscovery, isHomeWizardSerial, readHomeWizardRecord } from '../meter/homewizard';
import { HOMEWIZARD_V2_PORT } from '../meter/homewizardV2Client';
import { AppSettings, followedHomeWizardHost, type MeterSettings } from '../settings';
import { readMeterHost } from '../settingsValidation';
import type { HomeWizardDiscoveryView } from '../webapi';

export interface DiscoveryStrategyLike {
  getDiscoveryResults(): Record<string, unknown>;
  on(event: 'result', listener: (result: unknown) => void): unknown;
  removeListener(event: 'result', listener: (result: unknown) => void): unknown;
}

export interface HomeWizardFollowerOptions {
  /** `homey.discovery.getStrategy('homewizard_energy')` (`_hwenergy._tcp`, API v1); throws when discovery is not available. */
  strategy: () => DiscoveryStrategyLike;
  /** `homey.discovery.getStrategy('homewizard_v2')` (`_homewizard._tcp`, API v2); throws when not available. */
  strategyV2?: () => DiscoveryStrategyLike;
  settings: { get(): AppSettings; update(change: (s: AppSettings) => AppSettings): Promise<void> };
  /** Push the list to an open settings page (realtime event `homewizard`). */
  push: (view: HomeWizardDiscoveryView) => void;
  log: (line: string) => void;
  error: (line: string) => void;
}

export class HomeWizardFollower {
  private stopWatching: (() => void)[] = [];

  constructor(private readonly opts: HomeWizardFollowerOptions) {}

  /** Watch discovery (API v1 and v2 records) and follow the picked meter; logs once when discovery is not available. */
  start(): void {
    try {
      this.watch(this.opts.strategy(), true);
    } catch (err) {
      this.opts.log(`HomeWizard discovery not available: ${describeError(err)}`);
    }
    if (this.opts.strategyV2) {
      try {
        this.watch(this.opts.strategyV2(), false);
      } catch (err) {
        this.opts.log(`HomeWizard API v2 discovery not available: ${describeError(err)}`);
      }
    }
    void this.follow();
  }

  stop(): void {
    for (const off of this.stopWatching) off();
    this.stopWatching = [];
  }

  /** The HomeWizard meters found; an empty list with a reason when discovery is unavailable. */
  list(): HomeWizardDiscoveryView {
    let records: unknown[];
    try {
      records = this.records();
    } catch (err) {
      return { meters: [], otherDevices: 0, error: `Homey cannot search the network for HomeWizard devices (${describeError(err)})` };
    }
    return { ...homeWizardMetersFromDiscovery(records), error: null };
  }

  /** When discovery has the picked meter at another address: save that host (the meter source restarts there). */
  async follow(): Promise<void> {
    const current = this.opts.settings.get().meter;
    const v2 = current.source === 'homewizard-v2';
    let host: string | null;
    try {
      host = v2 ? followedV2Host(current, this.v2Records()) : followedHomeWizardHost(current, this.records());
    } catch {
      return; // discovery unavailable: logged once at start
    }
    if (!host) return;
    const { serial, host: oldHost } = current;
    const meter = `HomeWizard P1 ${(serial ?? '').slice(-6)}${v2 ? ' (API v2, pinned certificate kept)' : ''}`;
    try {
      await this.opts.settings.update((s) => ({ ...s, meter: { ...s.meter, host } }));
      this.opts.log(`${meter} moved from ${oldHost} to ${host}: following it`);
    } catch (err) {
      this.opts.error(`${meter} moved to ${host}, but saving the new address failed: ${describeError(err)}`);
    }
  }

  private records(): unknown[] {
    return Object.values(this.opts.strategy().getDiscoveryResults());
  }

  private v2Records(): unknown[] {
    if (!this.opts.strategyV2) return [];
    return Object.values(this.opts.strategyV2().getDiscoveryResults());
  }

  /** Follows `strategy`'s results; the API v1 records (`listed`) also make the list the settings page shows. */
  private watch(strategy: DiscoveryStrategyLike, listed: boolean): void {
    const watched = new Map<EventEmitter, () => void>();
    const onAddressChanged = (): void => void this.follow();
    const watchResult = (result: unknown): void => {
      if (!(result instanceof EventEmitter) || watched.has(result)) return;
      result.on('addressChanged', onAddressChanged);
      watched.set(result, () => result.removeListener('addressChanged', onAddressChanged));
    };
    const onResult = (result: unknown): void => {
      if (listed) {
        const d = readHomeWizardRecord(result);
        this.opts.log(d ? `HomeWizard ${d.productType} found at ${d.host}` : 'an unreadable HomeWizard mDNS record was found');
        this.opts.push(this.list());
      } else {
        const d = readV2Record(result);
        this.opts.log(d ? `HomeWizard ${d.productType} (API v2) found at ${d.host}` : 'an unreadable HomeWizard API v2 mDNS record was found');
      }
      watchResult(result);
      void this.follow();
    };
    strategy.on('result', onResult);
    for (const result of Object.values(strategy.getDiscoveryResults())) watchResult(result);
    this.stopWatching.push(() => {
      strategy.removeListener('result', onResult);
      for (const off of watched.values()) off();
      watched.clear();
    });
  }
}

/** A HomeWizard device from one `_homewizard._tcp` record (API v2); null without a product type, serial or address. */
export interface DiscoveredV2 {
  serial: string;
  /** host[:port] as the meter settings store it (the port only when not 443). */
  host: string;
  productType: string;
  gridMeter: boolean;
}

function txtOf(rec: Record<string, unknown>): Record<string, string> {
  const txt = typeof rec.txt === 'object' && rec.txt !== null ? (rec.txt as Record<string, unknown>) : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(txt)) if (typeof v === 'string' && v.trim() !== '') out[k.toLowerCase()] = v.trim();
  return out;
}

/** Read defensively: TXT `serial`, else the last part of `id` ("appliance/<product_type>/<serial>"). */
export function readV2Record(rec: unknown): DiscoveredV2 | null {
  if (typeof rec !== 'object' || rec === null) return null;
  const r = rec as Record<string, unknown>;
  const txt = txtOf(r);
  const productType = txt.product_type ?? /^appliance\/([^/]+)\/[^/]+$/i.exec(txt.id ?? '')?.[1];
  const serial = txt.serial ?? /^appliance\/[^/]+\/([^/]+)$/i.exec(txt.id ?? '')?.[1];
  const address = typeof r.address === 'string' ? r.address.trim() : '';
  if (!productType || productType.length > 64 || !serial || !isHomeWizardSerial(serial) || address === '') return null;
  const port = Number(r.port);
  const hostPart = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  const portPart = Number.isInteger(port) && port > 0 && port < 65536 && port !== HOMEWIZARD_V2_PORT ? `:${port}` : '';
  const host = readMeterHost(hostPart + portPart).host;
  if (!host) return null;
  const known = Object.keys(GRID_METER_PRODUCTS).find((p) => p.toLowerCase() === productType.toLowerCase());
  return { serial, host, productType: known ?? productType, gridMeter: known !== undefined };
}

/** The address part of host[:port] is an IP address (not a host name, which finds the meter wherever it is). */
function isIpHost(host: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(host.trim());
  return m !== null && net.isIP(m[1] ?? m[2]) !== 0;
}

/**
 * The new host of the API v2 meter the settings name (by its serial, which the meter itself gave at pairing), when
 * its `_homewizard._tcp` record puts it at exactly one other address; null otherwise (another source, no serial, not
 * found, seen at two addresses at once, already there, or paired by a host name, which is kept as typed).
 */
export function followedV2Host(meter: MeterSettings, records: readonly unknown[]): string | null {
  if (meter.source !== 'homewizard-v2' || !meter.serial || !isIpHost(meter.host ?? '')) return null;
  const serial = meter.serial.toLowerCase();
  const hosts = new Map<string, string>();
  for (const rec of records) {
    const d = readV2Record(rec);
    if (d?.gridMeter && d.serial.toLowerCase() === serial) hosts.set(d.host.toLowerCase(), d.host);
  }
  if (hosts.size !== 1 || hosts.has((meter.host ?? '').trim().toLowerCase())) return null;
  return [...hosts.values()][0];
}
