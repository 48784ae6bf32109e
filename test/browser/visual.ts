/**
 * What the settings page's live view and the dashboard widget are checked for alike: contrast, pixels in a
 * screenshot, the fuse and limit markers over each phase bar, and the screenshots written for the README.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import type { Page } from 'playwright-core';

// Browser globals inside page.evaluate callbacks (the test build has no DOM lib; kept local to this file).
declare const document: any;
declare function getComputedStyle(e: unknown): any;
declare const Image: any;

const ROOT = path.join(__dirname, '..', '..');

/** WCAG contrast ratio of two CSS colours "rgb(r, g, b)". */
export function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The colour of the pixel at each x (CSS px from the element's left), halfway down, in a screenshot of `selector`. */
export async function pixelsAt(page: Page, selector: string, xs: number[]): Promise<string[]> {
  const box = (await page.locator(selector).boundingBox())!;
  const png = await page.locator(selector).screenshot();
  return page.evaluate(async ({ data, xs, width }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const scale = img.width / width;
    // (no named helper functions in here: the test build would wrap them in a helper the page does not have)
    return xs.map((x) => {
      const d = ctx.getImageData(Math.round(x * scale), Math.round(img.height / 2), 1, 1).data;
      return `rgb(${d[0]}, ${d[1]}, ${d[2]})`;
    });
  }, { data: png.toString('base64'), xs, width: box.width });
}

/** The class names of a phase row's parts: the row (with data-phase), its bar's track and fill, and its two markers. */
export interface PhaseBarSelectors { row: string; track: string; fill: string; fuse: string; limit: string }

export interface Marker {
  /** Whether the marker is the topmost element in the middle of the bar and where it sticks out above and below. */
  onTop: boolean[];
  above: boolean;
  below: boolean;
  /** Its middle, from the track's left (CSS px). */
  x: number;
  colour: string;
  /** The colour of its box shadow ('' without one). */
  edge: string;
  image: string;
}

export interface PhaseBar { phase: string; fillWidth: number; fillColour: string; trackColour: string; marks: [fuse: Marker, limit: Marker] }

/** Where the fuse and limit markers are drawn over each phase bar (each row scrolled into view), and what is topmost there. */
export function phaseBars(page: Page, sel: PhaseBarSelectors): Promise<PhaseBar[]> {
  return page.evaluate((s) => Array.from(document.querySelectorAll(s.row)).map((row: any) => {
    row.scrollIntoView({ block: 'center' });
    const track = row.querySelector(s.track).getBoundingClientRect();
    const fill = row.querySelector(s.fill);
    const marks = [s.fuse, s.limit].map((markSel) => {
      const mark = row.querySelector(markSel);
      const r = mark.getBoundingClientRect();
      const x = r.left + r.width / 2;
      const style = getComputedStyle(mark);
      return {
        onTop: [track.top + track.height / 2, r.top + 1, r.bottom - 1].map((y) => document.elementFromPoint(x, y) === mark),
        above: r.top < track.top - 2, below: r.bottom > track.bottom + 2,
        x: x - track.left, colour: style.backgroundColor, edge: (style.boxShadow.match(/rgba?\([^)]*\)/) ?? [''])[0], image: style.backgroundImage,
      };
    });
    return {
      phase: row.getAttribute('data-phase'), fillWidth: fill.getBoundingClientRect().width,
      fillColour: getComputedStyle(fill).backgroundColor, trackColour: getComputedStyle(row.querySelector(s.track)).backgroundColor, marks,
    };
  }), sel) as Promise<PhaseBar[]>;
}

/**
 * On every phase bar the fuse and limit markers are the topmost element where they are drawn and reach above and
 * below the bar, the limit (fuse − margin) left of the fuse and dashed in the fuse marker's ink, and the fuse
 * marker's ink (or, with `edge`, its edge) stands out from the bar; L3's bar, past the fuse, runs past the fuse
 * marker, and in a screenshot of `l3Bar` the marker shows where it crosses the red bar.
 */
export async function assertFuseMarkersShow(page: Page, sel: PhaseBarSelectors, l3Bar: string, opts: { edge?: boolean } = {}): Promise<PhaseBar[]> {
  const bars = await phaseBars(page, sel);
  for (const row of bars) {
    const [fuse, limit] = row.marks;
    for (const [what, m] of [['fuse', fuse], ['limit', limit]] as const) {
      assert.deepStrictEqual(m.onTop, [true, true, true], `${row.phase} ${what} marker is the topmost element where it is drawn`);
      assert.ok(m.above && m.below, `${row.phase} ${what} marker reaches above and below the bar`);
    }
    assert.ok(limit.x < fuse.x, 'the limit (fuse − margin) is left of the fuse');
    assert.ok(limit.image.includes(fuse.colour), `${row.phase} limit marker is dashed in the fuse marker's ink: ${limit.image}`);
    const standsOut = Math.max(contrast(fuse.colour, row.fillColour), opts.edge ? contrast(fuse.edge, row.fillColour) : 0);
    assert.ok(standsOut >= 3, `${row.phase} fuse marker ${fuse.colour}${opts.edge ? ` (edge ${fuse.edge})` : ''} stands out from the bar ${row.fillColour}`);
  }
  const l3 = bars.find((r) => r.phase === 'L3')!;
  assert.ok(l3.fillWidth > l3.marks[0].x + 10, 'the L3 bar runs past the fuse marker');
  const [marker, bar] = await pixelsAt(page, l3Bar, [l3.marks[0].x, l3.marks[0].x + 8]);
  assert.strictEqual(bar, l3.fillColour, 'next to the marker the bar is red');
  assert.ok(contrast(marker, bar) >= 3, `the fuse marker is visible on the red bar: ${marker} on ${bar}`);
  return bars;
}

/** Writes a screenshot of `page` to out/`name` (and to docs/screenshots/ with UPDATE_SCREENSHOTS=1). */
export async function saveScreenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  const file = path.join(ROOT, 'out', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, ...opts });
  assert.ok(fs.statSync(file).size > 10000);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(path.join(ROOT, 'docs', 'screenshots'), { recursive: true });
    fs.copyFileSync(file, path.join(ROOT, 'docs', 'screenshots', name));
  }
}
