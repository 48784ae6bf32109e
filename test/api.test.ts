import assert from 'assert';
import api from '../api';
import { defaultAppSettings } from '../lib/settings';
import { validateAppSettings } from '../lib/settingsValidation';
import type { HomeWizardDiscoveryView, LiveView, MeterCandidate, SaveResult, SettingsView } from '../lib/webapi';
import manifest from '../.homeycompose/app.json';

/** A fake app with the `webApi` api.ts relies on; saveSettings runs the real validation. */
function fakeApp() {
  const errors: string[] = [];
  let stored = defaultAppSettings();
  const meters: MeterCandidate[] = [{
    id: 'm1', name: 'P1', app: 'HomeWizard', phaseCapabilities: ['measure_current.l1', 'measure_current.l2', 'measure_current.l3'], basis: 'current', lastValuesA: [3, 4, 5],
  }];
  const webApi = {
    getSettingsView(): SettingsView {
      return { settings: stored, chargers: [{ id: 'goe-1', name: 'Garage', brand: 'goe', hardwareMaxA: 16 }] };
    },
    async saveSettings(body: unknown): Promise<SaveResult> {
      const r = validateAppSettings(body, ['goe-1']);
      if (!r.ok) return { ok: false, errors: r.errors };
      stored = r.value;
      return { ok: true };
    },
    async listMeters(): Promise<MeterCandidate[]> { return meters; },
    homeWizard: {
      meters: [{ id: '3c39e7aabbcc', serial: '3c39e7aabbcc', name: 'P1 Meter (aabbcc)', host: '192.168.1.20', productType: 'HWE-P1', apiEnabled: true, isP1: true, gridMeter: true }],
      otherDevices: 1,
      error: null,
    } as HomeWizardDiscoveryView,
    listHomeWizardMeters(): HomeWizardDiscoveryView { return this.homeWizard; },
    getLiveView(): LiveView { throw new Error('meter source not started\n  retry later'); },
  };
  return {
    errors,
    get stored() { return stored; },
    webApi,
    error(...args: unknown[]) { errors.push(args.join(' ')); },
  };
}

describe('api.ts (app Web API)', () => {
  it('declares one route per handler in the compose manifest', () => {
    const routes = (manifest as { api: Record<string, { method: string; path: string }> }).api;
    assert.deepStrictEqual(Object.keys(routes).sort(), Object.keys(api).sort());
    assert.deepStrictEqual(routes.putSettings, { method: 'PUT', path: '/settings' });
    assert.deepStrictEqual(routes.getSettings, { method: 'GET', path: '/settings' });
    assert.deepStrictEqual(routes.getMeters, { method: 'GET', path: '/meters' });
    assert.deepStrictEqual(routes.getLive, { method: 'GET', path: '/live' });
    assert.deepStrictEqual(routes.getHomeWizard, { method: 'GET', path: '/homewizard' });
  });

  it('GET /settings and /meters forward to the app', async () => {
    const app = fakeApp();
    const view = await api.getSettings({ homey: { app } });
    assert.deepStrictEqual(view.settings, defaultAppSettings());
    assert.strictEqual(view.chargers[0].id, 'goe-1');
    const meters = await api.getMeters({ homey: { app } });
    assert.deepStrictEqual(meters.map((m) => m.id), ['m1']);
  });

  it('GET /homewizard forwards to the app, and a failure there is one line', async () => {
    const app = fakeApp();
    assert.deepStrictEqual(await api.getHomeWizard({ homey: { app } }), app.webApi.homeWizard);
    app.webApi.listHomeWizardMeters = () => { throw new TypeError('strategy.getDiscoveryResults is not a function'); };
    await assert.rejects(api.getHomeWizard({ homey: { app } }), (err: Error) => {
      assert.strictEqual(err.message, 'Searching for HomeWizard meters failed: strategy.getDiscoveryResults is not a function');
      return true;
    });
    await assert.rejects(api.getHomeWizard({ homey: { app: {} } }), /still starting/);
  });

  it('PUT /settings saves a valid object whole', async () => {
    const app = fakeApp();
    const body = { ...defaultAppSettings(), fuseA: '35', chargers: { 'goe-1': { enabled: true, priority: 3, phaseMap: ['L2', 'L3', 'L1'], maxCurrentA: 16 } } };
    assert.deepStrictEqual(await api.putSettings({ homey: { app }, body }), { ok: true });
    assert.strictEqual(app.stored.fuseA, 35);
    assert.deepStrictEqual(app.stored.chargers['goe-1'].phaseMap, ['L2', 'L3', 'L1']);
  });

  it('PUT /settings returns the errors map and saves nothing when a field is bad', async () => {
    const app = fakeApp();
    const body = { ...defaultAppSettings(), fuseA: 30, marginA: 99 };
    const r = await api.putSettings({ homey: { app }, body });
    assert.deepStrictEqual(r, { ok: false, errors: { marginA: 'Margin must be less than 24 A (fuse 30 A minus the 6 A a car needs)' } });
    assert.deepStrictEqual(app.stored, defaultAppSettings());
  });

  it('turns an unexpected failure into one line without a stack, and logs it', async () => {
    const app = fakeApp();
    await assert.rejects(api.getLive({ homey: { app } }), (err: Error) => {
      assert.strictEqual(err.message, 'Loading the live view failed: meter source not started retry later');
      return true;
    });
    assert.deepStrictEqual(app.errors, ['Loading the live view failed: meter source not started retry later']);
  });

  it('says the app is still starting when the app has no webApi (or it lacks the method) yet', async () => {
    await assert.rejects(api.getSettings({ homey: { app: {} } }), /Loading the settings failed: the app is still starting, try again in a moment/);
    await assert.rejects(api.getLive({ homey: { app: { webApi: {} } } }), /Loading the live view failed: the app is still starting/);
    await assert.rejects(api.putSettings({ homey: { app: undefined }, body: {} }), /still starting/);
  });
});
