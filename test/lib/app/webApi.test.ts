/**
 * lib/app/webApi.ts: PUT /settings from the page, which lists and sends only the chargers taking part now.
 */
import assert from 'assert';
import { SettingsStore } from '../../../lib/app/settingsStore';
import { WebApi } from '../../../lib/app/webApi';
import { defaultAppSettings, defaultChargerSettings, SETTINGS_KEY, type ChargerSettings } from '../../../lib/settings';

describe('lib/app/webApi: saving the settings page', () => {
  const drive: ChargerSettings = { enabled: false, priority: 9, phaseMap: ['L3', null, null], maxCurrentA: 10 };

  function rig(): { api: WebApi; store: SettingsStore } {
    const kv = new Map<string, unknown>([[SETTINGS_KEY, { ...defaultAppSettings(), chargers: { garage: defaultChargerSettings(), 'ca-drive': drive } }]]);
    const store = new SettingsStore({
      store: { get: (k) => kv.get(k), set: (k, v) => void kv.set(k, v) },
      knownChargerIds: () => ['garage'],
      onChange: async () => undefined,
      error: (line) => assert.fail(line),
    });
    const api = new WebApi({
      settings: store,
      // only the garage has joined: the Charge Amps device is still starting (or failed to)
      chargers: { list: () => [{ id: 'garage', name: 'Garage', brand: 'goe', hardwareMaxA: 32 }] },
      homeWizard: { list: () => ({ meters: [], otherDevices: 0, error: null }), follow: async () => undefined },
      live: () => assert.fail('not asked'),
      homeyApi: async () => assert.fail('not asked'),
    });
    return { api, store };
  }

  it('keeps the stored settings of a charger the page did not list (regression: a fuse change dropped them)', async () => {
    const { api, store } = rig();
    const view = api.getSettingsView();
    // what the page sends: the chargers it lists, and a new fuse
    const body = { ...view.settings, fuseA: 20, chargers: { garage: view.settings.chargers.garage } };
    assert.deepStrictEqual(await api.saveSettings(body), { ok: true });
    assert.deepStrictEqual(store.get().chargers['ca-drive'], drive, 'its wiring (L3 only) and its off switch are kept');
    assert.strictEqual(store.get().fuseA, 20);
  });

  it('a listed charger the page sends is saved as sent', async () => {
    const { api, store } = rig();
    const view = api.getSettingsView();
    const garage: ChargerSettings = { ...defaultChargerSettings(), maxCurrentA: 12 };
    assert.deepStrictEqual(await api.saveSettings({ ...view.settings, chargers: { garage } }), { ok: true });
    assert.deepStrictEqual(store.get().chargers.garage, garage);
    assert.deepStrictEqual(store.get().chargers['ca-drive'], drive);
  });
});
