/**
 * The live view of the settings page in a real headless Chromium, at desktop width and on a 390 px phone: the fuse
 * and limit markers stay visible over a bar past the fuse (the topmost element where they are drawn, and dark pixels
 * in a screenshot of a red bar), plain words for the distance to the fuse in every language, phase labels on every
 * per-phase figure, and events as the real balancer said them (test/browser/liveFixture.ts). Writes the README's
 * screenshots to out/ (and to docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 * Without Chromium the suite fails when CI is set and is skipped otherwise.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';
import type { LiveView } from '../../lib/webapi';
import { BROWSER_LOCALE, DESKTOP, FakeApp, PHONE, openSettingsPage, startSettingsServer, useBrowser } from './harness';
import { STORY_CHARGERS, liveStory, storyApp } from './liveFixture';
import { assertFuseMarkersShow, saveScreenshot } from './visual';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const window: any;
declare const document: any;

const ROOT = path.join(__dirname, '..', '..');
const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];
const VIEWPORTS = [{ name: 'desktop', size: DESKTOP }, { name: 'phone', size: PHONE }];
const LIVE_BARS = { row: '.pg-phase', track: '.pg-bar-track', fill: '.pg-bar-fill', fuse: '.pg-bar-fuse', limit: '.pg-bar-limit' };

/** The settings strings of a language. */
function strings(lang: string): { live: Record<string, string> } {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', `${lang}.json`), 'utf8')) as { settings: { live: Record<string, string> } }).settings;
}

describe('settings page live fixture (no browser)', () => {
  it('tells a story whose events agree with their badges, with each other and with the figures shown', () => {
    const { live, events } = liveStory();
    const kinds = new Set(events.map((e) => e.type));
    assert.ok(kinds.has('restored') && (kinds.has('reduced') || kinds.has('paused')), `a raise and a cut: ${[...kinds].join(', ')}`);
    assert.ok(live.measuredA[2]! > live.fuseA, 'the last reading has L3 over the fuse (the oven)');
    for (const e of events) {
      const move = /from (\d+) A to (\d+) A$/.exec(e.reason);
      if (e.type === 'restored') assert.ok(move && Number(move[2]) > Number(move[1]) && /: raised /.test(e.reason) && !/above|over| fuse/.test(e.reason), e.reason);
      if (e.type === 'reduced') assert.ok(move && Number(move[2]) < Number(move[1]) && /: lowered /.test(e.reason) && /of 25 A fuse/.test(e.reason), e.reason);
      if (e.type === 'paused') assert.match(e.reason, /: paused .* \(needs 6 A\)$/);
      if (e.type === 'resumed') assert.match(e.reason, /: resumed .* at \d+ A$/);
      assert.ok(e.chargerName && e.reason.includes(e.chargerName), e.reason);
    }
    assert.deepStrictEqual(live.events.map((e) => e.timeMs), [...live.events.map((e) => e.timeMs)].sort((a, b) => b - a), 'newest first');
    // Each charger stands where its last event left it.
    for (const c of live.chargers) {
      const last = events.filter((e) => e.chargerName === c.name).pop()!;
      const toA = last.type === 'paused' ? 0 : Number((/(?:to|at) (\d+) A$/.exec(last.reason) ?? [])[1]);
      assert.strictEqual(c.allowedA, toA, `${c.name} after "${last.reason}"`);
      assert.strictEqual(c.paused, toA === 0);
    }
    // headroom = fuse − margin − (measured − the chargers' own draw) on every phase
    const own = [0, 0, 0];
    for (const c of live.chargers) {
      STORY_CHARGERS[c.id].phaseMap.forEach((p, i) => { if (p) own[['L1', 'L2', 'L3'].indexOf(p)] += c.drawnA[i] ?? 0; });
    }
    live.measuredA.forEach((a, g) => assert.ok(Math.abs(live.headroomA[g]! - (24 - (a! - own[g]))) < 0.06, `headroom L${g + 1}: ${live.headroomA[g]}`));
  });
});

