/**
 * The charging mode on a charger device (issue 14 item 1): the capability `charging_mode` (a picker in the device
 * view), the flow cards `<brand>_set_charging_mode`, `<brand>_charging_mode_is` and `<brand>_charging_mode_changed`
 * (tokens mode, previous: the capability's ids, e.g. `min_solar`), remembered in the device's store.
 *
 * The app's `ModeStore` (lib/app/modes.ts) is the one owner of "which mode is this charger in"; this is its holder
 * for one device: the store reads the saved mode through `savedMode()` when the device joins, and every change
 * comes back through `modeChanged()` (save, show, trigger). A device whose charger does not take part in the app's
 * balancing (yet, or a driver without the app) keeps its mode itself: it is shown and saved, and counts once it joins.
 *
 * The capability `charging_mode_status` (a text) says why the charger in its mode is (not) charging ("Solar only:
 * waiting, 0.8 kW surplus of the 4.1 kW a start needs", "Plan: next slot 02:15"): the app's mode store hands it a
 * stable id with numbers (lib/app/modeStatus.ts), translated here in the user's language.
 */
import type { ModeHolder, ModeChangedBy } from '../lib/app/modes';
import { chargingModeFromId, chargingModeId, DEFAULT_CHARGING_MODE } from '../lib/app/modes';
import { modeStatusText, type ModeStatusView } from '../lib/app/modeStatus';
import { describeError } from '../lib/errors';
import type { ChargingMode } from '../lib/limits';

export const CHARGING_MODE_CAPABILITY = 'charging_mode';
/** Why the charger in its mode is (not) charging: a text in the user's language. */
export const CHARGING_MODE_STATUS_CAPABILITY = 'charging_mode_status';
/** The device store key of the mode (as the app writes it, e.g. `min+solar`). */
export const CHARGING_MODE_STORE_KEY = 'chargingMode';

/** The part of a Homey device the mode needs. */
export interface ChargingModeDevice {
  hasCapability(id: string): boolean;
  addCapability(id: string): Promise<unknown>;
  getCapabilityValue(id: string): unknown;
  setCapabilityValue(id: string, value: string): Promise<unknown>;
  getStoreValue(key: string): unknown;
  setStoreValue(key: string, value: unknown): Promise<unknown>;
  registerCapabilityListener(id: string, listener: (value: unknown) => Promise<void>): void;
  /** Homey's translations (a Homey device has them); without, the status shows its id. */
  readonly homey?: { __(key: string, tags?: Record<string, string>): string; i18n?: { getLanguage(): string } };
}

export interface ChargingModeOptions {
  /** The app's mode store took the change (the charger takes part in balancing); false: keep it on the device. */
  setInApp: (mode: ChargingMode, by: ModeChangedBy) => Promise<boolean>;
  /** Fire `<brand>_charging_mode_changed` with its tokens. */
  trigger: (tokens: { mode: string; previous: string }) => Promise<void>;
  log: (line: string) => void;
  error: (line: string) => void;
}

export class ChargingModeControl implements ModeHolder {
  constructor(
    private readonly device: ChargingModeDevice,
    private readonly opts: ChargingModeOptions,
  ) {}

  /** Add the capability to a device paired before it existed, show the saved mode, listen to the picker. */
  async init(): Promise<void> {
    for (const id of [CHARGING_MODE_CAPABILITY, CHARGING_MODE_STATUS_CAPABILITY]) {
      if (!this.device.hasCapability(id)) await this.device.addCapability(id).catch((err: unknown) => this.opts.error(`${id}: ${describeError(err)}`));
    }
    await this.show(this.mode());
    if (!this.device.hasCapability(CHARGING_MODE_CAPABILITY)) return;
    this.device.registerCapabilityListener(CHARGING_MODE_CAPABILITY, async (value: unknown) => {
      await this.set(argMode(value), 'user');
    });
  }

  /** The device's mode: the one saved (the store first, then the capability), else the default. */
  mode(): ChargingMode {
    return chargingModeFromId(this.savedMode()) ?? DEFAULT_CHARGING_MODE;
  }

