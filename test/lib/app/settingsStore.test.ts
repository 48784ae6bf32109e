import assert from 'assert';
import { SettingsStore } from '../../../lib/app/settingsStore';
import { defaultAppSettings, defaultChargerSettings, SETTINGS_KEY } from '../../../lib/settings';

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

  it('a fractional margin whose next whole amp the fuse does not allow becomes the largest it allows; nothing else is lost (regression)', () => {
    const charger = { ...defaultChargerSettings(), phaseMap: ['L2', null, null], maxCurrentA: 10 };
    const { store, errors } = storeWith({ ...defaultAppSettings(), fuseA: 10, marginA: 3.5, chargers: { c1: charger } });
    assert.deepStrictEqual([store.get().fuseA, store.get().marginA], [10, 3], 'not 25 A and 1 A: the fuse is kept');
    assert.deepStrictEqual(store.get().chargers.c1, charger);
    assert.deepStrictEqual(errors, ['stored margin 3.5 A is now 3 A (whole amps; 4 A would leave a car less than its 6 A under the 10 A fuse)']);
  });

  it('one bad stored field takes its default; every valid field, the fuse first, is kept, in one line', () => {
    const { store, errors } = storeWith({ ...defaultAppSettings(), fuseA: 16, marginA: 2, restoreHoldS: -5 });
    assert.deepStrictEqual([store.get().fuseA, store.get().marginA, store.get().restoreHoldS], [16, 2, defaultAppSettings().restoreHoldS]);
    assert.strictEqual(errors.length, 1);
    assert.match(errors[0], /^stored settings partly not valid \(restoreHoldS: .*\); those fields use their defaults, the rest is kept$/);
  });

  it('a bad stored charger entry drops that charger\'s settings only', () => {
    const good = { ...defaultChargerSettings(), maxCurrentA: 10 };
    const { store, errors } = storeWith({ ...defaultAppSettings(), fuseA: 16, chargers: { good, bad: { ...defaultChargerSettings(), maxCurrentA: 'lots' } } });
    assert.deepStrictEqual(Object.keys(store.get().chargers), ['good']);
    assert.strictEqual(store.get().fuseA, 16);
    assert.match(errors[0], /chargers\.bad/);
  });
});
