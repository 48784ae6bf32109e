/**
 * The demo report (out/demo-report.html) in a real headless Chromium at a desktop's (1280 px) and a
 * phone's (390 px) width: summary first with the run's figures, chart text readable (≥ 11 px as
 * rendered), no text overlapping inside a chart, no horizontal scrolling, legends that draw allowed
 * and drawn current differently and name every event kind, clock times on the axes. Screenshots of
 * both widths go to out/ (docs/screenshots/ is made by tools/demo/screenshots.ts).
 * Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import { runDemo, type DemoResult } from '../../../tools/demo/demo';
import { renderDemoReport } from '../../../tools/demo/report';
import { EVENT_KINDS } from '../../../tools/demo/reportChart';
import { duration, kWh } from '../../../tools/demo/reportText';
import { VIEWPORTS, chromiumPath, launchChromium, screenshotReport, type ViewportName } from '../../../tools/demo/screenshots';

const OUT = path.join(__dirname, '..', '..', '..', 'out');

interface Layout {
  scrollWidth: number;
  innerWidth: number;
  charts: { id: string; variant: string; texts: { text: string; px: number; box: [number, number, number, number] }[]; markerKinds: string[] }[];
  legends: { id: string; items: { style: string; kind: string | null; text: string; swatch: string; px: number }[] }[];
  firstAfterHeader: string;
  points: { key: string; text: string }[];
  bodyPx: number;
}

/** Measured in the page; a string, so that the test build's helpers (esbuild's __name) stay out of it. */
const MEASURE = `(() => {
  const visible = (e) => e.getBoundingClientRect().width > 0 && getComputedStyle(e).display !== 'none';
  const figures = [...document.querySelectorAll('figure.chart-block')];
  const charts = figures.map((fig) => {
    const svg = [...fig.querySelectorAll('svg.chart')].find(visible);
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale, box: [r.left, r.top, r.right, r.bottom] };
    });
    const markerKinds = [...svg.querySelectorAll('g.marker')].map((g) => g.getAttribute('data-kind'));
    return { id: fig.id, variant: svg.getAttribute('class'), texts, markerKinds };
  });
  const legends = figures.map((fig) => ({
    id: fig.id,
    items: [...fig.querySelectorAll('.legend-item')].map((li) => ({
      style: li.getAttribute('data-style'),
      kind: li.getAttribute('data-kind'),
      text: li.textContent,
      swatch: li.querySelector('svg').innerHTML,
      px: parseFloat(getComputedStyle(li).fontSize),
    })),
  }));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    charts,
    legends,
    firstAfterHeader: document.querySelector('header').nextElementSibling.className,
    points: [...document.querySelectorAll('.point')].map((p) => ({ key: p.getAttribute('data-point'), text: p.textContent })),
    bodyPx: parseFloat(getComputedStyle(document.body).fontSize),
  };
})()`;

async function layout(page: Page): Promise<Layout> {
  return (await page.evaluate(MEASURE)) as Layout;
}

const overlaps = (a: number[], b: number[]): boolean => a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;

