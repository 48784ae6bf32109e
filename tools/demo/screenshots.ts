/**
 * Screenshots of the demo report for the README, in headless Chromium at a desktop's and a phone's width:
 *
 *   npx tsx tools/demo/screenshots.ts            runs the whole demo, writes out/demo-report.html and
 *                                                docs/screenshots/demo-report-{desktop,phone}.png
 *   npx tsx tools/demo/screenshots.ts --report out/demo-report.html --out DIR   an existing report
 *
 * Chromium: /usr/bin/chromium (Debian package "chromium") or CHROMIUM_PATH; driven by playwright-core.
 */
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';
import { describeError } from '../../lib/errors';
import { parseFlags } from '../cli/args';
import { runDemo } from './demo';
import { renderDemoReport } from './report';

const ROOT = path.resolve(__dirname, '..', '..');

/** The two widths the report is made for (CSS px); a phone at device scale 1 so the file stays small. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

export type ViewportName = keyof typeof VIEWPORTS;

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the Debian package puts Chromium, or CHROMIUM_PATH; null when there is none. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Full-page screenshots of a report file at each width; returns the files written. */
export async function screenshotReport(browser: Browser, reportFile: string, outDir: string): Promise<Record<ViewportName, string>> {
  fs.mkdirSync(outDir, { recursive: true });
  const files = {} as Record<ViewportName, string>;
  for (const name of Object.keys(VIEWPORTS) as ViewportName[]) {
    const page = await browser.newPage({ viewport: VIEWPORTS[name], deviceScaleFactor: 1 });
    try {
      await page.goto(`file://${path.resolve(reportFile)}`);
      files[name] = path.join(outDir, `demo-report-${name}.png`);
      await page.screenshot({ path: files[name], fullPage: true });
    } finally {
      await page.close();
    }
  }
  return files;
}

async function main(argv: string[]): Promise<number> {
  const { flags } = parseFlags(argv, { report: 'string', out: 'string' });
  const executablePath = chromiumPath();
  if (!executablePath) {
    console.error('error: Chromium not found at /usr/bin/chromium (or CHROMIUM_PATH): install the Debian package "chromium"');
    return 1;
  }
  let reportFile = flags.report as string | undefined;
  if (!reportFile) {
    console.log('running the demo (the whole trace)…');
    const result = await runDemo();
    reportFile = path.join(ROOT, 'out', 'demo-report.html');
    fs.mkdirSync(path.dirname(reportFile), { recursive: true });
    fs.writeFileSync(reportFile, renderDemoReport(result));
  }
  const browser = await launchChromium(executablePath);
  try {
    const files = await screenshotReport(browser, reportFile, (flags.out as string | undefined) ?? path.join(ROOT, 'docs', 'screenshots'));
    for (const f of Object.values(files)) console.log(`wrote ${path.relative(process.cwd(), f)}`);
  } finally {
    await browser.close();
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`error: ${describeError(err)}`);
      process.exit(1);
    },
  );
}
