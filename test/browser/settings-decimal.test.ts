/**
 * The settings page's number fields in a real headless Chromium, typed key by key as a user types them: a decimal
 * comma is read as the decimal separator in every locale ("1,5" → 1.5, where a type="number" input made it 15 and a
 * restore step or a capacity cap was saved ten times too high), "." still works, and what is neither (two
 * separators, a thousands group, letters) gets the field's one line and nothing is sent. What a field shows back can
 * be saved again unchanged. Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import { FakeApp, openSettingsPage, startSettingsServer, useBrowser } from './harness';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib).
declare const document: any;

const ROOT = path.join(__dirname, '..', '..');
const strings = (lang: string): { saved: string; err: Record<string, string>; capacity: Record<string, string> } =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8')).settings;
const fill = (text: string, vars: Record<string, number>): string => text.replace(/\{(\w+)\}/g, (_m, k: string) => String(vars[k]));

describe('settings page: decimal comma in number fields (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);

  async function open(lang: string, app: FakeApp): Promise<Page> {
    const { page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { lang, app }));
    return page;
  }

  /** Replaces the field's text by typing `text` key by key (not page.fill: the bug was in what typing gives). */
  async function type(page: Page, selector: string, text: string): Promise<void> {
    await page.click(selector);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(text);
  }

  async function save(page: Page): Promise<string> {
    await page.click('#save');
    await page.waitForFunction(() => {
      const s = document.getElementById('formStatus')?.textContent ?? '';
      return s !== '' && !document.getElementById('save').disabled && !/…|\.\.\.$/.test(s);
    });
    return (await page.textContent('#formStatus')) ?? '';
  }

  const errorLine = (page: Page, key: string) => page.locator(`[data-error-for="${key}"]`).textContent();

  it('saves "1,5" as a 1.5 A restore step and "2,5" as a 2.5 kW cap in German, and shows them back to save again', async () => {
    const de = strings('de');
    const app = new FakeApp();
    let page = await open('de', app);
    assert.strictEqual(await page.getAttribute('#restoreStepA', 'inputmode'), 'decimal');
    assert.strictEqual(await page.getAttribute('#capacityKw', 'inputmode'), 'decimal');
    await page.selectOption('#capacityRule', 'fixed');
    await type(page, '#restoreStepA', '1,5');
    await type(page, '#capacityKw', '2,5');
    assert.strictEqual(await page.inputValue('#restoreStepA'), '1,5', 'the field keeps what was typed');
    assert.strictEqual(await save(page), de.saved);
    assert.strictEqual(app.saveCalls, 1);
    assert.strictEqual(app.settings.restoreStepA, 1.5);
    assert.strictEqual(app.settings.capacity_rule, 'fixed');
    assert.strictEqual(app.settings.capacity_kw, 2.5);
    await page.close();

    // Loaded again: the values in the German form, which saves unchanged.
    page = await open('de', app);
    assert.strictEqual(await page.inputValue('#restoreStepA'), '1,5');
    assert.strictEqual(await page.inputValue('#capacityKw'), '2,5');
    assert.strictEqual(await save(page), de.saved);
    assert.strictEqual(app.saveCalls, 2);
    assert.strictEqual(app.settings.restoreStepA, 1.5);
    assert.strictEqual(app.settings.capacity_kw, 2.5);
  });

  for (const lang of ['en', 'de', 'sv']) {
    for (const typed of ['1.5', '1,5']) {
      it(`reads "${typed}" as 1.5 in ${lang}`, async () => {
        const app = new FakeApp();
        const page = await open(lang, app);
        await page.selectOption('#capacityRule', 'fixed');
        await type(page, '#restoreStepA', typed);
        await type(page, '#capacityKw', typed.replace('1', '2'));
        assert.strictEqual(await save(page), strings(lang).saved);
        assert.strictEqual(app.settings.restoreStepA, 1.5);
        assert.strictEqual(app.settings.capacity_kw, 2.5);
      });
    }
  }

  for (const typed of ['1.2.3', '1,5,0', '1.000,5', '1,000', '1 5', '1,5a', ',5']) {
    it(`refuses "${typed}" in the restore step with its one line, sending nothing`, async () => {
      const app = new FakeApp();
      const before = JSON.stringify(app.settings);
      const page = await open('de', app);
      await type(page, '#restoreStepA', typed);
      await page.click('#save');
      const line = await errorLine(page, 'restoreStepA');
      assert.strictEqual(line, fill(strings('de').err.number, { min: 1, max: 16 }));
      assert.ok(!/\n/.test(line ?? ''), 'one line');
      assert.strictEqual(await page.getAttribute('#restoreStepA', 'aria-invalid'), 'true');
      assert.strictEqual(app.saveCalls, 0, 'nothing sent');
      assert.strictEqual(JSON.stringify(app.settings), before);
    });
  }

  it('refuses "2.5.1" as the cap and "4,5" in a whole-seconds field (a number input made that 45 s)', async () => {
    const de = strings('de');
    const app = new FakeApp();
    const page = await open('de', app);
    await page.selectOption('#capacityRule', 'fixed');
    await type(page, '#capacityKw', '2.5.1');
    await type(page, '#restoreHoldS', '4,5');
    await page.click('#save');
    assert.strictEqual(await errorLine(page, 'capacity_kw'), de.capacity.errKw);
    assert.strictEqual(await errorLine(page, 'restoreHoldS'), fill(de.err.integer, { min: 5, max: 3600 }));
    assert.strictEqual(app.saveCalls, 0, 'nothing sent');
  });
});
