/**
 * The app's settings: loaded once from the Homey setting `config` (defaults when missing, defaults and one error
 * line when stored ones are not valid), changed only as a whole after `validateAppSettings` passed, saved before
 * anyone hears of the change, then handed to `onChange` (the app applies them to the controller and the meter).
 *
 * Homey-free: the store is anything with get/set (homey.settings).
 */
import { UserInputError } from '../errors';
import { AppSettings, SETTINGS_KEY, defaultAppSettings } from '../settings';
import { SETTINGS_LIMITS, validateAppSettings } from '../settingsValidation';
import type { SaveResult } from '../webapi';
import { isRecord } from '../record';

export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface SettingsStoreOptions {
  store: KeyValueStore;
  /** Ids of the chargers a `chargers.<id>` entry may name besides the stored ones. */
  knownChargerIds: () => string[];
  /** The saved settings, and the ones they replaced; awaited before `save`/`update` resolve. */
  onChange: (next: AppSettings, previous: AppSettings) => Promise<void>;
  error: (line: string) => void;
}

/**
 * 0.3 takes the margin in whole amps; a fractional one saved before acts as the next whole amp, or as the largest
 * whole one the fuse allows (less than the fuse minus the 6 A a car needs) when the next would not be. Said once.
 */
function wholeAmpMargin(stored: Partial<AppSettings>, error: (line: string) => void): void {
  const m = stored.marginA;
  if (typeof m !== 'number' || !Number.isFinite(m) || Number.isInteger(m)) return;
  let whole = Math.ceil(m);
  const fuse = stored.fuseA;
  const largest = typeof fuse === 'number' && Number.isFinite(fuse) ? Math.ceil(fuse - SETTINGS_LIMITS.minChargeA) - 1 : Infinity;
  if (whole > largest && largest >= 0) whole = largest;
  const why = whole < m ? `whole amps; ${Math.ceil(m)} A would leave a car less than its ${SETTINGS_LIMITS.minChargeA} A under the ${fuse} A fuse` : 'whole amps';
  error(`stored margin ${m} A is now ${whole} A (${why})`);
  stored.marginA = whole;
}

export class SettingsStore {
  private value: AppSettings;

  constructor(private readonly opts: SettingsStoreOptions) {
    this.value = this.load();
  }

  get(): AppSettings {
    return this.value;
  }

  /** The settings page's whole object: nothing is saved unless every field is valid. */
  async save(body: unknown): Promise<SaveResult> {
    const result = validateAppSettings(body, this.chargerIds());
    if (!result.ok) return { ok: false, errors: result.errors };
    await this.apply(result.value);
    return { ok: true };
  }

  /** Change some fields (flow cards, following a meter): validated as a whole, or one clear line is thrown. */
  async update(change: (s: AppSettings) => AppSettings): Promise<void> {
    const result = validateAppSettings(change(this.value), this.chargerIds());
    if (!result.ok) {
      const [field, message] = Object.entries(result.errors)[0];
      throw new UserInputError(field, message);
    }
    await this.apply(result.value);
  }

  private load(): AppSettings {
    const raw = this.opts.store.get(SETTINGS_KEY);
    if (raw === null || raw === undefined) return defaultAppSettings();
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      this.opts.error('stored settings are not an object; using defaults');
      return defaultAppSettings();
    }
    const stored = { ...(raw as Partial<AppSettings>) };
    wholeAmpMargin(stored, this.opts.error);
    const candidate: Record<string, unknown> = { ...defaultAppSettings(), ...stored };
    const ids = Object.keys(stored.chargers ?? {});
    let result = validateAppSettings(candidate, ids);
    if (result.ok) return result.value;
    // keep every valid field: only the bad ones (a bad charger entry: that charger's) take their defaults
    const defaults = defaultAppSettings() as unknown as Record<string, unknown>;
    const problems = Object.entries(result.errors).map(([k, v]) => `${k}: ${v}`).join('; ');
    for (const field of Object.keys(result.errors)) {
      const [top, id] = field.split('.');
      if (top === 'chargers' && id && isRecord(candidate.chargers)) {
        const { [id]: _bad, ...rest } = candidate.chargers;
        candidate.chargers = rest;
      } else if (top in defaults) candidate[top] = defaults[top];
    }
    result = validateAppSettings(candidate, Object.keys(isRecord(candidate.chargers) ? candidate.chargers : {}));
    if (result.ok) {
      this.opts.error(`stored settings partly not valid (${problems}); those fields use their defaults, the rest is kept`);
      return result.value;
    }
    this.opts.error(`stored settings are not valid (${problems}); using defaults`);
    return defaultAppSettings();
  }

  private chargerIds(): string[] {
    return [...new Set([...this.opts.knownChargerIds(), ...Object.keys(this.value.chargers)])];
  }

  /** Saved at once (synchronously), then handed on. */
  private async apply(next: AppSettings): Promise<void> {
    const previous = this.value;
    this.opts.store.set(SETTINGS_KEY, next);
    this.value = next;
    await this.opts.onChange(next, previous);
  }
}
