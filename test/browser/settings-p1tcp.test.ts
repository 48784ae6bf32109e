/**
 * The settings page's 4th meter source, a P1 dongle / serial-to-TCP bridge streaming raw P1 telegrams, in a real headless
 * Chromium: choosing it, its address field and hint, the app's own one line about a bad address next to that field
 * (PUT /settings through the real api.ts and validateAppSettings), a good address saved, the live view's source line,
 * the texts in another language. Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import type { Page } from 'playwright-core';
import type { AppSettings } from '../../lib/settings';
import { FakeApp, openSettingsPage, startSettingsServer, useBrowser } from './harness';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib).
declare const document: any;

const P1 = 'input[name="meterSource"][value="p1tcp"]';

describe('settings page: P1 dongle as meter source (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);
  let pageErrors: string[] = [];

  async function open(lang = 'en', app = new FakeApp()): Promise<Page> {
    const opened = rig.keep(await openSettingsPage(rig.browser, rig.server, { lang, app }));
    pageErrors = opened.errors;
    return opened.page;
  }

  const withMeter = (meter: AppSettings['meter']): FakeApp => new FakeApp({ ...FakeApp.initialSettings(), meter });
  const errorText = (p: Page, fieldPath: string) => p.locator(`[data-error-for="${fieldPath}"]`).textContent();
  const saved = (p: Page) => p.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');

  it('offers it as the 4th choice; a bad address gets the app\'s one line next to its field, a good one is saved', async () => {
    const p = await open();
    const choices = await p.evaluate(() => Array.from(document.querySelectorAll('input[name="meterSource"]')).map((r: any) => r.value));
    assert.deepStrictEqual(choices, ['homewizard', 'homey-device', 'flow', 'p1tcp', 'homewizard-v2']);
    assert.strictEqual(await p.textContent(`label:has(${P1}) .homey-form-radio-text`), 'P1 dongle / serial-to-TCP bridge (raw P1 telegrams)');
    assert.strictEqual(await p.isVisible('#meterP1Host'), false, 'hidden while the source is "flow"');

    await p.check(P1);
    assert.strictEqual(await p.isVisible('#meterP1Host'), true);
    assert.strictEqual(await p.isVisible('#meterHost'), false, 'the HomeWizard field belongs to its own choice');
    assert.strictEqual(await p.textContent('label[for="meterP1Host"]'), 'Address and port of the dongle');
    assert.match(await p.textContent('[data-meter-panel="p1tcp"] .pg-hint') ?? '', /^For example 192\.168\.1\.40:8088 \(\[fd00::40\]:23 for IPv6\)\. The port is the one/);

    // empty: the page says so itself, nothing is sent
    await p.click('#save');
    assert.strictEqual(await errorText(p, 'meter.p1Host'), 'Enter the address and port of the P1 dongle, e.g. 192.168.1.40:8088.');
    assert.strictEqual(rig.server.app.saveCalls, 0);

    // no port: the app's one line, next to the dongle's field
    await p.fill('#meterP1Host', '192.168.1.40');
    await p.click('#save');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.p1Host"]')?.textContent !== '');
    assert.strictEqual(await errorText(p, 'meter.p1Host'), 'Add the TCP port the P1 dongle streams on (e.g. 192.168.1.40:8088)');
    assert.strictEqual(await errorText(p, 'meter.host'), '', 'not next to the hidden HomeWizard field');
    assert.strictEqual(await p.getAttribute('#meterP1Host', 'aria-invalid'), 'true');
    assert.strictEqual(await p.evaluate(() => document.activeElement?.id), 'meterP1Host');
    assert.match(await p.textContent('#formStatus') ?? '', /Nothing was saved/);
    assert.strictEqual(rig.server.app.saveCalls, 1);
    assert.deepStrictEqual(rig.server.app.settings, FakeApp.initialSettings());
    await p.fill('#meterP1Host', '192.168.1.40:');
    assert.strictEqual(await errorText(p, 'meter.p1Host'), '', 'typing clears the message');

    await p.fill('#meterP1Host', '192.168.1.40:99999');
    await p.click('#save');
    await p.waitForFunction(() => document.querySelector('[data-error-for="meter.p1Host"]')?.textContent !== '');
    assert.strictEqual(await errorText(p, 'meter.p1Host'), 'Port "99999" must be a whole number from 1 to 65535 (e.g. 192.168.1.40:8088)');

    await p.fill('#meterP1Host', ' p1tcp://[FD00::40]:23 ');
    await p.click('#save');
    await saved(p);
    assert.strictEqual(rig.server.app.saveCalls, 3);
    assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'p1tcp', host: '[fd00::40]:23', deviceId: null, serial: null });
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= 390, 'fits a phone screen');
  });

  it('fills a saved dongle into its own field; switching to HomeWizard and back neither mixes nor loses the addresses', async () => {
    const app = withMeter({ source: 'p1tcp', host: '192.168.1.40:8088', deviceId: null, serial: '3c39e7aabbcc' });
    const p = await open('en', app);
    assert.strictEqual(await p.isChecked(P1), true);
    assert.strictEqual(await p.inputValue('#meterP1Host'), '192.168.1.40:8088');
    assert.strictEqual(await p.inputValue('#meterHost'), '');
    await p.fill('#fuseA', '30');
    await p.click('#save');
    await saved(p);
    assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'p1tcp', host: '192.168.1.40:8088', deviceId: null, serial: '3c39e7aabbcc' });

    await p.check('input[name="meterSource"][value="homewizard"]');
    await p.fill('#meterHost', '192.168.1.20');
    await p.check(P1);
    assert.strictEqual(await p.inputValue('#meterP1Host'), '192.168.1.40:8088');
    await p.check('input[name="meterSource"][value="homewizard"]');
    await p.click('#save');
    await saved(p);
    assert.deepStrictEqual(rig.server.app.settings.meter, { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: null });
  });

  it('names the source and shows the connection\'s one line in the live view; the texts in Swedish', async () => {
    const app = withMeter({ source: 'p1tcp', host: '192.168.1.40:8088', deviceId: null, serial: null });
    app.live.meter = { source: 'p1tcp', stale: false, lastSampleAgeS: null, error: 'P1 meter 192.168.1.40:8088: the dongle closed the connection; reconnecting in 2 s' };
    let p = await open('en', app);
    await p.waitForFunction(() => /P1 dongle/.test(document.getElementById('live-meter')?.textContent ?? ''));
    assert.strictEqual(await p.textContent('#live-meter'),
      'P1 dongle · no reading yet · meter: P1 meter 192.168.1.40:8088: the dongle closed the connection; reconnecting in 2 s · fuse stress in the last hour 0 % of a trip, raising quickly');
    assert.deepStrictEqual(pageErrors, [], 'the page logged errors');
    await p.close();

    p = await open('sv', withMeter({ source: 'p1tcp', host: null, deviceId: null, serial: null }));
    assert.strictEqual(await p.textContent(`label:has(${P1}) .homey-form-radio-text`), 'P1-dongel / seriell-till-TCP-brygga (råa P1-telegram)');
    assert.strictEqual(await p.textContent('label[for="meterP1Host"]'), 'Dongelns adress och port');
    assert.match(await p.textContent('#live-meter') ?? '', /^P1-dongel · /);
    await p.click('#save');
    assert.strictEqual(await errorText(p, 'meter.p1Host'), 'Ange P1-dongelns adress och port, t.ex. 192.168.1.40:8088.');
  });
});