describe('settings page live view (headless Chromium)', function () {
  this.timeout(60000);
  const rig = useBrowser(startSettingsServer);
  let page: Page;

  async function open(opts: Parameters<typeof openSettingsPage>[2] = {}): Promise<void> {
    ({ page } = rig.keep(await openSettingsPage(rig.browser, rig.server, { app: storyApp(), ...opts })));
    await page.waitForSelector('#live-phases .pg-phase');
  }

  const phaseText = (phase: string) => page.textContent(`[data-phase="${phase}"] .pg-phase-value`);

  for (const { name, size } of VIEWPORTS) {
    describe(`at ${name} width (${size.width} px)`, () => {
      it('draws the fuse and limit markers on top of a bar that is past the fuse, reaching out of it, in a colour no bar has', async () => {
        await open({ viewport: size });
        // The story's last reading: L3 at 33.2 A on a 25 A fuse, L1 and L2 well below it.
        assert.match(await page.getAttribute('[data-phase="L3"] .pg-bar-fill', 'class') ?? '', /pg-over/);
        await assertFuseMarkersShow(page, LIVE_BARS, '[data-phase="L3"] .pg-bar');
      });

      it('labels every per-phase figure with its phase, fits the screen, and lists the balancer\'s events as it said them', async () => {
        await open({ viewport: size });
        const { live } = liveStory();
        assert.deepStrictEqual(await page.locator('.pg-phase-head strong').allTextContents(), ['L1', 'L2', 'L3']);
        // The go-e is wired to L1, L2, L3; the 1-phase Halo to L3 only (its settings), so it shows one figure.
        const [goe, halo] = live.chargers;
        const badge = (c: typeof goe) => (c.paused ? 'paused' : c.limited ? 'limited' : '');
        assert.deepStrictEqual(await page.locator('#live-chargers li').allTextContents(), [
          `Garage go-eallowed ${goe.allowedA} A · drawn L1 ${goe.drawnA[0]} · L2 ${goe.drawnA[1]} · L3 ${goe.drawnA[2]} A${badge(goe)}`,
          `Driveway Haloallowed ${halo.allowedA} A · drawn L3 ${halo.drawnA[0]} A${badge(halo)}`,
        ]);
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= size.width, 'nothing wider than the screen');
        await page.click('#live-events-box summary');
        const shown = await page.locator('#live-events li').evaluateAll((lis) => lis.map((li: any) => ({
          time: li.querySelector('time').textContent, type: li.querySelector('.pg-badge').className.replace(/.*pg-ev-/, ''),
          charger: li.querySelector('strong').textContent, reason: li.querySelector('.pg-event-reason').textContent,
        })));
        const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { timeZone: 'Europe/Stockholm', hour: '2-digit', minute: '2-digit', second: '2-digit' });
        assert.deepStrictEqual(shown, live.events.map((e) => ({ time: clock(e.timeMs), type: e.type, charger: e.chargerName, reason: e.reason })));
        assert.strictEqual(shown[0].time, '17:38:00', 'the last reading of the story, at Stockholm time');
        assert.deepStrictEqual(await page.locator('#live-events .pg-badge').evaluateAll((b) => b.map((x: any) => x.textContent)),
          live.events.map((e) => ({ reduced: 'Reduced', restored: 'Raised', paused: 'Paused', resumed: 'Resumed' } as Record<string, string>)[e.type]));
      });
    });
  }

  for (const lang of LANGS) {
    it(`says in plain words how far each phase is from the fuse, and what is left for the chargers, without "room" (${lang})`, async () => {
      await open({ lang });
      const live = strings(lang).live;
      const num = (a: number) => a.toLocaleString(BROWSER_LOCALE[lang], { maximumFractionDigits: 1 });
      const fill = (text: string, a: number) => text.replace('{a}', num(a));
      const { measuredA, headroomA } = liveStory().live;
      for (const [g, phase] of ['L1', 'L2', 'L3'].entries()) {
        const a = measuredA[g]!;
        const words = a <= 25 ? fill(live.left, Math.round((25 - a) * 10) / 10) : fill(live.over, Math.round((a - 25) * 10) / 10);
        assert.strictEqual(await phaseText(phase), `${num(a)} A · ${words}`);
        assert.strictEqual(await page.textContent(`[data-phase="${phase}"] .pg-phase-chargers`), fill(live.forChargers, headroomA[g]!));
      }
      assert.strictEqual(await page.textContent('#live-limit-label'), fill(live.limitLine, 24));
      assert.strictEqual(await page.textContent('#live-fuse-label'), fill(live.fuseLine, 25));
      const text = await page.textContent('#live') ?? '';
      // The words "room" replaced: en room, nl ruimte, sv "marginal N A", de "Reserve N A", no plass / "margin N A", da
      // plads / "margin N A" (the margin keeps its name).
      assert.doesNotMatch(text, { en: /\broom\b/i, nl: /ruimte/i, sv: /marginal \d/i, de: /Reserve \d/, no: /\bplass\b|margin \d/i, da: /\bplads\b|margin \d/i }[lang]!);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, 'fits a 390 px phone');
    });
  }

  it('says when nothing is left for the chargers and when a phase sits exactly at the fuse', async () => {
    const app = storyApp();
    app.live = { ...app.live, measuredA: [25, 20, 30], headroomA: [-1, 4, -6] };
    await open({ app });
    assert.strictEqual(await phaseText('L1'), '25 A · 0 A left before the fuse');
    assert.strictEqual(await phaseText('L3'), '30 A · 5 A over the fuse');
    assert.strictEqual(await page.textContent('[data-phase="L1"] .pg-phase-chargers'), 'nothing left for the chargers');
    assert.strictEqual(await page.textContent('[data-phase="L2"] .pg-phase-chargers'), 'up to 4 A for the chargers');
  });

  it('labels a charger\'s figures by the grid phase each charger phase is wired to, and follows a saved change of wiring', async () => {
    const app = storyApp();
    app.settings.chargers['goe-garage'].phaseMap = ['L2', 'L3', 'L1'];
    app.live = { ...app.live, chargers: [{ ...app.live.chargers[0], drawnA: [5, 6, 7], paused: false, allowedA: 7 }] };
    await open({ app });
    const goe = () => page.textContent('#live-chargers li[data-charger="goe-garage"] .pg-live-values');
    assert.strictEqual(await goe(), 'allowed 7 A · drawn L1 7 · L2 5 · L3 6 A');
    assert.strictEqual(await page.textContent('#live-chargers li[data-charger="goe-garage"] .pg-badge'), 'limited');
    await page.selectOption('[name="chargers.goe-garage.phaseMap.0"]', 'L1');
    await page.selectOption('[name="chargers.goe-garage.phaseMap.2"]', 'L2');
    await page.click('#save');
    await page.waitForFunction(() => document.getElementById('formStatus')?.textContent === 'Saved.');
    assert.strictEqual(await goe(), 'allowed 7 A · drawn L1 5 · L2 7 · L3 6 A');
    assert.deepStrictEqual(STORY_CHARGERS['goe-garage'].phaseMap, ['L1', 'L2', 'L3'], 'the story itself is untouched');
  });

  it('says how hard the fuse was worked in the last hour and how the balancer raises now (quick, step by step, off)', async () => {
    await open({ app: new FakeApp() });
    const meterLine = (): Promise<string | null> => page.textContent('#live-meter');
    await page.waitForFunction(() => /of a trip/.test(document.getElementById('live-meter')?.textContent ?? ''));
    assert.match(await meterLine() ?? '', / · fuse stress in the last hour 0 % of a trip, raising quickly$/);
    const story = liveStory().live;
    for (const [fuse, want] of [
      [{ stress: 0.1432, quick: false, quickOn: true }, /fuse stress in the last hour 14.3 % of a trip, raising step by step$/],
      [{ stress: 0.004, quick: false, quickOn: false }, /fuse stress in the last hour 0.4 % of a trip, quick raising off$/],
    ] as const) {
      await page.evaluate((data) => window.__homeyEmit('live', data), { ...story, fuse });
      assert.match(await meterLine() ?? '', want);
    }
  });

  it('follows realtime "live" events: a silent meter, at most the last 20 events, folded until opened', async () => {
    await open({ app: new FakeApp() });
    assert.strictEqual(await page.textContent('#live-events li'), 'No events yet.');
    const story = liveStory().live;
    // 25 events: the story's, then the same evening once more an hour earlier.
    const events = [...story.events, ...story.events.slice(0, 10).map((e) => ({ ...e, timeMs: e.timeMs - 3600_000 }))];
    const live: LiveView = { ...story, meter: { source: 'homewizard', stale: true, lastSampleAgeS: 21.4, error: null }, events };
    await page.evaluate((data) => window.__homeyEmit('live', data), live);
    assert.strictEqual(await page.isVisible('#live-stale'), true);
    assert.match(await page.textContent('#live-stale') ?? '', /No fresh meter reading for 21 s/);
    assert.strictEqual(await page.locator('#live-events li').count(), 20, 'only the last 20 events');
    assert.strictEqual(await page.textContent('#live-events-count'), '(20)');
    assert.strictEqual(await page.isVisible('#live-events li'), false, 'events start folded');
    await page.click('#live-events-box summary');
    assert.strictEqual(await page.isVisible('#live-events li'), true);
  });

  for (const { name, size } of VIEWPORTS) {
    it(`saves the ${name} screenshot of the whole page (out/settings-${name}.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1)`, async () => {
      // One device pixel per CSS pixel: the whole page stays a few hundred kB.
      await open({ viewport: size, deviceScaleFactor: 1 });
      await page.waitForSelector('input[name="hwMeter"]:checked');
      await page.click('#live-events-box summary');
      // The save bar is sticky: scrolled to the end it sits in its own place in a full-page shot.
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await saveScreenshot(page, `settings-${name}.png`, { fullPage: true });
    });
  }

  it('saves the phone screenshot of the whole page in Norwegian (out/settings-phone-no.png; docs/screenshots/ with UPDATE_SCREENSHOTS=1)', async () => {
    await open({ lang: 'no', viewport: PHONE, deviceScaleFactor: 1 });
    await page.waitForSelector('input[name="hwMeter"]:checked');
    assert.strictEqual(await page.textContent('#live h2'), strings('no').live.title);
    await page.click('#live-events-box summary');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await saveScreenshot(page, 'settings-phone-no.png', { fullPage: true });
  });
});
