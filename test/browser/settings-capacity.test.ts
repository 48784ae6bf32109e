/**
 * The settings page's capacity tariff section in a real headless Chromium: the rule, the cap and the period saved with
 * the form through the real api.ts and validateAppSettings (the page's own line for a cap that is no positive number,
 * the app's line for a Flemish cap under 2.5 kW, nothing saved), the Swedish options only for their rule, the live bar
 * of this period's projected average against the cap (GET /capacity), the month's peaks, the meter's own peak next to
 * the app's figure, the warning when the cap is below the house's load, another language, and a screenshot
 * (out/settings-capacity.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1). Without Chromium the suite fails when CI
 * is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import type { CapacityStatus } from '../../lib/capacity/types';
import type { AppSettings } from '../../lib/settings';
import { FakeApp, openSettingsPage, startSettingsServer, useBrowser } from './harness';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib).
declare const document: any;

const ROOT = path.join(__dirname, '..', '..');
/** 12:00–12:15 Stockholm time on Monday 2 June 2025; 6.5 minutes left. */
const START = Date.UTC(2025, 5, 2, 10, 0);
const STATUS: CapacityStatus = {
  rule: 'fixed', active: true, suspended: false,
  periodStartMs: START, periodEndMs: START + 15 * 60_000, minutesLeft: 6.5,
  averageKW: 3.1, projectedKW: 5.6, capKW: 5, headroomKW: 0.4,
  monthPeaks: [{ startMs: Date.UTC(2025, 5, 1, 16, 45), averageKW: 4.8 }, { startMs: Date.UTC(2025, 5, 2, 6, 30), averageKW: 3.9 }],
  meterPeakKW: 4.9,
  warning: null,
};

/** The settings page's app with the capacity guard's status behind GET /capacity. */
class CapacityApp extends FakeApp {
  capacity: CapacityStatus | null = STATUS;

  /** GET /plan of the charging-plan section on the same page: no plan. */
  getPlanView(): { timeMs: number; timeZone: string; prices: never[]; pricesFrom: null; chargers: never[] } {
    return { timeMs: START, timeZone: 'Europe/Stockholm', prices: [], pricesFrom: null, chargers: [] };
  }
}

const strings = (lang: string): Record<string, string> =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8')).settings.capacity;

