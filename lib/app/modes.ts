/**
 * The charging mode of each charger (issue 14 item 1): `fast` (today: as much as the fuse and the capacity guard
 * allow), `min+solar`, `solar`, `off` and `planned`. One owner of "which mode is this charger in": the limit sources
 * (lib/solar's SolarLimitSource, a plan source) ask `modeOf(id)`, the charger devices show and set it.
 *
 * Homey-free. Persistence goes through a `ModeHolder` each charger's device backs with its own store (the mode is
 * remembered across restarts with the device, and goes when the device is deleted). A charger whose device has not
 * attached (yet) is in the mode last set for it here, or `fast`.
 *
 * Events: `modeChanged` (chargerId, mode, previous, by) after a change was saved through the holder.
 *
 * Who answers for which mode (one owner each, registered with the controller in app.ts): lib/solar's SolarLimitSource
 * for `solar`, `min+solar` and `off` (a 0 A ceiling: the balancer pauses the charger, "Charging mode Off: paused …");
 * lib/plan's source for `planned` (lib/app/plan.ts; without a target it holds the charger paused and says so).
 * `fast` has no source: the fuse and the capacity guard only.
 */
import { EventEmitter } from 'events';
import { describeError } from '../errors';
import { CHARGING_MODES, type ChargingMode, isChargingMode, type LimitSource } from '../limits';
import { reason } from '../reasons';
import type { PlanStatus } from '../plan/planLimit';
import type { SolarStatus } from '../solar/source';
import type { LiveView } from '../webapi';
import { chargerModeStatus, type ModeStatusView } from './modeStatus';

/** Who changed a mode: the device view (picker), a Flow card, or the app itself (a default, a migration). */
export type ModeChangedBy = 'user' | 'flow' | 'app';

export const DEFAULT_CHARGING_MODE: ChargingMode = 'fast';

/**
 * The Homey enum ids of the capability `charging_mode` and of the flow cards' mode argument ('+' is not allowed in
 * an enum id). The one place the two spellings meet.
 */
export const CHARGING_MODE_IDS: Readonly<Record<ChargingMode, string>> = {
  fast: 'fast',
  'min+solar': 'min_solar',
  solar: 'solar',
  off: 'off',
  planned: 'planned',
};

/** The mode of a capability / flow argument id (`min_solar`), or of a mode written as the app writes it (`min+solar`);
 *  null for anything else. */
export function chargingModeFromId(id: unknown): ChargingMode | null {
  if (isChargingMode(id)) return id;
  return CHARGING_MODES.find((m) => CHARGING_MODE_IDS[m] === id) ?? null;
}

export function chargingModeId(mode: ChargingMode): string {
  return CHARGING_MODE_IDS[mode];
}

/** Where a charger's mode is kept between restarts: its device's store (and capability). */
export interface ModeHolder {
  /** The mode saved before, as saved (anything; not a mode → the default). */
  savedMode(): unknown;
  /** Save and show the new mode (and tell Flow); awaited before `setMode` resolves. */
  modeChanged(mode: ChargingMode, previous: ChargingMode, by: ModeChangedBy): Promise<void> | void;
  /** Show why the charger in its mode is (not) charging (the device translates it). */
  showStatus?(status: ModeStatusView): Promise<void> | void;
}

/** Where the status of each charger comes from (the app's solar source and plan; either may not exist yet). */
export interface ModeStatusSources {
  solar: () => { status(id: string): SolarStatus | null } | null | undefined;
  plan: () => { status(id: string): PlanStatus } | null | undefined;
  timeZone: () => string;
  error?: (line: string) => void;
}

export interface ModeChange {
  chargerId: string;
  mode: ChargingMode;
  previous: ChargingMode;
  by: ModeChangedBy;
}

export class ModeStore extends EventEmitter {
  private readonly modes = new Map<string, ChargingMode>();
  private readonly holders = new Map<string, ModeHolder>();
  private statusSources: ModeStatusSources | null = null;
  private statusErrorLogged = false;

  /** The charger's mode; `fast` for a charger never set. */
  modeOf(chargerId: string): ChargingMode {
    return this.modes.get(chargerId) ?? DEFAULT_CHARGING_MODE;
  }

