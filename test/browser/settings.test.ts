/**
 * The settings page in a real headless Chromium (playwright-core + the Debian `chromium` package).
 * Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import path from 'path';
import type { Page } from 'playwright-core';
import { DEFAULT_CAPACITY_SETTINGS, defaultAppSettings, type AppSettings } from '../../lib/settings';
import { FakeApp, HOMEWIZARD_FOUND, openSettingsPage, startSettingsServer, useBrowser } from './harness';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const window: any;
declare const document: any;
declare function getComputedStyle(e: unknown): any;

const HW_SCREENSHOT = path.join(__dirname, '..', '..', 'out', 'settings-homewizard.png');

describe('settings page (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);
  let page: Page;

  /** A fresh app and a freshly loaded page (phone viewport) for each test. */
  async function open(lang = 'en', app = new FakeApp()): Promise<void> {
    ({ page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { lang, app })));
  }

  const errorText = (fieldPath: string) => page.locator(`[data-error-for="${fieldPath}"]`).textContent();

  it('fills the form from GET /settings, including every paired charger', async () => {
    await open();
    assert.strictEqual(await page.inputValue('#fuseA'), '25');
    assert.strictEqual(await page.inputValue('#pauseAfterS'), '60');
    assert.strictEqual(await page.isChecked('#balancing'), true);
    assert.strictEqual(await page.isChecked('#quickRestore'), true, 'quick raising while the fuse is cool: on by default');
    assert.strictEqual(await page.isChecked('input[name="manualOverride"][value="until-unplug"]'), true);
    assert.strictEqual(await page.isChecked('input[name="meterSource"][value="flow"]'), true);
    assert.strictEqual(await page.isVisible('[data-meter-panel="flow"]'), true);
    assert.strictEqual(await page.isVisible('#meterHost'), false);
    assert.strictEqual(await page.locator('.pg-card').count(), 2);
    assert.strictEqual(await page.textContent('[data-charger="ca-drive"] .pg-card-head strong'), 'Driveway Halo');
    // A charger without saved settings shows the defaults, capped at its hardware maximum.
    assert.strictEqual(await page.inputValue('[name="chargers.ca-drive.maxCurrentA"]'), '16');
    assert.strictEqual(await page.textContent('#save'), 'Save');
  });

  it('shows a bad fuse next to the field and sends nothing', async () => {
    await open();
    await page.fill('#fuseA', '5');
    await page.click('#save');
    assert.strictEqual(await errorText('fuseA'), 'Enter a number from 6 to 100.');
    assert.strictEqual(await page.getAttribute('#fuseA', 'aria-invalid'), 'true');
    assert.strictEqual(await page.evaluate(() => document.activeElement?.id), 'fuseA');
    assert.match(await page.textContent('#formStatus') ?? '', /Nothing was saved/);
    assert.strictEqual(rig.server.app.saveCalls, 0);
    assert.deepStrictEqual(rig.server.app.settings, FakeApp.initialSettings());
    // Editing the field clears its message.
    await page.fill('#fuseA', '25');
    assert.strictEqual(await errorText('fuseA'), '');
  });

  it('checks fields that depend on each other before sending', async () => {
    await open();
    await page.fill('#fuseA', '16');
    await page.fill('#marginA', '10');
    await page.fill('#staleAfterS', '90');
    await page.fill('#pauseAfterS', '60');
    await page.selectOption('[name="chargers.ca-drive.phaseMap.1"]', 'L1');
    await page.click('#save');
    assert.strictEqual(await errorText('marginA'), 'Must be less than 10 A: the fuse minus the 6 A a car needs.');
    assert.strictEqual(await errorText('pauseAfterS'), 'Must be longer than “drop to 6 A after” (90 s).');
    assert.match(await errorText('chargers.ca-drive.phaseMap') ?? '', /Grid phase L1 is used twice/);
    assert.strictEqual(rig.server.app.saveCalls, 0);
  });

  it('shows an error found only by the app inline, and saves nothing', async () => {
    await open();
    await page.check('input[name="meterSource"][value="homewizard"]');
    assert.strictEqual(await page.isVisible('#meterHost'), true);
    await page.fill('#meterHost', '192.168.1.300');
    await page.fill('#fuseA', '35');
    await page.click('#save');
    await page.waitForFunction(() => document.querySelector('[data-error-for="meter.host"]')?.textContent !== '');
    assert.match(await errorText('meter.host') ?? '', /"192\.168\.1\.300" is not a valid IPv4 address/);
    assert.strictEqual(await page.getAttribute('#meterHost', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#formStatus') ?? '', /Nothing was saved/);
    assert.strictEqual(rig.server.app.saveCalls, 1);
    assert.deepStrictEqual(rig.server.app.settings, FakeApp.initialSettings(), 'a rejected save must not change anything, not even the valid fuse');
  });

  it('saves the whole object in one PUT when every field is valid', async () => {
    await open();
    await page.fill('#fuseA', '35');
    await page.fill('#marginA', '2');
    await page.fill('#restoreStepA', '3');
    await page.fill('#restoreHoldS', '45');
    await page.fill('#staleAfterS', '20');
    await page.fill('#pauseAfterS', '90');
    await page.fill('#resumeWindowS', '300');
    await page.uncheck('#balancing');
    await page.uncheck('#quickRestore');
    await page.check('input[name="manualOverride"][value="ignore"]');
    await page.check('input[name="meterSource"][value="homewizard"]');
    await page.fill('#meterHost', ' p1meter.local ');
    await page.uncheck('[name="chargers.goe-garage.enabled"]');
    await page.fill('[name="chargers.ca-drive.priority"]', '8');
    await page.fill('[name="chargers.ca-drive.maxCurrentA"]', '20');
    await page.selectOption('[name="chargers.ca-drive.phaseMap.0"]', 'L2');
    await page.selectOption('[name="chargers.ca-drive.phaseMap.1"]', '');
    await page.selectOption('[name="chargers.ca-drive.phaseMap.2"]', '');
    assert.strictEqual(await page.isChecked('input[name="meterSign"][value="auto"]'), true, 'the meter sign as loaded (settings/modes.js)');
    await page.check('input[name="meterSign"][value="unsigned"]');
    await page.click('#save');
    await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
    const expected: AppSettings = {
      balancing: false,
      fuseA: 35,
      marginA: 2,
      restoreStepA: 3,
      restoreHoldS: 45,
      staleAfterS: 20,
      pauseAfterS: 90,
      resumeWindowS: 300,
      quickRestore: false,
      manualOverride: 'ignore',
      meter: { source: 'homewizard', host: 'p1meter.local', deviceId: null, serial: null },
      chargers: {
        'goe-garage': { enabled: false, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 },
        'ca-drive': { enabled: true, priority: 8, phaseMap: ['L2', null, null], maxCurrentA: 20 },
      },
      ...DEFAULT_CAPACITY_SETTINGS,
      meterSign: 'unsigned',
    };
    assert.strictEqual(rig.server.app.saveCalls, 1);
    assert.deepStrictEqual(rig.server.app.settings, expected);
  });

  it('lists Homey meter devices with their per-phase capabilities and saves the chosen one', async () => {
    await open();
    await page.check('input[name="meterSource"][value="homey-device"]');
    await page.waitForSelector('input[name="meterDevice"]');
    const texts = await page.locator('.pg-meter').allTextContents();
    assert.strictEqual(texts.length, 2);
    assert.match(texts[0], /P1 meter · HomeWizard.*L1: measure_current\.l1 = 4[.,]2 A/);
    assert.match(texts[1], /Pulse · Tibber.*power per phase.*L3: not found/);
    await page.click('#save');
    assert.strictEqual(await errorText('meter.deviceId'), 'Choose a meter device.');
    assert.strictEqual(rig.server.app.saveCalls, 0);
    await page.check('input[name="meterDevice"][value="pulse"]');
    assert.strictEqual(await errorText('meter.deviceId'), '');
    await page.click('#save');
    await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
    assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'homey-device', host: null, deviceId: 'pulse', serial: null });
  });

  describe('HomeWizard P1 found on the network', () => {
    const hwStatus = () => page.textContent('#hwStatus');

    it('lists the meters found, marks a disabled API and a non-P1, and picking one fills the host that is saved', async () => {
      const app = new FakeApp();
      app.homeWizard = HOMEWIZARD_FOUND;
      await open('en', app);
      assert.strictEqual(await page.isVisible('#hwMeters'), false, 'hidden while the source is "flow"');
      await page.check('input[name="meterSource"][value="homewizard"]');
      await page.waitForSelector('input[name="hwMeter"]');
      const rows = await page.locator('.pg-hw').allTextContents();
      assert.strictEqual(rows.length, 3);
      assert.match(rows[0], /^P1 Meter \(aabbcc\)192\.168\.1\.20 · serial 3c39e7aabbcc$/);
      assert.match(rows[1], /P1 Meter \(ddeeff\).*Local API disabled — enable it in the HomeWizard Energy app\./);
      assert.match(rows[2], /kWh meter \(3-phase\).*Not a P1 meter: choose it only if it measures the whole house connection\./);
      assert.strictEqual(await page.locator('.pg-hw-api-off').count(), 1);
      assert.strictEqual(await hwStatus(), 'Other HomeWizard devices found that cannot measure the grid connection: 2.');
      assert.strictEqual(await page.inputValue('#meterHost'), '');
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'the list fits a phone screen');
      await page.locator('[data-meter-panel="homewizard"]').first().screenshot({ path: HW_SCREENSHOT });

      await page.check('[data-hw="3c39e7aabbcc"] input');
      assert.strictEqual(await page.inputValue('#meterHost'), '192.168.1.20');
      await page.click('#save');
      await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
      assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: '3c39e7aabbcc' });
      const calls: string[] = await page.evaluate(() => window.__homey.calls);
      assert.strictEqual(calls.filter((c) => c === 'GET /homewizard').length, 1);
    });

    it('marks the saved meter, follows the host typed by hand and a list pushed by the app', async () => {
      const app = new FakeApp({ ...FakeApp.initialSettings(), meter: { source: 'homewizard', host: '192.168.1.21', deviceId: null, serial: null } });
      app.homeWizard = HOMEWIZARD_FOUND;
      await open('en', app);
      await page.waitForSelector('input[name="hwMeter"]');
      const checked = () => page.evaluate(() => Array.from(document.querySelectorAll('input[name="hwMeter"]:checked')).map((r: any) => r.value));
      assert.deepStrictEqual(await checked(), ['192.168.1.21']);
      await page.fill('#meterHost', '192.168.1.22');
      assert.deepStrictEqual(await checked(), ['192.168.1.22']);
      await page.fill('#meterHost', '10.0.0.5');
      assert.deepStrictEqual(await checked(), []);
      // The app pushes a new list when Homey finds another device.
      await page.evaluate((data) => window.__homeyEmit('homewizard', data), { ...HOMEWIZARD_FOUND, meters: [{ ...HOMEWIZARD_FOUND.meters[0], host: '10.0.0.5' }], otherDevices: 0 });
      assert.strictEqual(await page.locator('.pg-hw').count(), 1);
      assert.deepStrictEqual(await checked(), ['10.0.0.5']);
      assert.strictEqual(await hwStatus(), '');
    });

    it('saves the serial of the meter picked, clears it for an address of no meter found, and sets it for a found one typed', async () => {
      const app = new FakeApp({ ...FakeApp.initialSettings(), meter: { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: '3c39e7aabbcc' } });
      app.homeWizard = HOMEWIZARD_FOUND;
      await open('en', app);
      await page.waitForSelector('input[name="hwMeter"]');
      assert.strictEqual(await page.textContent('#hwFollowHint'), 'Pick your meter from this list and the app follows it when your router gives it a new IP address. An address typed by hand stays as typed.');
      assert.strictEqual(await page.isVisible('#hwFollowHint'), true);
      const saveMeter = async (): Promise<AppSettings['meter']> => {
        const calls = rig.server.app.saveCalls;
        await page.click('#save');
        await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
        assert.strictEqual(rig.server.app.saveCalls, calls + 1);
        return rig.server.app.settings.meter;
      };
      const meter = (host: string, serial: string | null): AppSettings['meter'] => ({ source: 'homewizard', host, deviceId: null, serial });

      await page.fill('#fuseA', '30');
      assert.deepStrictEqual(await saveMeter(), meter('192.168.1.20', '3c39e7aabbcc'), 'kept while the host is untouched');
      await page.fill('#meterHost', '10.0.0.5');
      assert.deepStrictEqual(await saveMeter(), meter('10.0.0.5', null), 'typed by hand: not followed');
      await page.fill('#meterHost', '192.168.1.21');
      assert.deepStrictEqual(await saveMeter(), meter('192.168.1.21', '3c39e7ddeeff'), 'typed, but the address of a meter found');
      await page.check('[data-hw="5c2faf001122"] input');
      assert.deepStrictEqual(await saveMeter(), meter('192.168.1.22', '5c2faf001122'));
      await page.fill('#meterHost', '192.168.1.2');
      assert.deepStrictEqual(await saveMeter(), meter('192.168.1.2', null));
      await page.check('[data-hw="3c39e7aabbcc"] input');
      assert.deepStrictEqual(await saveMeter(), meter('192.168.1.20', '3c39e7aabbcc'), 'picked again');
      assert.strictEqual(rig.server.app.settings.fuseA, 30);
    });

    it('keeps the saved serial while its meter is not found (hint hidden), and sends it for another source too', async () => {
      const app = new FakeApp({ ...FakeApp.initialSettings(), meter: { source: 'homewizard', host: '192.168.1.44', deviceId: null, serial: '3c39e7aabbcc' } });
      await open('en', app);
      await page.waitForFunction(() => document.getElementById('hwStatus')?.textContent !== 'Searching the network…');
      assert.strictEqual(await page.isVisible('#hwFollowHint'), false);
      await page.check('input[name="meterSource"][value="flow"]');
      await page.click('#save');
      await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
      assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'flow', host: '192.168.1.44', deviceId: null, serial: '3c39e7aabbcc' });
    });

    it('shows the empty state and why discovery is unavailable; an address typed by hand is saved', async () => {
      const app = new FakeApp();
      await open('en', app);
      await page.check('input[name="meterSource"][value="homewizard"]');
      await page.waitForFunction(() => document.getElementById('hwStatus')?.textContent !== 'Searching the network…');
      assert.strictEqual(await hwStatus(), 'No HomeWizard P1 found on the network; type its IP address.');
      assert.strictEqual(await page.locator('.pg-hw').count(), 0);
      assert.strictEqual(await page.isVisible('#hwRefresh'), true);

      app.homeWizard = { meters: [], otherDevices: 0, error: 'Homey cannot search the network for HomeWizard devices (not supported)' };
      await page.click('#hwRefresh');
      await page.waitForFunction(() => /not available/.test(document.getElementById('hwStatus')?.textContent ?? ''));
      assert.strictEqual(await hwStatus(), 'Automatic search is not available (Homey cannot search the network for HomeWizard devices (not supported)); type the IP address.');

      await page.fill('#meterHost', '192.168.1.77');
      await page.click('#save');
      await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
      assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'homewizard', host: '192.168.1.77', deviceId: null, serial: null });
    });

    it('says so in the other languages too (German)', async () => {
      const app = new FakeApp({ ...FakeApp.initialSettings(), meter: { source: 'homewizard', host: null, deviceId: null, serial: null } });
      app.homeWizard = { ...HOMEWIZARD_FOUND, meters: [HOMEWIZARD_FOUND.meters[1]], otherDevices: 0 };
      await open('de', app);
      await page.waitForSelector('input[name="hwMeter"]');
      assert.strictEqual(await page.textContent('#hw-found-title'), 'In deinem Netzwerk gefunden');
      assert.strictEqual(await page.textContent('#hwRefresh'), 'Erneut suchen');
      assert.match(await page.textContent('.pg-hw') ?? '', /192\.168\.1\.21 · Seriennummer 3c39e7ddeeff.*Lokale API ausgeschaltet/);
    });
  });

  it('is readable on a phone: nothing wider than the screen, inputs at least 16 px', async () => {
    await open();
    const { scrollWidth, smallest } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      smallest: Math.min(...Array.from(document.querySelectorAll('input:not([type=radio]):not([type=checkbox]), select'))
        .map((e) => parseFloat(getComputedStyle(e).fontSize))),
    }));
    assert.ok(scrollWidth <= 390, `page is ${scrollWidth} px wide on a 390 px screen`);
    assert.ok(smallest >= 16, `smallest input font is ${smallest} px`);
  });

  it('shows every text translated (Dutch), with no raw keys left', async () => {
    await open('nl', new FakeApp({ ...defaultAppSettings(), meter: { source: 'homewizard', host: 'p1.local', deviceId: null, serial: null } }));
    assert.strictEqual(await page.textContent('#save'), 'Opslaan');
    assert.strictEqual(await page.textContent('label[for="fuseA"]'), 'Hoofdzekering per fase (A)');
    const body = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(body, /\b(?:live|meter|fuse|restore|stale|chargers|balancing|override|err|event|brand)\.[a-zA-Z]/);
    await page.fill('#meterHost', 'http://p1.local');
    await page.click('#save');
    assert.strictEqual(await errorText('meter.host'), 'Vul alleen de hostnaam of het IP-adres in, bijv. 192.168.1.20 (zonder http:// en zonder pad).');
  });
});
