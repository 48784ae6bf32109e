/**
 * HomeWizard P1 discovery through the app on the Homey stand-in: devices announce `_hwenergy._tcp` on the
 * stand-in's network, the real strategy (.homeycompose/discovery/homewizard_energy.json) records them, and the app
 * lists what the settings page shows (GET /homewizard through the real api.ts).
 */
import assert from 'assert';
import api from '../api';
import PhaseGuardApp from '../app';
import { ManualClock } from '../lib/clock';
import { nodeFetchTransport } from '../lib/http';
import { HomeWizardEmulator } from '../tools/emulators/homewizard';
import { defaultAppSettings, SETTINGS_KEY, type AppSettings, type MeterSettings } from '../lib/settings';
import type { HomeWizardDiscoveryView } from '../lib/webapi';
import { createHomey, startApp, teardown, type MdnsAnnouncement, type StandinHomey } from './homey-standin';

const P1_TXT = { api_enabled: '1', path: '/api/v1', serial: '3c39e7aabbcc', product_name: 'P1 meter', product_type: 'HWE-P1' };

const p1 = (over: Partial<MdnsAnnouncement> = {}, txt: Record<string, string> = {}): MdnsAnnouncement => ({
  service: '_hwenergy._tcp', name: 'p1meter-AABBCC', address: '192.168.1.20', port: 80, ...over, txt: { ...P1_TXT, ...txt },
});