  /** Every charger with a mode known here (attached or set). */
  all(): Record<string, ChargingMode> {
    return Object.fromEntries(this.modes);
  }

  /** A charger's device is there: its saved mode counts (a saved value that is not a mode is the default). */
  attach(chargerId: string, holder: ModeHolder): ChargingMode {
    this.holders.set(chargerId, holder);
    const saved = holder.savedMode();
    const mode = chargingModeFromId(saved) ?? DEFAULT_CHARGING_MODE;
    this.modes.set(chargerId, mode);
    return mode;
  }

  /** The device instance goes away (Homey stops the app or restarts the device): the mode stays for the next one. */
  detach(chargerId: string, holder?: ModeHolder): void {
    if (!holder || this.holders.get(chargerId) === holder) this.holders.delete(chargerId);
  }

  /** The charger left for good (its device was deleted): its mode is forgotten. */
  forget(chargerId: string): void {
    this.holders.delete(chargerId);
    this.modes.delete(chargerId);
  }

  /** Where `statusOf` reads the solar and plan status (app.ts, once both exist). */
  useStatus(sources: ModeStatusSources): void {
    this.statusSources = sources;
  }

  /** Why the charger in its mode is (not) charging, as an id with numbers; null without sources (no app). */
  statusOf(chargerId: string): ModeStatusView | null {
    const src = this.statusSources;
    if (!src) return null;
    try {
      const mode = this.modeOf(chargerId);
      const solar = mode === 'solar' || mode === 'min+solar' ? (src.solar()?.status(chargerId) ?? null) : null;
      const plan = mode === 'planned' ? (src.plan()?.status(chargerId) ?? null) : null;
      return chargerModeStatus(mode, solar, plan, src.timeZone());
    } catch (err) {
      if (!this.statusErrorLogged) src.error?.(`charging mode status: ${describeError(err)}`);
      this.statusErrorLogged = true;
      return null;
    }
  }

  /**
   * `source` (lib/solar's, lib/plan's) with each charger ceiling's reason said as that charger's mode status, the
   * device's own text (`modeStatus.<id>`), for the user's language; the English reason stays for the log.
   */
  speaking(source: LimitSource): LimitSource {
    const charger = source.charger;
    if (!charger) return source;
    return {
      id: source.id,
      observe: source.observe ? (...a) => source.observe!(...a) : undefined,
      site: source.site ? (nowMs) => source.site!(nowMs) : undefined,
      charger: (nowMs, input) => {
        const limit = charger.call(source, nowMs, input);
        const status = limit ? this.statusOf(input.id) : null;
        return limit && status ? { ...limit, text: reason('mode_status', { id: status.id, text: limit.reason, ...status.values }) } : limit;
      },
    };
  }

  /** Hand every attached device its charger's status (the device writes it when the text changed). */
  showStatus(): void {
    for (const [id, holder] of this.holders) {
      const status = holder.showStatus ? this.statusOf(id) : null;
      if (status) void Promise.resolve(holder.showStatus?.(status)).catch(() => undefined);
    }
  }

  /** The live view with each charger's status (the settings page translates it). */
  withStatus(view: LiveView): LiveView {
    if (!this.statusSources) return view;
    return { ...view, chargers: view.chargers.map((c) => ({ ...c, modeStatus: this.statusOf(c.id) })) };
  }

  /**
   * Set a charger's mode: saved through its holder (the device shows it and fires its Flow trigger), then
   * `modeChanged`. The same mode again changes nothing (no event). Returns the change, or null when there was none.
   */
  async setMode(chargerId: string, mode: ChargingMode, by: ModeChangedBy): Promise<ModeChange | null> {
    if (!isChargingMode(mode)) throw new Error(`charging mode must be one of: ${CHARGING_MODES.join(', ')} (got ${JSON.stringify(mode)})`);
    const previous = this.modeOf(chargerId);
    if (previous === mode) return null;
    this.modes.set(chargerId, mode);
    await this.holders.get(chargerId)?.modeChanged(mode, previous, by);
    const change: ModeChange = { chargerId, mode, previous, by };
    this.emit('modeChanged', chargerId, mode, previous, by);
    return change;
  }
}
