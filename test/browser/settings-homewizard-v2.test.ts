/**
 * The settings page's HomeWizard API v2 section (settings/homewizardV2.js) in a real headless Chromium: choosing the
 * source shows it, the P1 meters Homey found are offered, "Pair" starts the 30 s "press the button" countdown, and the
 * pairing runs through the real api.ts and the app's real pairing (lib/app/homeWizardV2Pairing.ts) against the v2
 * emulator over loopback HTTPS: first the meter's 403 (the page asks to press the button, in its language), then,
 * the button pressed, the token (the page says paired with the certificate's fingerprint, never the token). A bad
 * address gets the app's one line next to its field. Screenshot out/settings-homewizard-v2.png (docs/screenshots/
 * with UPDATE_SCREENSHOTS=1). Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import { HomeWizardV2Pairing, withStoredPairing, withoutSecrets, type V2PairView } from '../../lib/app/homeWizardV2Pairing';
import type { AppSettings } from '../../lib/settings';
import type { SaveResult, SettingsView } from '../../lib/webapi';
import { DEVICE_FW600, HomeWizardV2Emulator } from '../../tools/emulators/homewizardV2';
import { CHARGERS, FakeApp, HOMEWIZARD_FOUND, openSettingsPage, startSettingsServer, useBrowser } from './harness';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib).
declare const document: any;

const ROOT = path.join(__dirname, '..', '..');
const V2 = 'input[name="meterSource"][value="homewizard-v2"]';
const MEASUREMENT = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'meter', 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;

/** The app behind the page with the real v2 pairing and the real secret handling of lib/app/webApi.ts. */
class PairingApp extends FakeApp {
  readonly pairing = new HomeWizardV2Pairing({
    settings: { get: () => this.settings, update: async (change) => { this.settings = change(this.settings); } },
    timeoutMs: 3000,
  });

  pairCalls = 0;

  pairHomeWizardV2(body: unknown): Promise<V2PairView> {
    this.pairCalls++;
    return this.pairing.step(body);
  }

  getSettingsView(): SettingsView {
    return { settings: withoutSecrets(JSON.parse(JSON.stringify(this.settings)) as AppSettings), chargers: CHARGERS };
  }

  saveSettings(body: unknown): Promise<SaveResult> {
    return super.saveSettings(withStoredPairing(body, this.settings));
  }
}

interface Texts { [key: string]: string }
const meterTexts = (lang: string): Texts => (JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8')) as { settings: { meter: Texts } }).settings.meter;
const fill = (text: string, vars: Record<string, string | number>): string =>
  Object.entries(vars).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), text);