describe('app: HomeWizard P1 discovery', () => {
  let homey: StandinHomey;
  let app: PhaseGuardApp;
  const originalClock = PhaseGuardApp.clockFactory;

  async function boot(h: StandinHomey = createHomey()): Promise<void> {
    homey = h;
    app = await startApp(PhaseGuardApp, homey);
  }

  const list = (): Promise<HomeWizardDiscoveryView> => api.getHomeWizard({ homey: { app: homey.app } });
  const pushed = (): HomeWizardDiscoveryView[] =>
    homey.api.realtimeEvents.filter((e) => e.event === 'homewizard').map((e) => e.data as HomeWizardDiscoveryView);

  beforeEach(() => {
    PhaseGuardApp.clockFactory = () => new ManualClock(Date.UTC(2025, 5, 1, 12));
  });

  afterEach(async () => {
    PhaseGuardApp.clockFactory = originalClock;
    await teardown(homey);
  });

  it('lists nothing, without an error, before any device announced itself', async () => {
    await boot();
    assert.deepStrictEqual(await list(), { meters: [], otherDevices: 0, error: null });
  });

  it('lists a P1 meter with its local API on, logs it and pushes the list to an open settings page', async () => {
    await boot();
    assert.deepStrictEqual(homey.discovery.announceMdns(p1()), ['homewizard_energy']);
    const expected: HomeWizardDiscoveryView = {
      meters: [{
        id: '3c39e7aabbcc', serial: '3c39e7aabbcc', name: 'P1 Meter (aabbcc)', host: '192.168.1.20', productType: 'HWE-P1', apiEnabled: true, isP1: true, gridMeter: true,
      }],
      otherDevices: 0,
      error: null,
    };
    assert.deepStrictEqual(await list(), expected);
    assert.deepStrictEqual(pushed(), [expected]);
    assert.match(homey.logText('log'), /HomeWizard HWE-P1 found at 192\.168\.1\.20/);
    // Seen again at a new address: the list follows, no second "found".
    homey.discovery.announceMdns(p1({ address: '192.168.1.44' }));
    assert.strictEqual((await list()).meters[0].host, '192.168.1.44');
    assert.strictEqual(pushed().length, 1);
    // Gone from the network.
    homey.discovery.removeResult('homewizard_energy', '3c39e7aabbcc');
    assert.deepStrictEqual((await list()).meters, []);
  });

  it('says when the local API is switched off', async () => {
    await boot();
    homey.discovery.announceMdns(p1({}, { api_enabled: '0' }));
    const [meter] = (await list()).meters;
    assert.strictEqual(meter.apiEnabled, false);
    assert.strictEqual(meter.isP1, true);
  });

  it('counts other HomeWizard products instead of listing them; a 3-phase kWh meter is listed, marked as no P1', async () => {
    await boot();
    homey.discovery.announceMdns(p1({ name: 'energysocket-000001', address: '192.168.1.31' }, { product_type: 'HWE-SKT', product_name: 'Energy Socket', serial: '3c39e7000001' }));
    homey.discovery.announceMdns(p1({ name: 'watermeter-000002', address: '192.168.1.32' }, { product_type: 'HWE-WTR', product_name: 'Watermeter', serial: '3c39e7000002' }));
    assert.deepStrictEqual(await list(), { meters: [], otherDevices: 2, error: null });
    homey.discovery.announceMdns(p1({ name: 'kwhmeter-000003', address: '192.168.1.33' }, { product_type: 'HWE-KWH3', product_name: 'kWh meter', serial: '5c2faf000003' }));
    homey.discovery.announceMdns(p1());
    const view = await list();
    assert.deepStrictEqual(view.meters.map((m) => [m.productType, m.isP1, m.host]), [['HWE-P1', true, '192.168.1.20'], ['HWE-KWH3', false, '192.168.1.33']]);
    assert.strictEqual(view.otherDevices, 2);
  });

  it('copes with malformed TXT records: unusable ones are left out, odd values read as far as they make sense', async () => {
    await boot();
    const strategy = homey.discovery.getStrategy('homewizard_energy');
    // No serial: Homey has no id for it (the strategy's id is {{txt.serial}}), so it never reaches the app.
    const { serial: _serial, ...noSerial } = P1_TXT;
    assert.deepStrictEqual(homey.discovery.announceMdns({ ...p1(), txt: noSerial }), []);
    // No product type, an empty one, no address: recorded by Homey, left out by the app.
    const { product_type: _type, ...noType } = P1_TXT;
    homey.discovery.announceMdns({ ...p1({ name: 'a' }), txt: { ...noType, serial: '3c39e7000001' } });
    homey.discovery.announceMdns(p1({ name: 'b' }, { product_type: '', serial: '3c39e7000002' }));
    homey.discovery.announceMdns(p1({ name: 'c', address: undefined, host: 'bad host name' }, { serial: '3c39e7000003' }));
    // Garbage in the other fields: still a usable P1 (lowercased type, unknown API state, serial with odd characters).
    homey.discovery.announceMdns(p1({ name: 'd', address: '192.168.1.24', port: 0 }, { product_type: 'hwe-p1', api_enabled: 'yes', serial: 'a b<c>' }));
    assert.strictEqual(Object.keys(strategy.getDiscoveryResults()).length, 4);
    const view = await list();
    assert.deepStrictEqual(view.meters, [{
      id: '192.168.1.24', serial: null, name: 'P1 Meter', host: '192.168.1.24', productType: 'HWE-P1', apiEnabled: null, isP1: true, gridMeter: true,
    }]);
    assert.deepStrictEqual([view.otherDevices, view.error], [0, null]);
    assert.match(homey.logText('log'), /an unreadable HomeWizard mDNS record was found/);
  });

  it('without discovery (e.g. Homey Cloud) gives an empty list with a readable reason, never a stack', async () => {
    const h = createHomey();
    h.discovery.getStrategy = () => {
      throw new Error('Discovery is not supported on this platform');
    };
    await boot(h);
    assert.match(homey.logText('log'), /HomeWizard discovery not available: Discovery is not supported on this platform/);
    const view = await list();
    assert.deepStrictEqual(view, {
      meters: [],
      otherDevices: 0,
      error: 'Homey cannot search the network for HomeWizard devices (Discovery is not supported on this platform)',
    });
    assert.doesNotMatch(view.error!, /\n|\bat /);
  });

  it('stops watching discovery when the app stops', async () => {
    await boot();
    await teardown(homey);
    homey.discovery.announceMdns(p1());
    assert.deepStrictEqual(pushed(), []);
  });

  describe('following the picked P1 when the router gives it a new address', () => {
    const SERIAL = P1_TXT.serial;
    const A = '192.168.1.20';
    const B = '192.168.1.44';
    let clock: ManualClock;
    let emuA: HomeWizardEmulator;
    let emuB: HomeWizardEmulator;
    const originalHttp = PhaseGuardApp.homeWizardHttp;

    const saved = (): AppSettings => homey.settings.get(SETTINGS_KEY) as AppSettings;
    const dataPolls = (emu: HomeWizardEmulator): number => emu.requests['/api/v1/data'] ?? 0;
    const movedLines = (): string[] => homey.logs.filter((l) => l.level === 'log' && /moved from/.test(l.line)).map((l) => l.line);
    const stored = (meter: Partial<MeterSettings>): AppSettings => ({
      ...defaultAppSettings(), fuseA: 35, marginA: 2, meter: { source: 'homewizard', host: A, deviceId: null, serial: SERIAL, ...meter },
    });
    /**
     * Waits (real time, for the loopback HTTP) until `cond` holds. It looks only between macrotasks, so whatever an
     * answer set off (the source planning its next poll on the manual clock) has run when it returns.
     */
    async function eventually(cond: () => boolean, what: string): Promise<void> {
      for (let i = 0; i < 500; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (cond()) return;
      }
      assert.fail(`timed out waiting for ${what}`);
    }
    /** The settings page: PUT /settings through the real api.ts. */
    const put = (body: unknown) => api.putSettings({ homey: { app: homey.app }, body });

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
      PhaseGuardApp.clockFactory = () => clock;
      // Two P1 meters on loopback stand in for the addresses the router handed out; any other address is unreachable.
      emuA = new HomeWizardEmulator({ clock, trace: () => [1, 2, 3] });
      emuB = new HomeWizardEmulator({ clock, trace: () => [7, 8, 9] });
      const routes = new Map([[A, await emuA.start()], [B, await emuB.start()]]);
      PhaseGuardApp.homeWizardHttp = (req) => {
        const url = new URL(req.url);
        const to = routes.get(url.host);
        return to ? nodeFetchTransport({ ...req, url: `http://${to}${url.pathname}` }) : Promise.reject(new Error(`${url.host} is unreachable`));
      };
    });

    afterEach(async () => {
      await teardown(homey);
      PhaseGuardApp.homeWizardHttp = originalHttp;
      await emuA.stop();
      await emuB.stop();
    });

    it('picked from the list, then seen at a new address: saves only the new host, polls the meter there and says so', async () => {
      await boot();
      homey.discovery.announceMdns(p1({ address: A }));
      const [found] = (await list()).meters;
      assert.deepStrictEqual(await put({ ...app.appSettings.get(), meter: { source: 'homewizard', host: found.host, serial: found.serial, deviceId: null } }), { ok: true });
      assert.deepStrictEqual(saved().meter, { source: 'homewizard', host: A, deviceId: null, serial: SERIAL });
      await eventually(() => app.webApi.getLiveView().measuredA[2] === 3, 'readings from the meter at A');
      const before = saved();

      homey.discovery.announceMdns(p1({ address: B }));
      assert.deepStrictEqual(saved(), { ...before, meter: { ...before.meter, host: B } }, 'only meter.host changed');
      assert.deepStrictEqual(app.appSettings.get(), saved());
      await eventually(() => movedLines().length > 0, 'the log line');
      assert.deepStrictEqual(movedLines(), [`HomeWizard P1 aabbcc moved from ${A} to ${B}: following it`]);
      const pollsA = dataPolls(emuA);
      // The first reading at B counts (the new source numbers on from the old one), whenever its answer arrives.
      await eventually(() => app.webApi.getLiveView().measuredA[2] === 9, 'readings from the meter at B');
      assert.deepStrictEqual(app.webApi.getLiveView().measuredA, [7, 8, 9]);
      assert.strictEqual(dataPolls(emuB), 1);
      await clock.advance(1000); // the next poll is due a second later, on the app's clock: at B
      await eventually(() => dataPolls(emuB) === 2, 'the second poll at B');
      assert.strictEqual(dataPolls(emuA), pollsA, 'the old address is no longer polled');
      assert.strictEqual(app.webApi.getLiveView().meter.error, null);

      // Seen again at the same address: nothing to do.
      homey.discovery.announceMdns(p1({ address: B }));
      assert.strictEqual(saved().meter.host, B);
      // A settings page opened before the move still sends the old address with the serial: followed again at once.
      assert.deepStrictEqual(await put({ ...before, fuseA: 30 }), { ok: true });
      assert.deepStrictEqual(saved(), { ...before, fuseA: 30, meter: { ...before.meter, host: B } });
      assert.strictEqual(movedLines().length, 2);
      // Gone from the network and found again (a new discovery result) back at A.
      homey.discovery.removeResult('homewizard_energy', SERIAL);
      homey.discovery.announceMdns(p1({ address: A }));
      assert.strictEqual(saved().meter.host, A);
      await eventually(() => movedLines().length === 3, 'the third log line');
      assert.strictEqual(movedLines()[2], `HomeWizard P1 aabbcc moved from ${B} to ${A}: following it`);
    });

    it('on start-up follows the picked meter to the address Homey already found it at', async () => {
      const h = createHomey();
      h.settings.set(SETTINGS_KEY, stored({}));
      h.discovery.announceMdns(p1({ address: B }));
      await boot(h);
      assert.deepStrictEqual(saved(), stored({ host: B }));
      await eventually(() => app.webApi.getLiveView().measuredA[2] === 9, 'readings from the meter at B');
      assert.deepStrictEqual(movedLines(), [`HomeWizard P1 aabbcc moved from ${A} to ${B}: following it`]);
    });

    it('never moves a host typed by hand (no serial), nor for a meter with another serial or another meter source', async () => {
      const h = createHomey();
      h.settings.set(SETTINGS_KEY, stored({ serial: null }));
      await boot(h);
      homey.discovery.announceMdns(p1({ address: A }));
      homey.discovery.announceMdns(p1({ address: B }));
      assert.deepStrictEqual(saved(), stored({ serial: null }));

      assert.deepStrictEqual(await put(stored({})), { ok: true });
      const other = { name: 'p1meter-DDEEFF' };
      homey.discovery.announceMdns(p1({ ...other, address: '192.168.1.45' }, { serial: '3c39e7ddeeff' }));
      homey.discovery.announceMdns(p1({ ...other, address: '192.168.1.46' }, { serial: '3c39e7ddeeff' }));
      assert.deepStrictEqual(saved(), stored({ host: B }), 'only its own serial moved it (to where it was last seen)');

      assert.deepStrictEqual(await put(stored({ source: 'flow', host: A })), { ok: true });
      homey.discovery.announceMdns(p1({ address: '192.168.1.47' }));
      assert.deepStrictEqual(saved(), stored({ source: 'flow', host: A }));
      assert.strictEqual(movedLines().length, 1);
    });

    it('loads settings saved before the serial existed without losing any, and never moves their host', async () => {
      const h = createHomey();
      const { serial: _serial, ...oldMeter } = stored({}).meter;
      const old = { ...stored({}), meter: oldMeter, manualOverride: 'ignore', staleAfterS: 30 };
      h.settings.set(SETTINGS_KEY, old);
      await boot(h);
      assert.deepStrictEqual(app.appSettings.get(), { ...old, meter: { ...oldMeter, serial: null } });
      assert.strictEqual(homey.logText('error'), '');
      homey.discovery.announceMdns(p1({ address: B }));
      assert.deepStrictEqual(saved(), old, 'stored as it was');
      await eventually(() => app.webApi.getLiveView().measuredA[2] === 3, 'readings from the meter at A');
    });

    it('stops following when the app stops', async () => {
      const h = createHomey();
      h.settings.set(SETTINGS_KEY, stored({}));
      h.discovery.announceMdns(p1({ address: A }));
      await boot(h);
      const result = homey.discovery.getStrategy('homewizard_energy').getDiscoveryResult(SERIAL);
      assert.strictEqual(result.listenerCount('addressChanged'), 1);
      await teardown(homey);
      assert.strictEqual(result.listenerCount('addressChanged'), 0);
      homey.discovery.announceMdns(p1({ address: B }));
      assert.strictEqual(saved().meter.host, A);
    });
  });
});