describe('settings page: capacity tariff (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);

  async function open(opts: { lang?: string; app?: CapacityApp; viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {}): Promise<Page> {
    const opened = rig.keep(await openSettingsPage(rig.browser, rig.server, { app: opts.app ?? new CapacityApp(), ...opts }));
    await opened.page.waitForFunction(() => document.querySelectorAll('#capacity-peaks li').length > 0);
    return opened.page;
  }

  const withCapacity = (c: Partial<AppSettings>): CapacityApp => new CapacityApp({ ...FakeApp.initialSettings(), ...c });
  const errorText = (p: Page, key: string) => p.locator(`[data-error-for="${key}"]`).textContent();
  const saved = (p: Page) => p.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
  const visible = (p: Page, sel: string) => p.isVisible(sel);

  it('saves a rule, a cap and a period with the form; refuses a cap that is no positive number before sending', async () => {
    const p = await open();
    assert.strictEqual(await p.textContent('#capacity legend'), 'Capacity tariff');
    assert.strictEqual(await p.inputValue('#capacityRule'), 'off');
    assert.strictEqual(await visible(p, '#capacityKw'), false, 'no cap field while the rule is off');
    assert.strictEqual(await visible(p, '#capacitySePeaks'), false);

    await p.selectOption('#capacityRule', 'fixed');
    assert.strictEqual(await visible(p, '#capacityKw'), true);
    assert.strictEqual(await visible(p, '#capacitySePeaks'), false, 'the Swedish options belong to their rule');
    assert.match(await p.textContent('#capacityRuleHint') ?? '', /never make a period's average import go above the cap/);
    await p.fill('#capacityKw', '0');
    await p.click('#save');
    assert.strictEqual(await errorText(p, 'capacity_kw'), 'Enter the cap as a positive number of kW, e.g. 5.');
    assert.strictEqual(rig.server.app.saveCalls, 0, 'nothing sent');

    await p.fill('#capacityKw', '5.5');
    await p.check('input[name="capacity_period_min"][value="60"]');
    await p.click('#save');
    await saved(p);
    const s = rig.server.app.settings;
    assert.deepStrictEqual(
      [s.capacity_rule, s.capacity_kw, s.capacity_period_min, s.capacity_se_peaks, s.capacity_se_weekday_daytime],
      ['fixed', 5.5, 60, 3, false],
    );
  });

  it('shows the app\'s own line for a Flemish cap under 2.5 kW next to the cap, and saves nothing', async () => {
    const p = await open({ app: withCapacity({ capacity_rule: 'month-peak', capacity_kw: 3, capacity_period_min: 15 }) });
    assert.strictEqual(await p.textContent('#capacityKwLabel'), 'Lowest cap (kW)');
    await p.fill('#capacityKw', '2');
    await p.click('#save');
    await p.waitForFunction(() => document.querySelector('[data-error-for="capacity_kw"]')?.textContent !== '');
    assert.match(await errorText(p, 'capacity_kw') ?? '', /at least 2\.5 kW/);
    assert.strictEqual(await p.getAttribute('#capacityKw', 'aria-invalid'), 'true');
    assert.match(await p.textContent('#formStatus') ?? '', /Nothing was saved/);
    assert.strictEqual(rig.server.app.settings.capacity_kw, 3);
  });

  it('the Swedish rule shows its options: the number of peaks (checked) and weekday daytime only, saved with the rest', async () => {
    const p = await open();
    await p.selectOption('#capacityRule', 'se-peaks');
    assert.strictEqual(await visible(p, '#capacitySePeaks'), true);
    await p.fill('#capacityKw', '6');
    await p.fill('#capacitySePeaks', '11');
    await p.click('#save');
    assert.strictEqual(await errorText(p, 'capacity_se_peaks'), 'Enter a whole number from 1 to 10.');
    await p.fill('#capacitySePeaks', '5');
    await p.check('#capacitySeDaytime');
    await p.click('#save');
    await saved(p);
    const s = rig.server.app.settings;
    assert.deepStrictEqual([s.capacity_rule, s.capacity_kw, s.capacity_se_peaks, s.capacity_se_weekday_daytime], ['se-peaks', 6, 5, true]);
  });

  it('draws this period\'s average and projection against the cap, the month\'s peaks and the meter\'s own peak', async () => {
    const p = await open({ app: withCapacity({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 }) });
    assert.strictEqual(await p.textContent('#capacity-period'), 'This quarter-hour 12:00–12:15: 7 min left');
    assert.strictEqual(await p.textContent('#capacity-figures'), 'so far 3.1 kW · projected 5.6 kW · cap 5.0 kW · 0.4 kW left for the chargers');
    const [bar, avg, proj, cap] = await p.evaluate(() =>
      ['capacity-bar', 'capacity-bar-avg', 'capacity-bar-proj', 'capacity-bar-cap'].map((id) => {
        const r = document.getElementById(id).getBoundingClientRect();
        return { left: r.left as number, right: r.right as number, width: r.width as number };
      }),
    );
    const geo = { bar, avg, proj, cap, cls: await p.getAttribute('#capacity-bar', 'class') ?? '' };
    const at = (x: number) => (x - geo.bar.left) / geo.bar.width;
    const top = 5.6 * 1.15;
    assert.ok(Math.abs(geo.avg.width / geo.bar.width - 3.1 / top) < 0.02, 'the average bar');
    assert.ok(Math.abs(geo.proj.width / geo.bar.width - 5.6 / top) < 0.02, 'the projection bar');
    assert.ok(Math.abs(at(geo.cap.left) - 5 / top) < 0.02, 'the cap line');
    assert.ok(geo.proj.right > geo.cap.left, 'the projection goes past the cap');
    assert.match(geo.cls, /pg-cap-over/);
    assert.strictEqual(await p.getAttribute('#capacity-bar', 'aria-label'), 'This period so far 3.1 kW, projected 5.6 kW, cap 5.0 kW');
    const peaks = await p.$$eval('#capacity-peaks li', (lis: any[]) => lis.map((li) => li.textContent));
    assert.strictEqual(peaks.length, 2);
    assert.match(peaks[0], /4\.8 kW$/);
    assert.strictEqual(await p.textContent('#capacity-meter-peak'), 'Your meter\'s own month peak: 4.9 kW (the app\'s figure: 4.8 kW)');
    assert.strictEqual(await visible(p, '#capacity-warning'), false);
  });

  it('warns when the cap is below the house\'s own load; says when the cap is suspended or no rule is chosen', async () => {
    const app = withCapacity({ capacity_rule: 'fixed', capacity_kw: 2, capacity_period_min: 15 });
    app.capacity = { ...STATUS, capKW: 2, warning: 'The cap (2 kW) is below the house\'s own load (2.6 kW): chargers held at their minimum', meterPeakKW: null };
    let p = await open({ app });
    assert.strictEqual(await visible(p, '#capacity-warning'), true);
    assert.match(await p.textContent('#capacity-warning') ?? '', /^The cap \(2\.0 kW\) is below the house's own load: the chargers are held at their minimum/);
    assert.strictEqual(await visible(p, '#capacity-meter-peak'), false, 'a meter without its own peak');
    await p.close();

    app.capacity = { ...STATUS, rule: 'off', active: false, monthPeaks: [] };
    p = await open({ app });
    assert.match(await p.textContent('#capacity-figures') ?? '', /no cap \(measuring only\)$/);
    assert.strictEqual(await p.textContent('#capacity-peaks li'), 'No peaks yet this month.');
    assert.strictEqual(await visible(p, '#capacity-bar-cap'), false);
  });

  it('speaks Swedish', async () => {
    const sv = strings('sv');
    const p = await open({ lang: 'sv', app: withCapacity({ capacity_rule: 'se-peaks', capacity_kw: 6, capacity_period_min: 60 }) });
    assert.strictEqual(await p.textContent('#capacity legend'), sv.legend);
    assert.strictEqual(await p.textContent('#capacityRule option[value="se-peaks"]'), sv.ruleSePeaks);
    assert.strictEqual(await p.textContent('label[for="capacitySePeaks"]'), sv.sePeaks);
    assert.match(await p.textContent('#capacity-figures') ?? '', /^hittills 3,1 kW · beräknat 5,6 kW · tak 5,0 kW/);
  });

  it('saves a screenshot of the section (out/settings-capacity.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1)', async () => {
    const p = await open({ app: withCapacity({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 }), deviceScaleFactor: 1 });
    const file = path.join(ROOT, 'out', 'settings-capacity.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await p.locator('#capacity').screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 10000);
    if (process.env.UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(ROOT, 'docs', 'screenshots', 'settings-capacity.png'));
  });
});