describe('settings page: HomeWizard API v2 pairing (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);
  let emulator: HomeWizardV2Emulator;
  let emuHost: string;

  beforeEach(async () => {
    emulator = new HomeWizardV2Emulator({ measurement: () => MEASUREMENT });
    emuHost = await emulator.start();
  });
  afterEach(() => emulator.stop());

  /** The app with Homey's discovery list: the emulator as a found P1 meter, before the three of the harness. */
  function newApp(meter?: Partial<AppSettings['meter']>): PairingApp {
    const base = FakeApp.initialSettings();
    const app = new PairingApp({ ...base, meter: { ...base.meter, ...meter } });
    app.homeWizard = {
      ...HOMEWIZARD_FOUND,
      meters: [{ id: DEVICE_FW600.serial, serial: DEVICE_FW600.serial, name: 'P1 Meter (aabbcc)', host: emuHost, productType: 'HWE-P1', apiEnabled: true, isP1: true, gridMeter: true },
        ...HOMEWIZARD_FOUND.meters.filter((m) => m.id !== '3c39e7aabbcc')],
    };
    return app;
  }

  async function open(lang: string, app: PairingApp, deviceScaleFactor?: number): Promise<Page> {
    const opened = rig.keep(await openSettingsPage(rig.browser, rig.server, { lang, app, deviceScaleFactor }));
    // Every answer the page got: the token must be in none of them.
    opened.page.on('response', (res) => { void res.text().then((body) => answers.push(body), () => undefined); });
    return opened.page;
  }
  const answers: string[] = [];
  beforeEach(() => { answers.length = 0; });

  const state = (p: Page) => p.textContent('#v2State');
  const errorText = (p: Page, fieldPath: string) => p.locator(`[data-error-for="${fieldPath}"]`).textContent();

  /** Choose the source, pick the emulator from the list, press Pair; the meter answers 403 until its button. */
  async function pair(p: Page, t: Texts, app: PairingApp): Promise<void> {
    await p.check(V2);
    assert.strictEqual(await p.isVisible('#meterV2Host'), true);
    await p.waitForSelector('.pg-v2-pick');
    await p.click(`.pg-v2-pick:has-text("${emuHost}")`);
    assert.strictEqual(await p.inputValue('#meterV2Host'), emuHost);
    await p.click('#v2Pair');
    assert.strictEqual(await state(p), fill(t.v2PressButton, { s: 30 }), 'the countdown starts at 30 s');
    assert.strictEqual(await p.isDisabled('#v2Pair'), true);
    await p.waitForFunction(() => document.getElementById('v2State')?.className === 'pg-status pg-status-warning');
    // The meter answered 403 "user:creation-not-enabled" and the page keeps asking while the countdown runs.
    await waitFor(() => emulator.stats.userRequests >= 1 && app.pairCalls >= 1, 'the first POST /api/user');
    assert.strictEqual(emulator.stats.tokensIssued, 0);
    assert.match(await state(p) ?? '', new RegExp(`^${escape(t.v2PressButton).replace('\\{s\\}', '(30|29|28|27)')}$`));
    emulator.pressButton();
  }

  it('en: shows the section for its choice, offers the P1 meters found, pairs after the button; the token never reaches the page', async () => {
    const t = meterTexts('en');
    const app = newApp();
    const p = await open('en', app);
    assert.strictEqual(await p.textContent(`label:has(${V2}) .homey-form-radio-text`), t.v2);
    assert.strictEqual(await p.isVisible('#meterV2Host'), false, 'hidden while the source is "flow"');
    await p.check(V2);
    assert.strictEqual(await p.textContent('label[for="meterV2Host"]'), t.v2Host);
    assert.strictEqual(await p.textContent('[data-meter-panel="homewizard-v2"] .pg-hint'), t.v2Hint);
    assert.strictEqual(await p.isVisible('#meterHost'), false, 'the API v1 field belongs to its own choice');
    assert.strictEqual(await state(p), t.v2NotPaired);
    await p.waitForSelector('.pg-v2-pick');
    assert.deepStrictEqual(await p.locator('.pg-v2-pick').allTextContents(), [
      `Use P1 Meter (aabbcc) (${emuHost})`, 'Use P1 Meter (ddeeff) (192.168.1.21)',
    ], 'the P1 meters only (not the kWh meter)');

    await pair(p, t, app);
    await p.waitForFunction(() => /pg-status-ok/.test(document.getElementById('v2State')?.className ?? ''), undefined, { timeout: 15000 });
    const [token] = [...emulator.tokens];
    assert.strictEqual(await state(p), fill(t.v2Done, { name: 'P1 Meter', serial: DEVICE_FW600.serial, cert: `${emulator.fingerprint.slice(0, 11)}…` }));
    assert.strictEqual(await p.isDisabled('#v2Pair'), false);
    const m = app.settings.meter;
    assert.deepStrictEqual([m.source, m.host, m.serial, m.token, m.certFingerprint], ['homewizard-v2', emuHost, DEVICE_FW600.serial, token, emulator.fingerprint]);
    assert.strictEqual(emulator.stats.tokensIssued, 1);

    // Saving the form afterwards keeps the pairing and the serial (the app follows the meter by it).
    await p.fill('#fuseA', '30');
    await p.click('#save');
    await p.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
    assert.deepStrictEqual(app.settings.meter, { ...m });
    assert.strictEqual(app.settings.fuseA, 30);

    const html = await p.content();
    assert.ok(!html.includes(token), 'the token is not on the page');
    assert.ok(answers.length > 0 && answers.every((a) => !a.includes(token)), 'nor in any answer the page got');
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= 390, 'fits a phone screen');
  });

  it('nl: asks to press the button and says paired in Dutch; a saved pairing is shown with its certificate', async () => {
    const t = meterTexts('nl');
    const app = newApp();
    const p = await open('nl', app);
    assert.strictEqual(await p.textContent(`label:has(${V2}) .homey-form-radio-text`), t.v2);
    assert.strictEqual(await p.textContent('#v2Pair'), t.v2Pair);
    await pair(p, t, app);
    await p.waitForFunction(() => /pg-status-ok/.test(document.getElementById('v2State')?.className ?? ''), undefined, { timeout: 15000 });
    assert.strictEqual(await state(p), fill(t.v2Done, { name: 'P1 Meter', serial: DEVICE_FW600.serial, cert: `${emulator.fingerprint.slice(0, 11)}…` }));
    await p.close();

    // Opened again: the saved pairing (host, certificate) without the token.
    const again = await open('nl', app);
    assert.strictEqual(await again.isChecked(V2), true);
    assert.strictEqual(await again.inputValue('#meterV2Host'), emuHost);
    assert.strictEqual(await state(again), fill(t.v2Paired, { cert: `${emulator.fingerprint.slice(0, 11)}…` }));
  });

  it('a bad address gets the app\'s one line next to its field, for Pair and for Save; the page logs no errors', async () => {
    const app = newApp();
    const p = await open('en', app);
    await p.check(V2);
    await p.click('#v2Pair');
    assert.strictEqual(await errorText(p, 'meter.v2Host'), 'Enter the host name or IP address of the meter.');
    assert.strictEqual(await p.getAttribute('#meterV2Host', 'aria-invalid'), 'true');
    assert.strictEqual(app.pairCalls, 0, 'nothing sent without an address');

    await p.fill('#meterV2Host', 'http://192.168.1.30/api');
    await p.click('#v2Pair');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.v2Host"]')?.textContent !== '');
    assert.strictEqual(await errorText(p, 'meter.v2Host'), 'Enter only the host name or IP address of the HomeWizard P1 meter, without "http://" (e.g. 192.168.1.20)');
    assert.strictEqual(await p.getAttribute('#meterV2Host', 'aria-invalid'), 'true');
    assert.strictEqual(await state(p), 'Not paired yet.', 'no countdown for a bad address');
    assert.strictEqual(await p.isDisabled('#v2Pair'), false);
    assert.strictEqual(app.pairCalls, 1);
    await p.click(`.pg-v2-pick:has-text("${emuHost}")`);
    assert.strictEqual(await errorText(p, 'meter.v2Host'), '', 'picking a meter found clears the message');
    assert.strictEqual(await p.getAttribute('#meterV2Host', 'aria-invalid'), null);
    await p.fill('#meterV2Host', 'http://192.168.1.30/api');
    await p.click('#v2Pair');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.v2Host"]')?.textContent !== '');
    await p.fill('#meterV2Host', '192.168.1.30');
    assert.strictEqual(await errorText(p, 'meter.v2Host'), '', 'typing clears the message');

    // Save: the same validation through PUT /settings, shown next to the same field; the pairing's line next to Pair.
    await p.fill('#meterV2Host', '192.168.1.300');
    await p.click('#save');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.v2Host"]')?.textContent !== '');
    assert.strictEqual(await errorText(p, 'meter.v2Host'), '"192.168.1.300" is not a valid IPv4 address (four numbers 0-255, e.g. 192.168.1.20)');
    assert.strictEqual(await errorText(p, 'meter.host'), '', 'not next to the hidden API v1 field');
    await p.fill('#meterV2Host', '192.168.1.30');
    await p.click('#save');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.v2Token"]')?.textContent !== '');
    assert.strictEqual(await errorText(p, 'meter.v2Token'), 'Pair the meter first: press "Pair", then the button on the HomeWizard P1 meter within 30 s');
    assert.deepStrictEqual(app.settings, FakeApp.initialSettings(), 'nothing saved');
  });

  it('an unreachable meter ends the countdown with one line; the button not pressed in 30 s says so', async () => {
    const t = meterTexts('en');
    const app = newApp();
    const p = await open('en', app);
    await p.clock.install();
    await p.check(V2);
    await p.fill('#meterV2Host', emuHost);
    await emulator.stop();
    await p.click('#v2Pair');
    await p.waitForFunction(() => /pg-status-error/.test(document.getElementById('v2State')?.className ?? ''));
    assert.match(await state(p) ?? '', /^Pairing failed: HomeWizard 127\.0\.0\.1:\d+: connection refused \(is it a P1 meter with firmware 6 or later\?\)$/);
    assert.strictEqual(await p.isDisabled('#v2Pair'), false);

    emuHost = await emulator.start();
    await p.fill('#meterV2Host', emuHost);
    await p.click('#v2Pair');
    await waitFor(() => emulator.stats.userRequests >= 1, 'the first POST /api/user');
    await p.clock.runFor(31_000);
    await p.waitForFunction(() => /pg-status-error/.test(document.getElementById('v2State')?.className ?? ''));
    assert.strictEqual(await state(p), fill(t.v2NoPress, { s: 30 }));
    assert.strictEqual(emulator.stats.tokensIssued, 0);
    assert.strictEqual(await p.isDisabled('#v2Pair'), false);
  });

  it('saves a screenshot of the paired section (out/settings-homewizard-v2.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1)', async () => {
    const app = newApp();
    const p = await open('en', app, 1);
    await pair(p, meterTexts('en'), app);
    await p.waitForFunction(() => /pg-status-ok/.test(document.getElementById('v2State')?.className ?? ''), undefined, { timeout: 15000 });
    const file = path.join(ROOT, 'out', 'settings-homewizard-v2.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await p.locator('fieldset:has(#meterV2Host)').screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 10000);
    if (process.env.UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(ROOT, 'docs', 'screenshots', 'settings-homewizard-v2.png'));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}
