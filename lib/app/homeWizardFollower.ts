/**
 * HomeWizard devices on the network (Homey's mDNS discovery, strategy `homewizard_energy`): the list the settings
 * page shows (pushed again whenever a device is found), and following the meter picked from that list (settings
 * `meter.serial`) to a new address: now, when it is found, and when Homey reports its address changed. A host typed
 * by hand (no serial) is never moved (see `followedHomeWizardHost`).
 *
 * Homey-free: the discovery strategy is anything with results and `result` events whose results emit
 * `addressChanged`; getting it may throw (Homey Cloud, Homey Bridge: no local discovery).
 */
import { EventEmitter } from 'events';
import { describeError } from '../errors';
import { homeWizardMetersFromDiscovery, readHomeWizardRecord } from '../meter/homewizard';
import { AppSettings, followedHomeWizardHost } from '../settings';
import type { HomeWizardDiscoveryView } from '../webapi';

export interface DiscoveryStrategyLike {
  getDiscoveryResults(): Record<string, unknown>;
  on(event: 'result', listener: (result: unknown) => void): unknown;
  removeListener(event: 'result', listener: (result: unknown) => void): unknown;
}

export interface HomeWizardFollowerOptions {
  /** `homey.discovery.getStrategy('homewizard_energy')`; throws when discovery is not available. */
  strategy: () => DiscoveryStrategyLike;
  settings: { get(): AppSettings; update(change: (s: AppSettings) => AppSettings): Promise<void> };
  /** Push the list to an open settings page (realtime event `homewizard`). */
  push: (view: HomeWizardDiscoveryView) => void;
  log: (line: string) => void;
  error: (line: string) => void;
}

export class HomeWizardFollower {
  private stopWatching: (() => void) | null = null;

  constructor(private readonly opts: HomeWizardFollowerOptions) {}

  /** Watch discovery and follow the picked meter; logs once when discovery is not available. */
  start(): void {
    try {
      this.watch(this.opts.strategy());
      void this.follow();
    } catch (err) {
      this.opts.log(`HomeWizard discovery not available: ${describeError(err)}`);
    }
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
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
    let host: string | null;
    try {
      host = followedHomeWizardHost(this.opts.settings.get().meter, this.records());
    } catch {
      return; // discovery unavailable: logged once at start
    }
    if (!host) return;
    const { serial, host: oldHost } = this.opts.settings.get().meter;
    const meter = `HomeWizard P1 ${(serial ?? '').slice(-6)}`;
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

  private watch(strategy: DiscoveryStrategyLike): void {
    const watched = new Map<EventEmitter, () => void>();
    const onAddressChanged = (): void => void this.follow();
    const watchResult = (result: unknown): void => {
      if (!(result instanceof EventEmitter) || watched.has(result)) return;
      result.on('addressChanged', onAddressChanged);
      watched.set(result, () => result.removeListener('addressChanged', onAddressChanged));
    };
    const onResult = (result: unknown): void => {
      const d = readHomeWizardRecord(result);
      this.opts.log(d ? `HomeWizard ${d.productType} found at ${d.host}` : 'an unreadable HomeWizard mDNS record was found');
      this.opts.push(this.list());
      watchResult(result);
      void this.follow();
    };
    strategy.on('result', onResult);
    for (const result of Object.values(strategy.getDiscoveryResults())) watchResult(result);
    this.stopWatching = () => {
      strategy.removeListener('result', onResult);
      for (const off of watched.values()) off();
      watched.clear();
    };
  }
}
