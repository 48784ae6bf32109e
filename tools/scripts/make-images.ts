/**
 * Renders the PNG images Homey needs from the SVG sources in the repo, so they can be regenerated:
 *   npm run images
 * App images (assets/images/source.svg): small 250×175, large 500×350, xlarge 1000×700.
 * Driver images (drivers/<id>/assets/image.svg): small 75×75, large 500×500, xlarge 1000×1000, on white.
 */
import fs from 'fs';
import path from 'path';
import { Resvg } from '@resvg/resvg-js';

const root = path.resolve(__dirname, '..', '..');

function render(svgFile: string, outFile: string, width: number, height: number, background?: string): void {
  const svg = fs.readFileSync(svgFile, 'utf8');
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: width }, background, font: { loadSystemFonts: true } });
  const rendered = resvg.render();
  if (rendered.width !== width || rendered.height !== height) {
    throw new Error(`${path.relative(root, svgFile)}: renders as ${rendered.width}×${rendered.height}, expected ${width}×${height} (fix the SVG viewBox aspect ratio)`);
  }
  fs.writeFileSync(outFile, rendered.asPng());
  console.log(`wrote ${path.relative(root, outFile)} (${width}×${height})`);
}

const appSizes: [string, number, number][] = [['small', 250, 175], ['large', 500, 350], ['xlarge', 1000, 700]];
for (const [name, w, h] of appSizes) {
  render(path.join(root, 'assets/images/source.svg'), path.join(root, `assets/images/${name}.png`), w, h);
}

const driverSizes: [string, number][] = [['small', 75], ['large', 500], ['xlarge', 1000]];
const driversDir = path.join(root, 'drivers');
for (const id of fs.existsSync(driversDir) ? fs.readdirSync(driversDir).sort() : []) {
  const src = path.join(driversDir, id, 'assets', 'image.svg');
  if (!fs.existsSync(src)) continue;
  fs.mkdirSync(path.join(driversDir, id, 'assets', 'images'), { recursive: true });
  for (const [name, size] of driverSizes) {
    render(src, path.join(driversDir, id, 'assets', 'images', `${name}.png`), size, size, 'white');
  }
}
