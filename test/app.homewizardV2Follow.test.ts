/**
 * Following a HomeWizard P1 meter paired over the local API v2 to a new address, through the app on the Homey
 * stand-in: the meter (the v2 emulator over loopback HTTPS and WebSocket) is paired through the real api.ts, then
 * announces `_homewizard._tcp` (the record firmware 6 announces for API v2) at another address; the app saves only the
 * new host, keeps the token and the pinned certificate, and the WebSocket stream resumes there. A device at the new
 * address with another certificate is refused with the source's one line, before the token is sent. Loopback
 * addresses 127.0.0.1/2/3 stand in for the addresses the router hands out.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import api from '../api';
import PhaseGuardApp from '../app';
import { ManualClock } from '../lib/clock';
import { SETTINGS_KEY, defaultAppSettings, type AppSettings } from '../lib/settings';
import { DEVICE_FW600, HomeWizardV2Emulator, measurementWithValues } from '../tools/emulators/homewizardV2';
import { createHomey, startApp, teardown, type MdnsAnnouncement, type StandinHomey } from './homey-standin';

const TEMPLATE = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'meter', 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
const SERIAL = DEVICE_FW600.serial;
const V2_TXT = { api_version: '2.0.0', id: `appliance/p1dongle/${SERIAL}`, serial: SERIAL, product_name: 'P1 meter', product_type: 'HWE-P1' };

describe('app: following a HomeWizard API v2 meter to a new address', function () {
  this.timeout(20000);
  let homey: StandinHomey;
  let app: PhaseGuardApp;
  let clock: ManualClock;
  let emu: HomeWizardV2Emulator;
  let port: number;
  let currentsA = [1, 2, 3];
  const originalClock = PhaseGuardApp.clockFactory;

  const v2 = (address: string, over: Partial<MdnsAnnouncement> = {}, txt: Record<string, string> = {}): MdnsAnnouncement => ({
    service: '_homewizard._tcp', name: `p1meter-${SERIAL.slice(-6).toUpperCase()}`, address, port, ...over, txt: { ...V2_TXT, ...txt },
  });
  const saved = (): AppSettings => homey.settings.get(SETTINGS_KEY) as AppSettings;
  const movedLines = (): string[] => homey.logs.filter((l) => l.level === 'log' && /moved from/.test(l.line)).map((l) => l.line);
  const measured = (): (number | null)[] => app.webApi.getLiveView().measuredA;
  const meterError = (): string | null => app.webApi.getLiveView().meter.error;

  async function eventually(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (cond()) return;
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  /** The same meter (same certificate) answers at `address` from now on; its next push carries `next`. */
  async function moveMeter(address: string, next: number[]): Promise<void> {
    await emu.stop();
    currentsA = next;
    emu.pushNext();
    await emu.start(port, address);
  }

  async function bootPaired(): Promise<void> {
    homey = createHomey();
    homey.settings.set(SETTINGS_KEY, { ...defaultAppSettings(), fuseA: 35, marginA: 2 });
    app = await startApp(PhaseGuardApp, homey);
    const host = `127.0.0.1:${port}`;
    const pair = (restart: boolean) => api.pairHomeWizardV2({ homey: { app: homey.app }, body: { host, restart } });
    assert.deepStrictEqual(await pair(true), { state: 'press-button', host });
    emu.pressButton();
    assert.strictEqual((await pair(false)).state, 'paired');
    await eventually(() => measured()[2] === 3, 'readings from the meter at 127.0.0.1');
  }

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    PhaseGuardApp.clockFactory = () => clock;
    currentsA = [1, 2, 3];
    emu = new HomeWizardV2Emulator({ measurement: (n) => measurementWithValues(TEMPLATE, { currentsA, n }) });
    port = Number((await emu.start()).split(':').pop());
  });

  afterEach(async () => {
    await teardown(homey);
    PhaseGuardApp.clockFactory = originalClock;
    await emu.stop();
  });

  it('seen at a new address: saves only the host, keeps token and pinned certificate, and streams from there', async () => {
    await bootPaired();
    const before = saved();
    assert.deepStrictEqual(
      [before.meter.source, before.meter.host, before.meter.serial, before.meter.certFingerprint],
      ['homewizard-v2', `127.0.0.1:${port}`, SERIAL, emu.fingerprint],
    );
    const [token] = [...emu.tokens];
    assert.strictEqual(before.meter.token, token);
    assert.deepStrictEqual(homey.discovery.announceMdns(v2('127.0.0.1')), ['homewizard_v2']);
    assert.deepStrictEqual(saved(), before, 'already there: nothing to do');
    assert.match(homey.logText('log'), /HomeWizard HWE-P1 \(API v2\) found at 127\.0\.0\.1:\d+/);

    await moveMeter('127.0.0.2', [7, 8, 9]);
    homey.discovery.announceMdns(v2('127.0.0.2'));
    assert.deepStrictEqual(saved(), { ...before, meter: { ...before.meter, host: `127.0.0.2:${port}` } }, 'only meter.host changed');
    await eventually(() => movedLines().length > 0, 'the log line');
    assert.deepStrictEqual(movedLines(), [`HomeWizard P1 aabbcc (API v2, pinned certificate kept) moved from 127.0.0.1:${port} to 127.0.0.2:${port}: following it`]);
    await eventually(() => measured()[2] === 9, 'readings from the meter at 127.0.0.2');
    assert.deepStrictEqual(measured(), [7, 8, 9]);
    assert.strictEqual(meterError(), null);
    assert.strictEqual(emu.tokens.size, 1, 'no new pairing');
    assert.strictEqual(emu.wsClients, 1);

    // The settings page saves what it shows (the new host, no token): the pairing stays.
    const page = (await api.getSettings({ homey: { app: homey.app } })) as { settings: AppSettings };
    assert.strictEqual(page.settings.meter.token, undefined);
    assert.deepStrictEqual(await api.putSettings({ homey: { app: homey.app }, body: { ...page.settings, fuseA: 30 } }), { ok: true });
    assert.deepStrictEqual(saved(), { ...before, fuseA: 30, meter: { ...before.meter, host: `127.0.0.2:${port}` } });
    for (const l of homey.logs) assert.ok(!l.line.includes(token), `the token in a log line: ${l.line}`);
  });

  it('a device with another certificate at the new address is refused with one line, the token never sent to it', async () => {
    await bootPaired();
    const before = saved();
    const [token] = [...emu.tokens];
    const pinned = emu.fingerprint;
    // A reset or replaced meter announcing the same serial: the address is followed, the certificate is not.
    await moveMeter('127.0.0.3', [4, 5, 6]);
    emu.changeCertificate();
    const wsBefore = emu.stats.wsConnections;
    const httpBefore = emu.stats.httpRequests;
    homey.discovery.announceMdns(v2('127.0.0.3'));
    assert.deepStrictEqual(saved().meter, { ...before.meter, host: `127.0.0.3:${port}` }, 'token and pin kept');
    await eventually(() => /pinned at pairing/.test(meterError() ?? ''), 'the refusal');
    const line = meterError()!;
    assert.match(line, new RegExp(`^HomeWizard 127\\.0\\.0\\.3:${port}: refused: its certificate \\(${emu.fingerprint.slice(0, 11)}…\\) is not the one pinned at pairing \\(${pinned.slice(0, 11)}…\\)`));
    assert.doesNotMatch(line, /\n/);
    assert.ok(!line.includes(token));
    assert.deepStrictEqual([emu.stats.wsConnections, emu.stats.httpRequests], [wsBefore, httpBefore], 'no request reached the other certificate');
    assert.deepStrictEqual(measured(), [1, 2, 3], 'no reading from it');
    for (const l of homey.logs) assert.ok(!l.line.includes(token), `the token in a log line: ${l.line}`);
  });

  it('on start-up follows the paired meter to the address Homey already found it at', async () => {
    await bootPaired();
    const stored = saved();
    await teardown(homey);
    await moveMeter('127.0.0.2', [7, 8, 9]);
    homey = createHomey();
    homey.settings.set(SETTINGS_KEY, stored);
    homey.discovery.announceMdns(v2('127.0.0.2'));
    app = await startApp(PhaseGuardApp, homey);
    assert.deepStrictEqual(saved(), { ...stored, meter: { ...stored.meter, host: `127.0.0.2:${port}` } });
    await eventually(() => measured()[2] === 9, 'readings from the meter at 127.0.0.2');
  });

  it('follows only its own serial, only its API v2 record, only when seen at one address, and only for source API v2', async () => {
    await bootPaired();
    const before = saved();
    // another meter's record, a v1 record of the same meter, a socket with the same serial: nothing moves
    homey.discovery.announceMdns(v2('127.0.0.5', { name: 'p1meter-DDEEFF' }, { serial: '5c2fafddeeff', id: 'appliance/p1dongle/5c2fafddeeff' }));
    homey.discovery.announceMdns({ service: '_hwenergy._tcp', name: 'p1meter-AABBCC', address: '127.0.0.6', port: 80, txt: { api_enabled: '1', path: '/api/v1', serial: SERIAL, product_type: 'HWE-P1' } });
    homey.discovery.announceMdns(v2('127.0.0.7', { name: 'energysocket-AABBCC' }, { product_type: 'HWE-SKT', serial: `${SERIAL}` }));
    assert.deepStrictEqual(saved(), before);
    // the serial from the record's id when TXT has no serial
    const { serial: _serial, ...noSerial } = V2_TXT;
    homey.discovery.removeResult('homewizard_v2', SERIAL);
    await moveMeter('127.0.0.2', [7, 8, 9]);
    const announced = homey.discovery.announceMdns({ ...v2('127.0.0.2'), txt: noSerial });
    assert.deepStrictEqual(announced, [], 'Homey records no result without txt.serial (the strategy id)');
    homey.discovery.announceMdns(v2('127.0.0.2'));
    assert.strictEqual(saved().meter.host, `127.0.0.2:${port}`);
    await eventually(() => measured()[2] === 9, 'readings from the meter at 127.0.0.2');

    // another meter source: never moved
    const flow = { ...saved(), meter: { ...saved().meter, source: 'flow' as const } };
    assert.deepStrictEqual(await api.putSettings({ homey: { app: homey.app }, body: { ...flow, meter: { ...flow.meter, token: undefined } } }), { ok: true });
    const flowSaved = saved();
    homey.discovery.announceMdns(v2('127.0.0.1'));
    assert.deepStrictEqual(saved(), flowSaved);
  });

  it('without the API v2 strategy logs once and still lists API v1 meters; stops watching when the app stops', async () => {
    homey = createHomey();
    const getStrategy = homey.discovery.getStrategy.bind(homey.discovery);
    homey.discovery.getStrategy = (id: string) => {
      if (id === 'homewizard_v2') throw new Error('no such strategy');
      return getStrategy(id);
    };
    app = await startApp(PhaseGuardApp, homey);
    assert.match(homey.logText('log'), /HomeWizard API v2 discovery not available: no such strategy/);
    assert.doesNotMatch(homey.logText('log'), /HomeWizard discovery not available/);
    homey.discovery.announceMdns({ service: '_hwenergy._tcp', name: 'p1meter-AABBCC', address: '192.168.1.20', port: 80, txt: { api_enabled: '1', serial: SERIAL, product_type: 'HWE-P1' } });
    assert.deepStrictEqual((await api.getHomeWizard({ homey: { app: homey.app } })).meters.map((m) => m.host), ['192.168.1.20']);
    await teardown(homey);

    await bootPaired();
    homey.discovery.announceMdns(v2('127.0.0.1'));
    const result = homey.discovery.getStrategy('homewizard_v2').getDiscoveryResult(SERIAL);
    assert.strictEqual(result.listenerCount('addressChanged'), 1);
    await teardown(homey);
    assert.strictEqual(result.listenerCount('addressChanged'), 0);
    const host = saved().meter.host;
    homey.discovery.announceMdns(v2('127.0.0.2'));
    assert.strictEqual(saved().meter.host, host);
  });
});
