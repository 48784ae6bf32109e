/**
 * HomeWizard P1 discovery through the app on the Homey stand-in: devices announce `_hwenergy._tcp` on the
 * stand-in's network, the real strategy (.homeycompose/discovery/homewizard_energy.json) records them, and the app
 * lists what the settings page shows (GET /homewizard through the real api.ts).
 */
import assert from 'assert';
import api from '../api';
import PhaseGuardApp from '../app';
import { ManualClock } from '../lib/clock';
import type { HomeWizardDiscoveryView } from '../lib/webapi';
import { createHomey, startApp, teardown, type MdnsAnnouncement, type StandinHomey } from './homey-standin';

const P1_TXT = { api_enabled: '1', path: '/api/v1', serial: '3c39e7aabbcc', product_name: 'P1 meter', product_type: 'HWE-P1' };

const p1 = (over: Partial<MdnsAnnouncement> = {}, txt: Record<string, string> = {}): MdnsAnnouncement => ({
  service: '_hwenergy._tcp', name: 'p1meter-AABBCC', address: '192.168.1.20', port: 80, ...over, txt: { ...P1_TXT, ...txt },
});

describe('app: HomeWizard P1 discovery', () => {
  let homey: StandinHomey;
  const originalClock = PhaseGuardApp.clockFactory;

  async function boot(h: StandinHomey = createHomey()): Promise<void> {
    homey = h;
    await startApp(PhaseGuardApp, homey);
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
});
