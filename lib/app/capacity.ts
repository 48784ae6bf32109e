/**
 * The capacity-tariff guard in the app (lib/capacity, docs/capacity.md): built from the settings and the Homey's time
 * zone, registered with the controller as a limit source, its state persisted through the app's store (a restart
 * mid-period goes on with the period's energy and the month's peaks), rebuilt when the settings change; its status for
 * the settings page and the flow condition, its events for the flow triggers, its figures for Insights once a minute.
 *
 * The guard stays registered with the rule "off" too: it then limits nothing but still measures the period's average
 * and the month's peaks, so the settings page shows what a cap would be up against before one is chosen.
 *
 * Homey-free: the store is anything with get/set (homey.settings), time from the app's clock.
 */
import type { LimitSource } from '../limits';
import type { CapacityConfig, CapacityEvent, CapacityStatus } from '../capacity/types';
import type { Clock, TimerHandle } from '../clock';
import { describeError, UserInputError } from '../errors';
import { isKnownZone } from '../capacity/period';
import { capKWProblem, validateCapacitySettings } from '../capacity/validate';
import { type AppSettings, capacitySettings, DEFAULT_CAPACITY_SETTINGS } from '../settings';
import type { KeyValueStore } from './settingsStore';

/** Homey setting key of the guard's persisted state. */
export const CAPACITY_STATE_KEY = 'capacityState';
/** How often the state is saved and Insights are written (ms). */
export const CAPACITY_EVERY_MS = 60_000;

/** What the app needs of the guard (lib/capacity/guard.ts `CapacityGuard`). */
export interface CapacityGuardLike extends LimitSource {
  setConfig(cfg: CapacityConfig): void;
  setCapKW(kw: number): void;
  suspendForPeriod(): void;
  status(): CapacityStatus;
  getState(): unknown;
  /** The meter's own month peak (kW), shown next to the guard's figure. */
  setMeterPeakKW?(kw: number | null): void;
}

export type CapacityGuardFactory = (cfg: CapacityConfig, opts: { state?: unknown; onEvent: (e: CapacityEvent) => void }) => CapacityGuardLike;

export interface AppCapacityOptions {
  clock: Clock;
  /** Builds the guard (`new CapacityGuard(cfg, opts)`). */
  createGuard: CapacityGuardFactory;
  /** The Homey's IANA time zone (`homey.clock.getTimezone()`), read at each (re)configuration. */
  timeZone: () => string;
  store: KeyValueStore;
  limits: { addLimitSource(src: LimitSource): void; removeLimitSource(id: string): void };
  /** The guard's events (flow triggers); called after the controller's step, never inside it. */
  onEvent: (e: CapacityEvent) => void | Promise<void>;
  /** Once a minute: the status for Insights. */
  onMinute?: (s: CapacityStatus) => void;
  log: (line: string) => void;
  error: (line: string) => void;
}

/**
 * The settings (saved ones are valid already) and the zone → the guard's config, through the one validation
 * (lib/capacity/validate.ts); settings it refuses give the rule "off" and their problems in `problem`.
 */
export function capacityConfig(settings: Partial<AppSettings>, timeZone: string): { config: CapacityConfig; problem: string | null } {
  const r = validateCapacitySettings(capacitySettings(settings), timeZone);
  if (r.ok) return { config: r.value, problem: null };
  const off = validateCapacitySettings({ capacity_rule: 'off' }, timeZone);
  const config: CapacityConfig = off.ok ? off.value : { rule: 'off', capKW: DEFAULT_CAPACITY_SETTINGS.capacity_kw, periodMin: 15, timeZone: FALLBACK_ZONE };
  return { config, problem: Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join('; ') };
}

/** When Homey names no zone, or one luxon does not know. */
const FALLBACK_ZONE = 'Europe/Amsterdam';

export class AppCapacity {
  private guard: CapacityGuardLike | null = null;
  private timer: TimerHandle | undefined;
  private lastSaved = '';
  private config: CapacityConfig | null = null;

  constructor(private readonly opts: AppCapacityOptions) {}

  /** Build the guard (first call, with the persisted state) or give it the new settings; registered with the controller. */
  configure(settings: Partial<AppSettings>): void {
    const { config: cfg, problem } = capacityConfig(settings, this.zone());
    if (problem) this.opts.error(`capacity settings not usable, the guard only measures: ${problem}`);
    const changed = JSON.stringify(cfg) !== JSON.stringify(this.config);
    this.config = cfg;
    if (!this.guard) {
      this.guard = this.opts.createGuard(cfg, { state: this.loadState(), onEvent: (e) => this.event(e) });
      this.opts.limits.addLimitSource(this.source(this.guard));
      this.schedule();
    } else if (changed) {
      this.guard.setConfig(cfg);
      this.save();
    }
    if (changed) this.opts.log(`capacity guard: ${describeConfig(cfg)}`);
  }