describe('demo report in headless Chromium (1280 px and 390 px)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let result: DemoResult;
  let reportFile: string;

  before(async function () {
    const executablePath = chromiumPath();
    if (!executablePath) {
      if (process.env.CI) throw new Error('Chromium not found at /usr/bin/chromium (or CHROMIUM_PATH): install the Debian package "chromium"; CI requires this test');
      console.warn('    (skipped: Chromium not found; install the Debian package "chromium" to run the demo report browser test)');
      this.skip();
    }
    // long enough for raises, cuts, a pause and its resume; the whole trace is the README's screenshot
    result = await runDemo({ durationS: 4 * 3600 });
    reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'report-')), 'demo-report.html');
    fs.writeFileSync(reportFile, renderDemoReport(result));
    browser = await launchChromium(executablePath);
  });

  after(async () => {
    await browser?.close();
  });

  for (const name of Object.keys(VIEWPORTS) as ViewportName[]) {
    it(`${name} (${VIEWPORTS[name].width} px): summary first, readable charts, no overlap, no sideways scrolling`, async () => {
      const page = await browser.newPage({ viewport: VIEWPORTS[name], deviceScaleFactor: 1 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (req) => {
        if (!req.url().startsWith('file://')) errors.push(`external request: ${req.url()}`);
      });
      await page.goto(`file://${reportFile}`);
      const l = await layout(page);
      await page.close();
      assert.deepStrictEqual(errors, []);
      assert.ok(l.scrollWidth <= l.innerWidth, `page is ${l.scrollWidth} px wide in a ${l.innerWidth} px window`);
      assert.ok(l.bodyPx >= 14);

      // the summary comes first and carries the run's own figures
      assert.strictEqual(l.firstAfterHeader, 'points');
      assert.deepStrictEqual(l.points.map((p) => p.key), ['fuse', 'energy', 'chargers']);
      const [fuse, energy, chargers] = l.points.map((p) => p.text);
      assert.ok(fuse.includes(duration(result.fuse.unbalanced.overS)), fuse);
      assert.ok(fuse.includes(`${result.fuseA} A`), fuse);
      assert.ok(energy.includes(kWh(result.energyKWh)) && energy.includes(kWh(result.possibleEnergyKWh)), energy);
      for (const c of result.chargers) assert.ok(chargers.includes(`${c.name} (`), chargers);

      // five charts: L1–L3 and one per charger, the variant made for this width
      assert.deepStrictEqual(l.charts.map((c) => c.id), ['chart-L1', 'chart-L2', 'chart-L3', 'chart-charger-1', 'chart-charger-2']);
      for (const c of l.charts) {
        assert.match(c.variant, name === 'phone' ? /chart-narrow/ : /chart-wide/, c.id);
        const small = c.texts.filter((t) => t.px < 11);
        assert.deepStrictEqual(small.map((t) => `${t.text} ${t.px.toFixed(1)} px`), [], `${c.id}: chart text under 11 px`);
        for (let i = 0; i < c.texts.length; i++) {
          for (let k = i + 1; k < c.texts.length; k++) {
            assert.ok(!overlaps(c.texts[i].box, c.texts[k].box), `${c.id}: "${c.texts[i].text}" overlaps "${c.texts[k].text}"`);
          }
        }
        const ticks = c.texts.map((t) => t.text).filter((t) => t.includes(':') || /^\d+\.\d+$/.test(t));
        assert.ok(ticks.length >= 3, `${c.id}: clock ticks ${ticks.join(' ')}`);
        for (const t of ticks) assert.match(t, /^\d\d:\d\d$/, `${c.id}: clock times, not decimal hours`);
      }

      // legends: allowed (dashed line) and drawn (filled area) look different; every event kind is named
      for (const lg of l.legends) {
        assert.ok(lg.items.every((it) => it.px >= 11), `${lg.id}: legend text`);
        if (lg.id.startsWith('chart-charger')) {
          const allowed = lg.items.find((it) => /allowed/.test(it.text));
          const drawn = lg.items.find((it) => /drawn/.test(it.text));
          assert.ok(allowed && drawn, lg.id);
          assert.strictEqual(allowed.style, 'dashed');
          assert.strictEqual(drawn.style, 'area');
          assert.match(allowed.swatch, /stroke-dasharray/);
          assert.match(drawn.swatch, /<rect[^>]*fill-opacity/);
          assert.doesNotMatch(drawn.swatch, /stroke-dasharray/);
          assert.deepStrictEqual(lg.items.filter((it) => it.style === 'marker').map((it) => it.kind), EVENT_KINDS);
        } else {
          assert.ok(lg.items.some((it) => /main fuse/.test(it.text) && it.style === 'dashed'), lg.id);
          assert.ok(lg.items.some((it) => /limit/.test(it.text) && it.style === 'dotted'), lg.id);
          assert.ok(lg.items.some((it) => it.kind === 'overFuse'), lg.id);
        }
      }
      // every kind of event that happened is marked on a charger chart
      const marked = new Set(l.charts.flatMap((c) => c.markerKinds));
      for (const kind of new Set(result.events.map((e) => e.type))) assert.ok(marked.has(kind), `${kind} marked`);
    });
  }

  it('writes a screenshot at each width', async () => {
    const files = await screenshotReport(browser, reportFile, OUT);
    for (const name of Object.keys(VIEWPORTS) as ViewportName[]) {
      const png = fs.readFileSync(files[name]);
      assert.strictEqual(png.readUInt32BE(16), VIEWPORTS[name].width, `${name} screenshot width`);
      assert.ok(png.readUInt32BE(20) > 2000, `${name}: the whole page`);
    }
  });
});
