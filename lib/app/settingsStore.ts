/**
 * The app's settings: loaded once from the Homey setting `config` (defaults when missing, defaults and one error
 * line when stored ones are not valid), changed only as a whole after `validateAppSettings` passed, saved before
 * anyone hears of the change, then handed to `onChange` (the app applies them to the controller and the meter).
 *
 * Homey-free: the store is anything with get/set (homey.settings).
 */
import { UserInputError } from '../errors';
import { AppSettings, SETTINGS_KEY, defaultAppSettings } from '../settings';
import { validateAppSettings } from '../settingsValidation';
import type { SaveResult } from '../webapi';

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
    const stored = { ...(raw as Partial<AppSettings>) };
    // 0.3 takes the margin in whole amps; a fractional one saved before acts as the next whole amp
    if (typeof stored.marginA === 'number' && Number.isFinite(stored.marginA) && !Number.isInteger(stored.marginA)) {
      this.opts.error(`stored margin ${stored.marginA} A is now ${Math.ceil(stored.marginA)} A (whole amps)`);
      stored.marginA = Math.ceil(stored.marginA);
    }
    const result = validateAppSettings({ ...defaultAppSettings(), ...stored }, Object.keys(stored.chargers ?? {}));
    if (result.ok) return result.value;
    this.opts.error(`stored settings are not valid (${Object.entries(result.errors).map(([k, v]) => `${k}: ${v}`).join('; ')}); using defaults`);
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
