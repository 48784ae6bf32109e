/**
 * The widget's preview images (widgets/phases/preview-light.png, preview-dark.png): what test/browser/widgetPreview.ts
 * draws, byte for byte (rewritten with UPDATE_SCREENSHOTS=1), 1024×1024 as Homey asks, transparent around the card.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { PREVIEW_SIZE, previewSvg, renderPreview } from './widgetPreview';
import { WIDGET_DIR } from './widget-harness';

describe('dashboard widget preview images', () => {
  for (const mode of ['light', 'dark'] as const) {
    const file = path.join(WIDGET_DIR, `preview-${mode}.png`);
    it(`widgets/phases/preview-${mode}.png is the ${mode} preview: 1024×1024, no text, transparent corners`, () => {
      const png = renderPreview(mode);
      if (process.env.UPDATE_SCREENSHOTS === '1') fs.writeFileSync(file, png);
      assert.ok(!/<text[\s>]/.test(previewSvg(mode)), 'no text (Homey\'s guideline; and fonts differ per machine)');
      assert.ok(fs.readFileSync(file).equals(png), `${path.relative(process.cwd(), file)} differs from what widgetPreview.ts draws: UPDATE_SCREENSHOTS=1`);
      const image = new Resvg(previewSvg(mode), { fitTo: { mode: 'width', value: PREVIEW_SIZE } }).render();
      assert.deepStrictEqual([image.width, image.height], [PREVIEW_SIZE, PREVIEW_SIZE]);
      const alpha = (x: number, y: number) => image.pixels[(y * image.width + x) * 4 + 3];
      assert.deepStrictEqual([alpha(0, 0), alpha(1023, 0), alpha(0, 1023), alpha(1023, 1023)], [0, 0, 0, 0], 'transparent background');
      assert.strictEqual(alpha(512, 512), 255, 'an opaque card in the middle');
    });
  }
});
