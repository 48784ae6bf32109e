import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { imageJobs, renderPng } from '../../../tools/scripts/make-images';

describe('tools/scripts/make-images (npm run images)', () => {
  const jobs = imageJobs();

  it('covers the app image and every driver image in three sizes', () => {
    assert.strictEqual(jobs.filter((j) => j.svgFile.endsWith(path.join('assets', 'images', 'source.svg'))).length, 3);
    for (const id of ['goe', 'chargeamps']) assert.strictEqual(jobs.filter((j) => j.svgFile.includes(path.join('drivers', id))).length, 3, id);
  });

  it('renders the same SVG to the same PNG bytes, and the committed PNGs are exactly what it renders', () => {
    for (const job of jobs) {
      const a = renderPng(job);
      const b = renderPng(job);
      assert.ok(a.equals(b), `${job.pngFile}: two renderings differ`);
      assert.ok(a.equals(fs.readFileSync(job.pngFile)), `${path.relative(process.cwd(), job.pngFile)} is not what npm run images renders (run it and commit the result)`);
    }
  });

  it('refuses an SVG with text (it would render with whatever fonts the machine has)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'images-'));
    const svgFile = path.join(dir, 'x.svg');
    fs.writeFileSync(svgFile, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="10" height="10"><text x="1" y="9">L1</text></svg>');
    assert.throws(() => renderPng({ svgFile, pngFile: path.join(dir, 'x.png'), width: 10, height: 10 }), /has <text>.*outline it to paths/);
    for (const job of jobs) assert.doesNotMatch(fs.readFileSync(job.svgFile, 'utf8'), /<text[\s>]/, job.svgFile);
  });
});
