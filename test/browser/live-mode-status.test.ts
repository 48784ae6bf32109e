/**
 * The settings page's live view shows why each charger in its charging mode is (not) charging: the app sends an id
 * and numbers per charger (lib/app/modeStatus.ts), the page translates them (locales modeStatus.*) with the language's
 * decimal sign; a charger without a status shows none. Headless Chromium; skipped without it (fails when CI is set).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { LiveView } from '../../lib/webapi';
import { openSettingsPage, startSettingsServer, useBrowser } from './harness';
import { storyApp } from './liveFixture';

const ROOT = path.join(__dirname, '..', '..');
const texts = (lang: string): Record<string, string> =>
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8')) as { modeStatus: Record<string, string> }).modeStatus;

describe('settings page live view: the charging mode status per charger (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);

  for (const [lang, decimal] of [['en', '.'], ['nl', ','], ['de', ',']] as const) {
    it(`${lang}: each charger's status in words, numbers with "${decimal}", none where the app sends none`, async () => {
      const app = storyApp();
      const [goe, halo] = app.live.chargers;
      const withStatus: LiveView['chargers'] = [
        { ...goe, modeStatus: { id: 'solar_waiting', values: { surplus: 0.8, needed: 4.1 } } },
        { ...halo, modeStatus: { id: 'plan_waiting', values: { time: '02:15' } } },
      ];
      app.live = { ...app.live, chargers: withStatus };
      const { page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { app, lang }));
      await page.waitForSelector('#live-chargers .pg-live-status');
      const t = texts(lang);
      const expected = [
        t.solar_waiting.replace('__surplus__', `0${decimal}8`).replace('__needed__', `4${decimal}1`),
        t.plan_waiting.replace('__time__', '02:15'),
      ];
      assert.deepStrictEqual(await page.locator('#live-chargers .pg-live-status').allTextContents(), expected);
      assert.ok(expected.every((x) => !x.includes('__')), 'every token filled');

      // the next push without a status for the Halo: its line goes
      await page.evaluate((live) => (window as any).__homeyEmit('live', live), { ...app.live, chargers: [withStatus[0], { ...halo, modeStatus: null }] } as LiveView);
      await page.waitForFunction(() => (document as any).querySelectorAll('#live-chargers .pg-live-status').length === 1);
      assert.strictEqual(await page.locator('#live-chargers li[data-charger="' + halo.id + '"] .pg-live-status').count(), 0);
    });
  }
});

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const window: any;
declare const document: any;
