/**
 * Renders the PNG images Homey needs from the SVG sources in the repo, so they can be regenerated:
 *   npm run images
 * App images (assets/images/source.svg): small 250×175, large 500×350, xlarge 1000×700.
 * Driver images (drivers/<id>/assets/image.svg): small 75×75, large 500×500, xlarge 1000×1000, on white.
 *
 * Deterministic: the same SVG gives the same PNG bytes on every machine. resvg writes no time stamp
 * or other metadata; what differed between machines was text drawn with whatever fonts the system
 * had. So no system font is loaded and an SVG with <text> is refused: outline text to paths (the app
 * image's L1/L2/L3 are outlined DejaVu Sans).
 */
import fs from 'fs';
import path from 'path';
import { Resvg } from '@resvg/resvg-js';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface ImageJob {
  svgFile: string;
  pngFile: string;
  width: number;
  height: number;
  background?: string;
}

/** Every PNG the app ships, with its SVG source and size. */
export function imageJobs(root = ROOT): ImageJob[] {
  const jobs: ImageJob[] = [];
  const appSizes: [string, number, number][] = [['small', 250, 175], ['large', 500, 350], ['xlarge', 1000, 700]];
  for (const [name, width, height] of appSizes) {
    jobs.push({ svgFile: path.join(root, 'assets/images/source.svg'), pngFile: path.join(root, `assets/images/${name}.png`), width, height });
  }
  const driverSizes: [string, number][] = [['small', 75], ['large', 500], ['xlarge', 1000]];
  const driversDir = path.join(root, 'drivers');
  for (const id of fs.existsSync(driversDir) ? fs.readdirSync(driversDir).sort() : []) {
    const svgFile = path.join(driversDir, id, 'assets', 'image.svg');
    if (!fs.existsSync(svgFile)) continue;
    for (const [name, size] of driverSizes) {
      jobs.push({ svgFile, pngFile: path.join(driversDir, id, 'assets', 'images', `${name}.png`), width: size, height: size, background: 'white' });
    }
  }
  return jobs;
}

/** The PNG bytes of one job; throws on text (fonts differ per machine) or a wrong aspect ratio. */
export function renderPng(job: ImageJob): Buffer {
  const svg = fs.readFileSync(job.svgFile, 'utf8');
  const where = path.relative(ROOT, job.svgFile);
  if (/<text[\s>]/.test(svg)) {
    throw new Error(`${where}: has <text>, which renders with whatever fonts a machine has; outline it to paths so the PNG is the same everywhere`);
  }
  const resvg = new Resvg(svg, { fitTo: { mode: 'width', value: job.width }, background: job.background, font: { loadSystemFonts: false } });
  const rendered = resvg.render();
  if (rendered.width !== job.width || rendered.height !== job.height) {
    throw new Error(`${where}: renders as ${rendered.width}×${rendered.height}, expected ${job.width}×${job.height} (fix the SVG viewBox aspect ratio)`);
  }
  return rendered.asPng();
}

export function main(): void {
  for (const job of imageJobs()) {
    fs.mkdirSync(path.dirname(job.pngFile), { recursive: true });
    fs.writeFileSync(job.pngFile, renderPng(job));
    console.log(`wrote ${path.relative(ROOT, job.pngFile)} (${job.width}×${job.height})`);
  }
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  }
}
