import assert from 'assert';
import { SettingsStore } from '../../../lib/app/settingsStore';
import { defaultAppSettings, SETTINGS_KEY } from '../../../lib/settings';

function storeWith(value: unknown): { store: SettingsStore; errors: string[]; saved: Map<string, unknown> } {
  const saved = new Map<string, unknown>([[SETTINGS_KEY, value]]);
  const errors: string[] = [];
  const store = new SettingsStore({
    store: { get: (k) => saved.get(k), set: (k, v) => void saved.set(k, v) },
    knownChargerIds: () => [],
    onChange: async () => undefined,
    error: (line) => errors.push(line),
  });
  return { store, errors, saved };
}

describe('lib/app/settingsStore', () => {
  it('takes a fractional margin saved by 0.2 as the next whole amp, keeps everything else, and says so once', () => {
    const { store, errors } = storeWith({ ...defaultAppSettings(), fuseA: 20, marginA: 1.5 });
    assert.strictEqual(store.get().marginA, 2);
    assert.strictEqual(store.get().fuseA, 20, 'the other settings are kept');
    assert.deepStrictEqual(errors, ['stored margin 1.5 A is now 2 A (whole amps)']);
  });

  it('refuses a fractional margin from the settings page with one line, and saves nothing', async () => {
    const { store, saved } = storeWith(defaultAppSettings());
    const before = JSON.stringify(saved.get(SETTINGS_KEY));
    const result = await store.save({ ...defaultAppSettings(), marginA: 0.5 });
    assert.deepStrictEqual(result, { ok: false, errors: { marginA: 'Margin must be whole amps: the meter and the chargers work in whole amps, so 0.5 A would act as 1 A' } });
    assert.strictEqual(JSON.stringify(saved.get(SETTINGS_KEY)), before);
  });
});