  /**
   * The settings page saved (even unchanged): a cap set by the flow card ends, as its hint says. Other changes of
   * the settings (a flow card, the meter moving) leave it, unless they change the capacity settings themselves.
   */
  settingsSaved(): void {
    if (!this.guard || !this.config) return;
    this.guard.setConfig(this.config);
    this.save();
  }

  /** The guard's status (GET /capacity, the settings page); null before the app configured it. */
  status(): CapacityStatus | null {
    return this.guard ? this.guard.status() : null;
  }

  /** Flow action "set the cap to X kW": the guard holds it until the settings are saved again (also across a
   *  restart). The same limits as the settings' cap (lib/capacity/validate.ts), one line naming the card's `cap`. */
  setCapKW(kw: number): void {
    const guard = this.requireActiveRule();
    const problem = capKWProblem(kw, this.config?.rule);
    if (problem) throw new UserInputError('cap', `${problem} (got ${kw})`);
    guard.setCapKW(kw);
    this.save();
    this.opts.log(`capacity cap set to ${kw} kW by a flow`);
  }

  /** Flow action "suspend the cap for this period". */
  suspendForPeriod(): void {
    this.requireActiveRule().suspendForPeriod();
    this.save();
  }

  /** The guard, or one clear line when no rule is chosen (a cap action would do nothing). */
  requireActiveRule(): CapacityGuardLike {
    if (!this.guard || !this.config || this.config.rule === 'off') {
      throw new UserInputError('capacity_rule', 'no capacity rule is chosen; pick one under "Capacity tariff" on the settings page');
    }
    return this.guard;
  }

  /** The app stops: state saved, guard unregistered. */
  stop(): void {
    this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.guard) return;
    this.save();
    this.opts.limits.removeLimitSource(this.guard.id);
    this.guard = null;
  }

  /** The guard as the controller sees it, handing each sample's meter peak (W) on as kW first. */
  private source(guard: CapacityGuardLike): LimitSource {
    return {
      id: guard.id,
      observe: (nowMs, wallMs, sample, chargers) => {
        const peakW = sample?.meterPeakW;
        if (typeof peakW === 'number' && Number.isFinite(peakW)) guard.setMeterPeakKW?.(Math.round(peakW) / 1000);
        guard.observe?.(nowMs, wallMs, sample, chargers);
      },
      site: (nowMs) => guard.site?.(nowMs) ?? null,
      charger: (nowMs, input) => guard.charger?.(nowMs, input) ?? null,
    };
  }

  private zone(): string {
    try {
      const z = this.opts.timeZone();
      if (typeof z === 'string' && isKnownZone(z)) return z;
      this.opts.error(`the Homey's time zone "${String(z)}" is unknown; periods follow ${FALLBACK_ZONE}`);
    } catch (err) {
      this.opts.error(`time zone: ${describeError(err)}; periods follow ${FALLBACK_ZONE}`);
    }
    return FALLBACK_ZONE;
  }

  private event(e: CapacityEvent): void {
    this.save();
    // after the controller's step that raised it
    this.opts.clock.setTimeout(() => {
      Promise.resolve()
        .then(() => this.opts.onEvent(e))
        .catch((err: unknown) => this.opts.error(`capacity event ${e.type}: ${describeError(err)}`));
    }, 0);
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      this.save();
      const s = this.status();
      if (s) {
        try {
          this.opts.onMinute?.(s);
        } catch (err) {
          this.opts.error(`capacity insights: ${describeError(err)}`);
        }
      }
      if (this.guard) this.schedule();
    }, CAPACITY_EVERY_MS);
  }

  private loadState(): unknown {
    try {
      return this.opts.store.get(CAPACITY_STATE_KEY) ?? undefined;
    } catch (err) {
      this.opts.error(`capacity state not read: ${describeError(err)}`);
      return undefined;
    }
  }

  private save(): void {
    if (!this.guard) return;
    try {
      const state = this.guard.getState();
      const text = JSON.stringify(state);
      if (text === this.lastSaved) return;
      this.opts.store.set(CAPACITY_STATE_KEY, state);
      this.lastSaved = text;
    } catch (err) {
      this.opts.error(`capacity state not saved: ${describeError(err)}`);
    }
  }
}

function describeConfig(c: CapacityConfig): string {
  if (c.rule === 'off') return 'off (measuring only)';
  const se = c.rule === 'se-peaks' ? `, ${c.sePeakCount} peaks${c.seWeekdayDaytimeOnly ? ', weekday daytime only' : ''}` : '';
  return `${c.rule}, ${c.capKW} kW per ${c.periodMin} min${se} (${c.timeZone})`;
}
