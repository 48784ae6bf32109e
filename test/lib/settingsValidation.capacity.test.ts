/**
 * The capacity settings in the app's one settings validation: each bad field gets one line on its own key, good ones
 * come back as numbers, and settings saved before the capacity guard existed load with its defaults (rule off).
 */
import assert from 'assert';
import { SettingsStore } from '../../lib/app/settingsStore';
import { DEFAULT_CAPACITY_SETTINGS, defaultAppSettings, SETTINGS_KEY } from '../../lib/settings';
import { validateAppSettings } from '../../lib/settingsValidation';

const errorsOf = (change: Record<string, unknown>): Record<string, string> => {
  const r = validateAppSettings({ ...defaultAppSettings(), ...change }, []);
  assert.strictEqual(r.ok, false, JSON.stringify(change));
  return (r as { errors: Record<string, string> }).errors;
};

describe('lib/settingsValidation: capacity tariff', () => {
  it('takes a rule, a cap, a period and the Swedish options as the page sends them (numbers as text)', () => {
    const r = validateAppSettings({
      ...defaultAppSettings(), capacity_rule: 'se-peaks', capacity_kw: '6.5', capacity_period_min: '60', capacity_se_peaks: '5', capacity_se_weekday_daytime: true,
    }, []);
    assert.ok(r.ok, JSON.stringify(r));
    const { capacity_rule, capacity_kw, capacity_period_min, capacity_se_peaks, capacity_se_weekday_daytime } = r.value;
    assert.deepStrictEqual([capacity_rule, capacity_kw, capacity_period_min, capacity_se_peaks, capacity_se_weekday_daytime], ['se-peaks', 6.5, 60, 5, true]);
  });

  it('refuses a cap that is not a positive number with one line naming the field', () => {
    for (const bad of [0, -3, 'five', '', null]) {
      const errors = errorsOf({ capacity_rule: 'fixed', capacity_kw: bad });
      assert.deepStrictEqual(Object.keys(errors), ['capacity_kw'], String(bad));
      assert.match(errors.capacity_kw, /^Capacity cap must be a positive number of kW/);
    }
  });

  it('says what each other field expects: the rule, the Flemish minimum, the period, the number of peaks', () => {
    assert.match(errorsOf({ capacity_rule: 'weekly' }).capacity_rule, /one of: off, fixed, month-peak, no-steps, se-peaks/);
    assert.match(errorsOf({ capacity_rule: 'month-peak', capacity_kw: 2 }).capacity_kw, /at least 2\.5 kW/);
    assert.match(errorsOf({ capacity_rule: 'fixed', capacity_period_min: 30 }).capacity_period_min, /15 or 60 minutes/);
    assert.match(errorsOf({ capacity_rule: 'se-peaks', capacity_se_peaks: 11 }).capacity_se_peaks, /whole number from 1 to 10/);
    assert.match(errorsOf({ capacity_se_weekday_daytime: 'yes' }).capacity_se_weekday_daytime, /on or off/);
  });

  it('loads settings saved before the capacity guard with its defaults (rule off), nothing else lost', () => {
    const { capacity_rule: _r, capacity_kw: _k, capacity_period_min: _p, capacity_se_peaks: _s, capacity_se_weekday_daytime: _d, ...old } = defaultAppSettings();
    const stored = new Map<string, unknown>([[SETTINGS_KEY, { ...old, fuseA: 20 }]]);
    const lines: string[] = [];
    const store = new SettingsStore({
      store: { get: (k) => stored.get(k), set: (k, v) => stored.set(k, v) },
      knownChargerIds: () => [],
      onChange: async () => undefined,
      error: (line) => lines.push(line),
    });
    assert.deepStrictEqual(lines, []);
    assert.strictEqual(store.get().fuseA, 20);
    assert.strictEqual(store.get().capacity_rule, DEFAULT_CAPACITY_SETTINGS.capacity_rule);
    assert.strictEqual(store.get().capacity_kw, DEFAULT_CAPACITY_SETTINGS.capacity_kw);
  });
});
