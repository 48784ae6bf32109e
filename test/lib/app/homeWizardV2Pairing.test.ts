/**
 * HomeWizard API v2 in the app's settings: pairing through the settings page's endpoint against the v2 emulator over
 * loopback HTTPS (button not pressed → 'press-button', pressed → saved with token and pinned certificate), the token
 * never in the page's view nor in any log line, a save from the page keeps it while the host stays; the validation of
 * the v2 fields and of the meter time zone, and a raw P1 timestamp of the night the clocks go back read in that zone.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { HomeWizardV2Pairing, withStoredPairing, withoutSecrets } from '../../../lib/app/homeWizardV2Pairing';
import { SettingsStore } from '../../../lib/app/settingsStore';
import { parseDsmrTime } from '../../../lib/meter/dsmr';
import { SETTINGS_KEY, defaultAppSettings } from '../../../lib/settings';
import { validateAppSettings } from '../../../lib/settingsValidation';
import { HomeWizardV2Emulator } from '../../../tools/emulators/homewizardV2';

const MEASUREMENT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'meter', 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
const FP = Array(32).fill('AB').join(':');

describe('app: HomeWizard API v2 pairing and settings', () => {
  let emulator: HomeWizardV2Emulator;
  let host: string;
  const logs: string[] = [];
  let stored: Record<string, unknown>;
  let store: SettingsStore;

  beforeEach(async () => {
    emulator = new HomeWizardV2Emulator({ measurement: () => MEASUREMENT });
    host = await emulator.start();
    stored = {};
    logs.length = 0;
    store = new SettingsStore({
      store: { get: (k) => stored[k], set: (k, v) => { stored[k] = v; } },
      knownChargerIds: () => [],
      onChange: async (next) => { logs.push(`settings saved: meter source ${next.meter.source} ${JSON.stringify(withoutSecrets(next).meter)}`); },
      error: (l) => logs.push(l),
    });
  });
  afterEach(() => emulator.stop());

  it('pairs: press-button until pressed, then saved with the token and the first certificate; the token stays in the app', async () => {
    const pairing = new HomeWizardV2Pairing({ settings: store });
    assert.deepStrictEqual(await pairing.step({ host, restart: true }), { state: 'press-button', host });
    assert.deepStrictEqual(await pairing.step({ host }), { state: 'press-button', host });
    emulator.pressButton();
    const done = await pairing.step({ host });
    assert.strictEqual(done.state, 'paired');
    const [token] = [...emulator.tokens];
    const m = store.get().meter;
    assert.deepStrictEqual([m.source, m.host, m.serial, m.token, m.certFingerprint], ['homewizard-v2', host, '5c2fafaabbcc', token, emulator.fingerprint]);
    assert.ok(!JSON.stringify(done).includes(token) && !JSON.stringify(withoutSecrets(store.get())).includes(token), 'not in what the page gets');
    for (const l of logs) assert.ok(!l.includes(token), `the token in a log line: ${l}`);
    // the page saves what it shows (no token): the stored one is kept while the host stays
    const page = JSON.parse(JSON.stringify(withoutSecrets(store.get())));
    assert.deepStrictEqual(await store.save(withStoredPairing(page, store.get())), { ok: true });
    assert.strictEqual(store.get().meter.token, token);
    // an address typed in: the page sends the paired serial only with the paired address (settings/homewizardV2.js)
    const moved = { ...page, meter: { ...page.meter, host: '192.168.1.99', serial: null } };
    const r = await store.save(withStoredPairing(moved, store.get()));
    assert.deepStrictEqual(r, { ok: false, errors: { 'meter.token': 'Pair the meter first: press "Pair", then the button on the HomeWizard P1 meter within 30 s' } }, 'a new host needs a new pairing');
  });

  it('a page opened before the app followed the meter to a new address saves: pairing and followed address kept (regression)', async () => {
    const pairing = new HomeWizardV2Pairing({ settings: store });
    await pairing.step({ host, restart: true });
    emulator.pressButton();
    assert.strictEqual((await pairing.step({ host })).state, 'paired');
    const token = store.get().meter.token;
    // the page loads, then the meter gets a new address and the app follows it
    const page = JSON.parse(JSON.stringify(withoutSecrets(store.get())));
    await store.update((s) => ({ ...s, meter: { ...s.meter, host: '192.168.1.77' } }));
    // the stale page saves what it shows: the old address with the paired serial and certificate
    const stale = { ...page, marginA: 2 };
    assert.deepStrictEqual(await store.save(withStoredPairing(stale, store.get())), { ok: true });
    const m = store.get().meter;
    assert.deepStrictEqual([m.host, m.token, m.certFingerprint, store.get().marginA], ['192.168.1.77', token, emulator.fingerprint, 2]);
    // another certificate, or no serial (an address typed in: the page sends the serial only for the paired one): a new pairing
    const otherCert = { ...page, meter: { ...page.meter, certFingerprint: 'cd'.repeat(32) } };
    assert.ok(!(await store.save(withStoredPairing(otherCert, store.get()))).ok);
    const typed = { ...page, meter: { ...page.meter, serial: null } };
    assert.ok(!(await store.save(withStoredPairing(typed, store.get()))).ok);
    assert.deepStrictEqual([store.get().meter.host, store.get().meter.token], ['192.168.1.77', token], 'a refused save changes nothing');
  });

  it('a bad host is one line naming the field; an unreachable meter is one line: answers, not Web API errors', async () => {
    const pairing = new HomeWizardV2Pairing({ settings: store, timeoutMs: 1000 });
    const before = JSON.stringify(store.get());
    const bad = await pairing.step({ host: 'http://x/y' });
    assert.ok(bad.state === 'failed' && bad.field === 'meter.host' && /without "http:\/\/"/.test(bad.error), JSON.stringify(bad));
    await emulator.stop();
    const gone = await pairing.step({ host, restart: true });
    assert.ok(gone.state === 'failed' && gone.field === null && /^HomeWizard 127\.0\.0\.1:\d+: connection refused/.test(gone.error), JSON.stringify(gone));
    assert.strictEqual(JSON.stringify(store.get()), before, 'nothing saved');
  });

  it('validates the v2 fields and the meter time zone once, each with one line', () => {
    const base = { ...defaultAppSettings() };
    const v = (meter: Record<string, unknown>) => validateAppSettings({ ...base, meter: { ...base.meter, ...meter } }, []);
    const ok = v({ source: 'homewizard-v2', host: '192.168.1.30', token: 'ABCDEF0123456789ABCDEF0123456789', certFingerprint: 'ab'.repeat(32) });
    assert.ok(ok.ok);
    assert.strictEqual(ok.ok && ok.value.meter.certFingerprint, FP);
    const unpaired = v({ source: 'homewizard-v2', host: '192.168.1.30' });
    assert.deepStrictEqual(!unpaired.ok && unpaired.errors, { 'meter.token': 'Pair the meter first: press "Pair", then the button on the HomeWizard P1 meter within 30 s' });
    const badFp = v({ source: 'homewizard-v2', host: '192.168.1.30', token: 'ABCDEF0123456789', certFingerprint: 'xyz' });
    assert.deepStrictEqual(!badFp.ok && Object.keys(badFp.errors), ['meter.certFingerprint']);
    const zone = v({ source: 'p1tcp', host: '192.168.1.40:23', timeZone: ' Europe/Brussels ' });
    assert.strictEqual(zone.ok && zone.value.meter.timeZone, 'Europe/Brussels');
    const noZone = v({ source: 'p1tcp', host: '192.168.1.40:23', timeZone: '' });
    assert.ok(noZone.ok && !('timeZone' in noZone.value.meter), 'empty: the Homey\'s zone');
    const bad = v({ source: 'p1tcp', host: '192.168.1.40:23', timeZone: 'Mars/Olympus' });
    assert.deepStrictEqual(!bad.ok && bad.errors, { 'meter.timeZone': 'Meter time zone "Mars/Olympus" is not a time zone name such as Europe/Amsterdam or Europe/Brussels (leave it empty for the Homey\'s zone)' });
    assert.ok(stored[SETTINGS_KEY] === undefined);
  });

  it('the night the clocks go back (27 Oct 2024): the same local 02:30 is two instants by the S/W flag, in the meter zone set', () => {
    // Europe/Amsterdam: 02:30 CEST = 00:30Z, 02:30 CET = 01:30Z; without a flag the hour is ambiguous (null)
    assert.strictEqual(new Date(parseDsmrTime('241027023000S', 'Europe/Amsterdam')!).toISOString(), '2024-10-27T00:30:00.000Z');
    assert.strictEqual(new Date(parseDsmrTime('241027023000W', 'Europe/Amsterdam')!).toISOString(), '2024-10-27T01:30:00.000Z');
    assert.strictEqual(parseDsmrTime('241027023000', 'Europe/Amsterdam'), null);
    // the same telegram from a meter in Europe/London (a zone set on the settings page) is an hour later
    assert.strictEqual(new Date(parseDsmrTime('241027013000W', 'Europe/London')!).toISOString(), '2024-10-27T01:30:00.000Z');
    assert.strictEqual(new Date(parseDsmrTime('241027023000', 'Europe/London')!).toISOString(), '2024-10-27T02:30:00.000Z', 'no DST change at 02:30 in London');
  });
});
