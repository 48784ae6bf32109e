/**
 * The charging plan on the settings page (settings/plan.js) in a real headless Chromium, at desktop width and on a
 * 390 px phone, with the plan the real app plan made (test/browser/planFixture.ts): per charger a chart whose bars
 * stand in the planned hours (02:00–04:00 for the go-e) and whose price line has a step per price, the deadline
 * marked, delivered vs target, the expected cost, the next slot or "charging now", and the warning of a plan that
 * cannot meet its deadline; in six languages; no sideways scrolling. Writes out/settings-plan.png (and
 * docs/screenshots/settings-plan.png with UPDATE_SCREENSHOTS=1). Without Chromium the suite fails when CI is set and
 * is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import type { PlanView } from '../../lib/app/plan';
import { DESKTOP, PHONE, openSettingsPage, startSettingsServer, useBrowser } from './harness';
import { T0_MS } from '../app/planRig';
import { LANGS, PlanApp, planStory, planStrings } from './planFixture';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const window: any;
declare const document: any;

const ROOT = path.join(__dirname, '..', '..');



describe('settings page: the charging plan (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);
  let page: Page;
  let story: PlanView;

  before(async () => {
    story = await planStory();
  });

  async function open(opts: { lang?: string; viewport?: { width: number; height: number }; plan?: PlanView } = {}): Promise<void> {
    const app = new PlanApp();
    app.plan = opts.plan ?? story;
    ({ page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { app, lang: opts.lang, viewport: opts.viewport })));
    await page.waitForSelector('#plan-chargers li svg');
  }

  /** Per bar its left and right edge, and the x of each hour label, in the go-e's chart. */
  const geometry = () => page.evaluate(() => {
    const chart = document.querySelector('[data-charger="goe-garage"] svg');
    const bars = [...chart.querySelectorAll('.pg-plan-bar')].map((r: any) => ({ x0: Number(r.getAttribute('x')), x1: Number(r.getAttribute('x')) + Number(r.getAttribute('width')) }));
    const hours: Record<string, number> = {};
    for (const t of chart.querySelectorAll('text')) if (/^\d\d$/.test(t.textContent)) hours[t.textContent] = Number(t.getAttribute('x'));
    const deadline = chart.querySelector('.pg-plan-deadline');
    return { bars, hours, deadlineX: Number(deadline.getAttribute('x1')), deadlineLabel: chart.querySelector('.pg-plan-deadline-label').textContent,
      steps: (chart.querySelector('.pg-plan-price').getAttribute('d').match(/M|L/g) ?? []).length,
      width: chart.getBoundingClientRect().width, box: chart.parentNode.getBoundingClientRect().width };
  });

  for (const { name, size } of [{ name: 'desktop', size: DESKTOP }, { name: 'phone', size: PHONE }]) {
    it(`at ${name} width: the go-e's bars stand in its planned hours 02:00–04:00, the deadline at 07:00, no sideways scrolling`, async () => {
      await open({ viewport: size });
      const g = await geometry();
      assert.strictEqual(g.bars.length, 2, 'two planned hours');
      const hourX = (h: number): number => {
        // a label every hour or every few hours: interpolate between the two labels around h
        const known = Object.entries(g.hours).map(([k, x]) => ({ h: (Number(k) - 21 + 24) % 24, x })).sort((a, b) => a.h - b.h);
        const perHour = (known[known.length - 1].x - known[0].x) / (known[known.length - 1].h - known[0].h);
        return known[0].x + (((h - 21 + 24) % 24) - known[0].h) * perHour;
      };
      assert.ok(Math.abs(g.bars[0].x0 - hourX(2)) < 2, `first bar at 02:00: ${g.bars[0].x0} vs ${hourX(2)}`);
      // the plan's last slot ends where the plan says (its last quarter may be cut to what the target still needs)
      const goeSlots = story.chargers.find((c) => c.id === 'goe-garage')!.slots;
      const endH = (20 + (goeSlots[goeSlots.length - 1].endMs - T0_MS) / 3600_000) % 24; // T0_MS is 20:00 in Stockholm
      assert.ok(endH > 3 && endH <= 4, `the plan's last slot ends in its second cheap hour: ${endH}`);
      assert.ok(Math.abs(g.bars[1].x1 + 1 - hourX(endH)) < 2, `last bar ends with the plan's last slot: ${g.bars[1].x1} vs ${hourX(endH)}`);
      assert.ok(Math.abs(g.deadlineX - hourX(7)) < 2, 'the deadline line at 07:00');
      assert.strictEqual(g.deadlineLabel, '07:00');
      assert.ok(g.steps >= 2 * 10, `a step per price from 21:00 to 07:00: ${g.steps}`);
      assert.ok(g.width <= g.box + 0.5, `the chart fits its box: ${g.width} in ${g.box}`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    });
  }

  it('says per charger what the plan does: waiting for 02:00 with its cost; the Halo cannot meet its deadline and charges now', async () => {
    await open();
    const goe = await page.textContent('[data-charger="goe-garage"]');
    assert.match(goe ?? '', /0\.0 of 11\.0 kWh charged, deadline \w{3} 07:00/);
    assert.match(goe ?? '', /Expected cost 0\.45/);
    assert.match(goe ?? '', /Waiting for the next planned slot at \w{3} 02:00/);
    const halo = await page.textContent('[data-charger="ca-drive"] .pg-warning');
    assert.strictEqual(halo, 'The plan cannot meet the deadline: 29.5 kWh cannot be charged by 06:00 (about 28.2 kWh fit under the fuse). '
      + 'The charger charges at once, as fast as the fuse allows.');
    assert.match(await page.textContent('#plan-prices') ?? '', /^Prices from a flow: 11 slots until \w{3} 08:00$/);
    assert.strictEqual(await page.isVisible('#plan-none'), false);
  });

  it('follows the realtime event "plan": at 02:30 the go-e charges in its slot', async () => {
    await open();
    const later = await planStory(5 * 3600_000);
    await page.evaluate((v: unknown) => window.__homeyEmit('plan', v), later);
    await page.waitForSelector('[data-charger="goe-garage"] .pg-plan-charging');
    assert.strictEqual(await page.textContent('[data-charger="goe-garage"] .pg-plan-charging'), 'Charging now: a planned slot');
    assert.match(await page.textContent('[data-charger="goe-garage"] .pg-plan-progress') ?? '', /^5\.5 of 11\.0 kWh charged/);
  });

  it('without prices or plans it says how to get them', async () => {
    const app = new PlanApp();
    ({ page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { app })));
    await page.waitForFunction(() => document.getElementById('plan-prices').textContent !== '');
    assert.match(await page.textContent('#plan-prices') ?? '', /^No prices yet: send them with the app's flow card "Set electricity prices", or install Power by the Hour/);
    assert.strictEqual(await page.isVisible('#plan-none'), true);
    assert.strictEqual(await page.locator('#plan-chargers li').count(), 0);
  });

  for (const lang of LANGS) {
    it(`speaks ${lang}: the section's title and lines come from locales/${lang}.json, no key shows`, async () => {
      await open({ lang });
      const s = planStrings(lang);
      assert.strictEqual(await page.textContent('#plan h2'), s.title);
      const text = await page.textContent('#plan') ?? '';
      assert.doesNotMatch(text, /plan\.[a-z]/i, 'no untranslated key');
      assert.ok(text.includes(s.legendPower) && text.includes(s.legendPrice), 'the legend');
      assert.ok(text.includes(s.chargingNow) === false, 'nothing charges in a slot at 21:30');
    });
  }

  it('screenshot: out/settings-plan.png', async () => {
    await open({ viewport: PHONE });
    const file = path.join(ROOT, 'out', 'settings-plan.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.locator('#plan').screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 10000);
    if (process.env.UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(ROOT, 'docs', 'screenshots', 'settings-plan.png'));
  });
});