  savedMode(): unknown {
    const stored = this.device.getStoreValue(CHARGING_MODE_STORE_KEY);
    if (chargingModeFromId(stored) !== null) return stored;
    return this.device.hasCapability(CHARGING_MODE_CAPABILITY) ? this.device.getCapabilityValue(CHARGING_MODE_CAPABILITY) : null;
  }

  /** A person (picker) or a Flow (the action card) sets the mode. */
  async set(mode: ChargingMode, by: ModeChangedBy): Promise<void> {
    if (await this.opts.setInApp(mode, by)) return;
    const previous = this.mode();
    if (previous !== mode) await this.modeChanged(mode, previous, by);
  }

  /** From the app's mode store (or `set` without the app): save, show, tell Flow. */
  async modeChanged(mode: ChargingMode, previous: ChargingMode, by: ModeChangedBy): Promise<void> {
    await this.device.setStoreValue(CHARGING_MODE_STORE_KEY, mode).catch((err: unknown) => this.opts.error(`saving the charging mode: ${describeError(err)}`));
    await this.show(mode);
    this.opts.log(`charging mode ${mode} (was ${previous}; by ${by})`);
    await this.opts.trigger({ mode: chargingModeId(mode), previous: chargingModeId(previous) });
  }

  /** The app's status for this charger (lib/app/modes.ts `showStatus`): written when its text changed. */
  async showStatus(status: ModeStatusView): Promise<void> {
    const homey = this.device.homey;
    const text = homey ? modeStatusText(status, (key, tags) => homey.__(key, tags), homey.i18n?.getLanguage() ?? 'en') : status.id;
    const id = CHARGING_MODE_STATUS_CAPABILITY;
    if (!this.device.hasCapability(id) || this.device.getCapabilityValue(id) === text) return;
    await this.device.setCapabilityValue(id, text).catch((err: unknown) => this.opts.error(`${id}: ${describeError(err)}`));
  }

  private async show(mode: ChargingMode): Promise<void> {
    const id = chargingModeId(mode);
    if (!this.device.hasCapability(CHARGING_MODE_CAPABILITY) || this.device.getCapabilityValue(CHARGING_MODE_CAPABILITY) === id) return;
    await this.device.setCapabilityValue(CHARGING_MODE_CAPABILITY, id).catch((err: unknown) => this.opts.error(`${CHARGING_MODE_CAPABILITY}: ${describeError(err)}`));
  }
}

/** A device the mode's flow cards drive (drivers/chargerDevice.ts). */
export interface ChargingModeCardDevice {
  setChargingMode(mode: ChargingMode): Promise<void>;
  chargingModeIs(mode: ChargingMode): boolean;
}

interface RunListenerCard {
  registerRunListener(listener: (args: { device: ChargingModeCardDevice; mode: unknown }) => Promise<unknown>): unknown;
}

/** The part of `homey.flow` the cards need. */
export interface ChargingModeFlow {
  getActionCard(id: string): RunListenerCard;
  getConditionCard(id: string): RunListenerCard;
}

/** The mode of a card's `mode` argument; one clear line for anything else. */
function argMode(value: unknown): ChargingMode {
  const mode = chargingModeFromId(value);
  if (mode === null) throw new Error(`Unknown charging mode ${JSON.stringify(value)}: choose Fast, Min + Solar, Solar only, Off or Planned`);
  return mode;
}

/** The run listeners of `<prefix>_set_charging_mode` and `<prefix>_charging_mode_is` (the driver's onInit). */
export function registerChargingModeCards(flow: ChargingModeFlow, prefix: string): void {
  flow.getActionCard(`${prefix}_set_charging_mode`).registerRunListener(async ({ device, mode }) => device.setChargingMode(argMode(mode)));
  flow.getConditionCard(`${prefix}_charging_mode_is`).registerRunListener(async ({ device, mode }) => device.chargingModeIs(argMode(mode)));
}
