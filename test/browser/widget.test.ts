/**
 * The dashboard widget (widgets/phases) in a real headless Chromium, framed like a widget on a phone, with a stand-in
 * for the Homey object Homey injects (test/browser/widget-harness.ts): fed by the widget's real api.js, which serves
 * the app's GET /live (api.ts) of an in-memory app whose live view comes from the real balancer (liveFixture.ts, the
 * settings page's evening; widgetFixture.ts, the kettle evening of the screenshots). It shows a phase over the fuse
 * with the fuse marker on top of the bar, follows the realtime "live" event, stays readable in dark mode (contrast),
 * fits a phone (and half of one) without overflow, and speaks en, nl, sv, de, no and da. Writes out/widget-light.png and
 * out/widget-dark.png (and docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 * Without Chromium the browser suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import type { Page } from 'playwright-core';
import appApi from '../../api';
import type { LiveView } from '../../lib/webapi';
import { BROWSER_LOCALE, FakeApp, useBrowser } from './harness';
import { STORY_CHARGERS, liveStory, storyApp } from './liveFixture';
import { assertFuseMarkersShow, contrast, phaseBars, saveScreenshot } from './visual';
import { WIDGET_DIR, WIDGET_PHONE_WIDTH, openWidget, startWidgetServer, widgetApi, widgetHomey } from './widget-harness';
import { kettleApp, kettleLive } from './widgetFixture';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const window: any;
declare const document: any;
declare function getComputedStyle(e: unknown): any;

const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
const WIDGET_BARS = { row: '.pw-phase', track: '.pw-track', fill: '.pw-fill', fuse: '.pw-fuse', limit: '.pw-limit' };

type Strings = Record<string, string>;

/** The widget's strings per language (widgets/phases/public/i18n.js, run as the page runs it). */
function widgetStrings(): Record<string, Strings> {
  const sandbox = { window: {} as Record<string, unknown> };
  vm.runInNewContext(fs.readFileSync(path.join(WIDGET_DIR, 'public', 'i18n.js'), 'utf8'), sandbox);
  return sandbox.window.PHASES_WIDGET_I18N as Record<string, Strings>;
}

function fill(text: string, vars: Record<string, string | number>): string {
  return Object.entries(vars).reduce((s, [k, v]) => s.split(`{${k}}`).join(String(v)), text);
}

/** A number as the widget writes it for a Homey in `lang`. */
function num(a: number, lang: string): string {
  return (Math.round(a * 10) / 10).toLocaleString(BROWSER_LOCALE[lang], { maximumFractionDigits: 1 });
}

describe('dashboard widget: manifest, strings and API (no browser)', () => {
  it('declares a widget named in every app language whose API routes are exactly the handlers of its api.js', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'widget.compose.json'), 'utf8'));
    assert.deepStrictEqual(Object.keys(manifest.name).sort(), [...LANGS].sort());
    assert.deepStrictEqual(manifest.api, { getLive: { method: 'GET', path: '/live' } });
    assert.deepStrictEqual(Object.keys(widgetApi()).sort(), Object.keys(manifest.api).sort());
    // The height comes from Homey.ready({ height }) (what the content needs); Homey advises against setting both.
    assert.strictEqual(manifest.height, undefined);
    for (const file of ['preview-light.png', 'preview-dark.png', 'public/index.html', 'api.js']) {
      assert.ok(fs.existsSync(path.join(WIDGET_DIR, file)), `widgets/phases/${file}`);
    }
  });

  it('has every string in en, nl, sv, de, no and da, with the same placeholders', () => {
    const all = widgetStrings();
    assert.deepStrictEqual(Object.keys(all).sort(), [...LANGS].sort());
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const lang of LANGS) {
      assert.deepStrictEqual(Object.keys(all[lang]).sort(), Object.keys(all.en).sort(), `${lang}: the keys of en`);
      for (const [key, text] of Object.entries(all[lang])) {
        assert.ok(text.trim().length > 0, `${lang}.${key} is empty`);
        assert.deepStrictEqual(holes(text), holes(all.en[key]), `${lang}.${key}: placeholders`);
        if (lang !== 'en') assert.notStrictEqual(text, all.en[key], `${lang}.${key} is still English`);
      }
    }
  });

  it('GET /live answers the app\'s own GET /live, each charger\'s wiring and Homey\'s language; while the app starts, one line and no throw', async () => {
    const app = storyApp();
    const { getLive } = widgetApi();
    const answer = await getLive({ homey: widgetHomey(app, 'sv'), query: {}, params: {}, body: {} }) as Record<string, unknown>;
    const fromApp = await appApi.getLive({ homey: { app: { webApi: app } } });
    assert.deepStrictEqual(answer, {
      language: 'sv', live: fromApp, error: null,
      wiring: { 'goe-garage': STORY_CHARGERS['goe-garage'].phaseMap, 'ca-drive': STORY_CHARGERS['ca-drive'].phaseMap },
    });
    assert.deepStrictEqual(await getLive({ homey: widgetHomey(null, 'nl'), query: {}, params: {}, body: {} }), {
      language: 'nl', live: null, wiring: {}, error: 'Loading the live view failed: the app is still starting, try again in a moment',
    });
    // A Homey that cannot say its language: English.
    const noI18n = await getLive({ homey: { app: { webApi: app } }, query: {}, params: {}, body: {} }) as { language: string };
    assert.strictEqual(noI18n.language, 'en');
  });
});

describe('dashboard widget (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startWidgetServer);
  let page: Page;
  let readyHeight: number;

  async function open(opts: Parameters<typeof openWidget>[2] = {}): Promise<void> {
    ({ page, readyHeight } = rig.keep(await openWidget(rig.browser, rig.server, { app: storyApp(), ...opts })));
  }

  const texts = (selector: string) => page.locator(selector).allTextContents();

  for (const dark of [false, true]) {
    it(`shows each phase against the fuse with the fuse marker on top of a bar past it, and each charger, in its frame (${dark ? 'dark' : 'light'})`, async () => {
      await open({ dark });
      const { live } = liveStory();
      // The story's last reading: L3 over the 25 A fuse (the oven), both chargers just paused by the balancer.
      assert.ok(live.measuredA[2]! > 25, 'the story ends with L3 over the fuse');
      assert.deepStrictEqual(await texts('.pw-phase-name'), ['L1', 'L2', 'L3']);
      assert.deepStrictEqual(await texts('.pw-phase-value'), live.measuredA.map((a) => `${num(a!, 'en')} A`));
      assert.deepStrictEqual(await texts('.pw-phase-distance'), live.measuredA.map((a) => (a! <= 25
        ? `${num(25 - a!, 'en')} A left` : `${num(a! - 25, 'en')} A over the fuse`)));
      assert.strictEqual(await page.textContent('[data-phase="L3"] .pw-phase-distance'), `${num(live.measuredA[2]! - 25, 'en')} A over the fuse`);
      assert.match(await page.getAttribute('[data-phase="L3"] .pw-fill', 'class') ?? '', /pw-over/);
      assert.match(await page.getAttribute('[data-phase="L3"] .pw-phase-distance', 'class') ?? '', /pw-over-text/);

      // The marker's ink or its edge stands out from whatever bar it crosses.
      await assertFuseMarkersShow(page, WIDGET_BARS, '[data-phase="L3"] .pw-bar', { edge: true });

      // The chargers: drawn per grid phase (from their wiring), allowed, paused.
      assert.deepStrictEqual(await texts('.pw-charger-name'), ['Garage go-e', 'Driveway Halo']);
      const [goe, halo] = live.chargers;
      assert.deepStrictEqual(await texts('.pw-charger-values'), [
        `drawn L1 ${goe.drawnA[0]} · L2 ${goe.drawnA[1]} · L3 ${goe.drawnA[2]} A · allowed ${goe.allowedA} A`,
        `drawn L3 ${halo.drawnA[0]} A · allowed ${halo.allowedA} A`,
      ]);
      assert.deepStrictEqual(await texts('.pw-badge'), ['paused', 'paused']);
      assert.deepStrictEqual(await texts('.pw-legend-item'), ['load', 'fuse 25 A', 'limit 24 A (fuse − margin)', 'drawn', 'allowed']);

      // Homey sizes the frame to what the widget asked for: everything shows without scrolling.
      const content = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(readyHeight > 200 && content <= readyHeight + 1, `asked for ${readyHeight} px, content ${content} px`);
      assert.deepStrictEqual(rig.server.apiCalls, ['GET /live']);
    });
  }

  it('draws a charger\'s allowed current outlined and hatched and its drawn current solid, to one scale, as the legend shows', async () => {
    await open({ app: kettleApp() });
    const live = kettleLive();
    const halo = live.chargers.find((c) => c.id === 'ca-drive')!;
    assert.ok(halo.allowedA! > 0 && halo.allowedA! < halo.drawnA[0]!, `the Halo is cut below what its car still draws: ${halo.allowedA} < ${halo.drawnA[0]}`);
    // (no named helper functions inside page.evaluate: the test build would wrap them in a helper the page lacks)
    const li = '[data-charger="ca-drive"] ';
    const sels = [li + '.pw-allowed', li + '.pw-drawn', '.pw-key-allowed', '.pw-key-drawn', '[data-charger="goe-garage"] .pw-allowed'];
    const [allowed, drawn, keyAllowed, keyDrawn, goeAllowed] = await page.evaluate((list) => list.map((sel) => {
      const s = getComputedStyle(document.querySelector(sel));
      return {
        bg: s.backgroundColor, image: s.backgroundImage, border: s.borderTopWidth + ' ' + s.borderTopStyle + ' ' + s.borderTopColor,
        display: s.display, width: document.querySelector(sel).getBoundingClientRect().width,
      };
    }), sels);
    const barWidth = await page.evaluate((sel) => document.querySelector(sel).getBoundingClientRect().width, li + '.pw-cbar');
    const got = { bar: barWidth, allowedW: allowed.width, drawnW: drawn.width, allowed, drawn, keyAllowed, keyDrawn, goeAllowed };
    assert.match(got.allowed.image, /repeating-linear-gradient/, 'allowed is hatched');
    assert.match(got.allowed.border, /^2px solid rgb/, 'and outlined');
    assert.strictEqual(got.drawn.image, 'none', 'drawn is solid');
    assert.match(got.allowed.border, new RegExp(got.drawn.bg.replace(/[()]/g, '\\$&')), 'in the same hue');
    // One scale for both chargers: 16 A (neither is allowed or draws more).
    assert.ok(Math.abs(got.allowedW - (got.bar * halo.allowedA!) / 16) < 1.5, `allowed ${got.allowedW} of ${got.bar}`);
    assert.ok(Math.abs(got.drawnW - (got.bar * halo.drawnA[0]!) / 16) < 1.5, `drawn ${got.drawnW} of ${got.bar}`);
    assert.deepStrictEqual([got.keyAllowed.image, got.keyAllowed.border], [got.allowed.image, got.allowed.border], 'the legend\'s key for allowed');
    assert.strictEqual(got.keyDrawn.bg, got.drawn.bg, 'the legend\'s key for drawn');
    assert.strictEqual(got.goeAllowed.display, 'none', 'a paused charger has no allowed bar');
    assert.deepStrictEqual(await texts('.pw-charger-values'), [
      'drawn L1 11 · L2 11 · L3 11 A · allowed 0 A',
      `drawn L3 ${halo.drawnA[0]} A · allowed ${halo.allowedA} A`,
    ]);
  });

  it('follows the app\'s realtime "live" events: new figures, a new charger (and its wiring, and a taller frame), a silent meter, balancing off', async () => {
    await open();
    const storyL3A = liveStory().live.measuredA[2]!;
    assert.strictEqual(await page.textContent('[data-phase="L3"] .pw-phase-distance'), `${num(storyL3A - 25, 'en')} A over the fuse`);
    const kettle = kettleLive();
    await page.evaluate((data) => window.__homeyEmit('live', data), kettle);
    assert.deepStrictEqual(await texts('.pw-phase-value'), kettle.measuredA.map((a) => `${num(a!, 'en')} A`));
    assert.strictEqual(await page.textContent('[data-phase="L3"] .pw-phase-distance'), `${num(kettle.measuredA[2]! - 25, 'en')} A over the fuse`);
    assert.deepStrictEqual(await texts('.pw-badge'), ['paused'], 'only the go-e is paused now');
    assert.deepStrictEqual(rig.server.apiCalls, ['GET /live'], 'the event alone: no request');

    // A charger added since: listed at once; the widget asks GET /live for its wiring and grows its frame.
    rig.server.app.settings.chargers['goe-shed'] = { enabled: true, priority: 5, phaseMap: ['L2', null, null], maxCurrentA: 16 };
    const more: LiveView = {
      ...kettle,
      chargers: [...kettle.chargers, { id: 'goe-shed', name: 'Shed go-e', enabled: true, allowedA: 6, drawnA: [5.6, null, null], paused: false, limited: true }],
    };
    rig.server.app.live = more;
    await page.evaluate((data) => window.__homeyEmit('live', data), more);
    await page.waitForFunction(() => document.querySelector('[data-charger="goe-shed"] .pw-charger-values')?.textContent === 'drawn L2 5.6 A · allowed 6 A');
    assert.deepStrictEqual(rig.server.apiCalls, ['GET /live', 'GET /live']);
    const heights = await page.evaluate(() => window.__homey.heights);
    assert.ok(heights.length >= 1 && heights[heights.length - 1] > readyHeight + 30, `setHeight ${heights} after ${readyHeight}`);

    await page.evaluate((data) => window.__homeyEmit('live', data), { ...more, meter: { source: 'homewizard', stale: true, lastSampleAgeS: 21.4, error: null } });
    assert.strictEqual(await page.isVisible('#pw-note'), true);
    assert.strictEqual(await page.textContent('#pw-note'), 'No fresh meter reading for 21 s');
    await page.evaluate((data) => window.__homeyEmit('live', data), { ...more, balancing: false });
    assert.strictEqual(await page.textContent('#pw-note'), 'Balancing is off');
    await page.evaluate((data) => window.__homeyEmit('live', data), more);
    assert.strictEqual(await page.isVisible('#pw-note'), false);
  });

  for (const dark of [false, true]) {
    it(`is readable in ${dark ? 'dark' : 'light'} mode: every text and bar stands out from what is behind it, no text under 14 px`, async () => {
      await open({ app: kettleApp(), dark });
      const seen = await page.evaluate(() => {
        const out: { text: string; colour: string; bg: string; size: number }[] = [];
        const all = Array.from(document.querySelectorAll('#pw *'));
        for (const node of all as any[]) {
          const own = Array.from(node.childNodes).some((c: any) => c.nodeType === 3 && c.textContent.trim() !== '');
          if (!own || node.offsetParent === null) continue;
          let n = node;
          while (n && /rgba\(0, 0, 0, 0\)|transparent/.test(getComputedStyle(n).backgroundColor)) n = n.parentElement;
          const style = getComputedStyle(node);
          out.push({ text: node.textContent.trim(), colour: style.color, bg: n ? getComputedStyle(n).backgroundColor : 'rgb(255, 255, 255)', size: parseFloat(style.fontSize) });
        }
        return { out, dark: document.body.classList.contains('homey-dark-mode'), bodyBg: getComputedStyle(document.body).backgroundColor };
      });
      assert.strictEqual(seen.dark, dark);
      assert.ok(seen.out.length >= 20, `${seen.out.length} texts`);
      for (const t of seen.out) {
        assert.ok(contrast(t.colour, t.bg) >= 4.5, `"${t.text}": ${t.colour} on ${t.bg} = ${contrast(t.colour, t.bg).toFixed(2)}`);
        assert.ok(t.size >= 14, `"${t.text}" is ${t.size} px`);
      }
      const bars = await page.evaluate(() => ({
        fills: Array.from(document.querySelectorAll('.pw-fill')).map((e: any) => getComputedStyle(e).backgroundColor),
        drawn: Array.from(document.querySelectorAll('.pw-drawn')).filter((e: any) => !e.hidden).map((e: any) => getComputedStyle(e).backgroundColor),
        allowed: Array.from(document.querySelectorAll('.pw-allowed')).filter((e: any) => !e.hidden).map((e: any) => getComputedStyle(e).borderTopColor),
        track: getComputedStyle(document.querySelector('.pw-track')).backgroundColor,
      }));
      for (const c of [...bars.fills, ...bars.drawn, ...bars.allowed]) {
        assert.ok(contrast(c, bars.track) >= 3, `bar ${c} on its track ${bars.track}`);
        assert.ok(contrast(c, seen.bodyBg) >= 3, `bar ${c} on the widget ${seen.bodyBg}`);
      }
      const fuse = (await phaseBars(page, WIDGET_BARS))[0].marks[0];
      assert.ok(contrast(fuse.colour, bars.track) >= 3 && contrast(fuse.colour, seen.bodyBg) >= 3, `fuse marker ${fuse.colour}`);
      if (dark) {
        // Homey may mark dark mode on <html> instead of <body>: the same colours.
        const moved = await page.evaluate(() => {
          document.body.classList.remove('homey-dark-mode');
          document.documentElement.classList.add('homey-dark-mode');
          return [getComputedStyle(document.querySelector('.pw')).color, getComputedStyle(document.querySelector('.pw-fill')).backgroundColor];
        });
        assert.deepStrictEqual(moved, [seen.out.find((t) => t.text === 'L1')!.colour, bars.fills[0]]);
      }
    });
  }

  for (const width of [WIDGET_PHONE_WIDTH, 170]) {
    it(`fits a widget ${width} px wide on a phone (${width === WIDGET_PHONE_WIDTH ? 'full width' : 'half of a two-column dashboard'}): nothing sticks out`, async () => {
      const app = kettleApp();
      app.live.chargers[1] = { ...app.live.chargers[1], name: 'Driveway Halo by the garden gate, left of the carport' };
      await open({ app, width });
      const wide = await page.evaluate((w) => ({
        scroll: document.documentElement.scrollWidth,
        out: Array.from(document.querySelectorAll('#pw *')).filter((e: any) => e.getBoundingClientRect().right > w + 0.5 || e.getBoundingClientRect().left < -0.5)
          .map((e: any) => e.className || e.tagName),
      }), width);
      assert.ok(wide.scroll <= width, `page ${wide.scroll} px wide in a ${width} px frame`);
      assert.deepStrictEqual(wide.out, [], 'elements beyond the frame');
      const name = await page.evaluate(() => {
        const e = document.querySelector('[data-charger="ca-drive"] .pw-charger-name');
        return { scroll: e.scrollWidth, client: e.clientWidth, overflow: getComputedStyle(e).textOverflow };
      });
      assert.ok(name.scroll > name.client && name.overflow === 'ellipsis', 'a long charger name ends in an ellipsis');
      const content = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(content <= readyHeight + 1, `asked for ${readyHeight} px, content ${content} px`);
    });
  }

  const strings = widgetStrings();
  for (const lang of LANGS) {
    it(`speaks ${lang}: its own strings for Homey's language, numbers written the ${lang} way, nothing left in English`, async () => {
      await open({ lang });
      const s = strings[lang];
      const { live } = liveStory();
      assert.strictEqual(await page.getAttribute('html', 'lang'), lang);
      assert.deepStrictEqual(await texts('.pw-phase-value'), live.measuredA.map((a) => `${num(a!, lang)} A`));
      assert.deepStrictEqual(await texts('.pw-phase-distance'), live.measuredA.map((a) => (a! <= 25
        ? fill(s.left, { a: num(25 - a!, lang) }) : fill(s.over, { a: num(a! - 25, lang) }))));
      assert.strictEqual(await page.textContent('#pw-chargers-title'), s.chargers);
      assert.deepStrictEqual(await texts('.pw-badge'), [s.paused, s.paused]);
      assert.deepStrictEqual(await texts('.pw-legend-item'), [s.load, fill(s.fuse, { a: 25 }), fill(s.limit, { a: 24 }), s.drawn, s.allowed]);
      const [goe] = live.chargers;
      assert.strictEqual((await texts('.pw-charger-values'))[0],
        `${s.drawn} L1 ${num(goe.drawnA[0]!, lang)} · L2 ${num(goe.drawnA[1]!, lang)} · L3 ${num(goe.drawnA[2]!, lang)} A · ${s.allowed} 0 A`);
      if (lang !== 'en') {
        const shown = await page.textContent('#pw') ?? '';
        for (const [key, en] of Object.entries(strings.en)) {
          const bare = en.replace(/\{\w+\}/g, '').replace(/[A()−]/g, ' ').trim();
          if (bare.length > 3 && en !== s[key]) assert.ok(!shown.includes(bare), `English "${bare}" (${key}) in the ${lang} widget`);
        }
      }
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= WIDGET_PHONE_WIDTH, 'fits the phone');
    });
  }

  it('says so in Homey\'s language while the app is starting, and falls back to English for a language it does not have', async () => {
    const starting = new FakeApp();
    (starting as unknown as { getLiveView: unknown }).getLiveView = undefined;
    await open({ app: starting, lang: 'de' });
    assert.strictEqual(await page.textContent('#pw-note'),
      fill(strings.de.loadError, { error: 'Loading the live view failed: the app is still starting, try again in a moment' }));
    await page.close();
    await open({ lang: 'fr' });
    assert.strictEqual(await page.textContent('#pw-chargers-title'), strings.en.chargers);
    assert.strictEqual(await page.textContent('[data-phase="L1"] .pw-phase-value'), `${liveStory().live.measuredA[0]!.toLocaleString('fr')} A`);
  });

  for (const dark of [false, true]) {
    const name = `widget-${dark ? 'dark' : 'light'}.png`;
    it(`saves the ${dark ? 'dark' : 'light'} screenshot (out/${name}; docs/screenshots/ with UPDATE_SCREENSHOTS=1)`, async () => {
      await open({ app: kettleApp(), dark });
      await saveScreenshot(page, name);
    });
  }

  it('saves the light screenshot in Norwegian (out/widget-light-no.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1)', async () => {
    await open({ app: kettleApp(), lang: 'no' });
    assert.strictEqual(await page.textContent('#pw-chargers-title'), strings.no.chargers);
    await saveScreenshot(page, 'widget-light-no.png');
  });
});
