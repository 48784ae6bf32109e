/**
 * Serves the real settings page (settings/) on a loopback HTTP server together with a stand-in
 * `/homey.js`. The stand-in's Homey.api() calls come back here and go through the real api.ts
 * handlers, routed by the declarations in .homeycompose/app.json, into an in-memory app whose
 * saveSettings runs the real validateAppSettings.
 */
import assert from 'assert';
import fs from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import api from '../../api';
import type { CapacityStatus } from '../../lib/capacity/types';
import type { PlanView } from '../../lib/app/plan';
import { defaultAppSettings, type AppSettings } from '../../lib/settings';
import { validateAppSettings } from '../../lib/settingsValidation';
import type { HomeWizardDiscoveryView, LiveView, MeterCandidate, SaveResult, SettingsView } from '../../lib/webapi';

const ROOT = path.join(__dirname, '..', '..');
const SETTINGS_DIR = path.join(ROOT, 'settings');
const STANDIN_DIR = path.join(__dirname, 'standin');

export const CHARGERS: SettingsView['chargers'] = [
  { id: 'goe-garage', name: 'Garage go-e', brand: 'goe', hardwareMaxA: 16 },
  { id: 'ca-drive', name: 'Driveway Halo', brand: 'chargeamps', hardwareMaxA: 32 },
];

export const METERS: MeterCandidate[] = [
  {
    id: 'p1-hw', name: 'P1 meter', app: 'HomeWizard',
    phaseCapabilities: ['measure_current.l1', 'measure_current.l2', 'measure_current.l3'], basis: 'current', lastValuesA: [4.2, 7.9, 1.3],
  },
  {
    id: 'pulse', name: 'Pulse', app: 'Tibber',
    phaseCapabilities: ['measure_power.L1', 'measure_power.L2', null], basis: 'power', lastValuesA: [3.1, 2.4, null],
  },
];

/** What GET /homewizard answers with three grid meters found: P1 with the local API on, one with it off, a kWh meter. */
export const HOMEWIZARD_FOUND: HomeWizardDiscoveryView = {
  meters: [
    { id: '3c39e7aabbcc', serial: '3c39e7aabbcc', name: 'P1 Meter (aabbcc)', host: '192.168.1.20', productType: 'HWE-P1', apiEnabled: true, isP1: true, gridMeter: true },
    { id: '3c39e7ddeeff', serial: '3c39e7ddeeff', name: 'P1 Meter (ddeeff)', host: '192.168.1.21', productType: 'HWE-P1', apiEnabled: false, isP1: true, gridMeter: true },
    { id: '5c2faf001122', serial: '5c2faf001122', name: 'kWh meter (3-phase) (001122)', host: '192.168.1.22', productType: 'HWE-KWH3', apiEnabled: true, isP1: false, gridMeter: true },
  ],
  otherDevices: 2,
  error: null,
};

/** The in-memory stand-in for the app's `webApi` (lib/app/webApi.ts) behind api.ts. */
export class FakeApp {
  settings: AppSettings;
  saveCalls = 0;
  live: LiveView;
  /** GET /homewizard; nothing found unless a test sets it. */
  homeWizard: HomeWizardDiscoveryView = { meters: [], otherDevices: 0, error: null };

  constructor(settings: AppSettings = FakeApp.initialSettings()) {
    this.settings = settings;
    this.live = {
      timeMs: 0, balancing: true, fuseA: settings.fuseA, marginA: settings.marginA,
      meter: { source: settings.meter.source, stale: false, lastSampleAgeS: null, error: null },
      measuredA: [null, null, null], headroomA: [null, null, null], fuse: { stress: 0, quick: true, quickOn: true }, chargers: [], events: [],
    };
  }

  static initialSettings(): AppSettings {
    return { ...defaultAppSettings(), chargers: { 'goe-garage': { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 } } };
  }

  getSettingsView(): SettingsView {
    return { settings: JSON.parse(JSON.stringify(this.settings)), chargers: CHARGERS };
  }

  async saveSettings(body: unknown): Promise<SaveResult> {
    this.saveCalls++;
    const r = validateAppSettings(body, CHARGERS.map((c) => c.id));
    if (!r.ok) return { ok: false, errors: r.errors };
    this.settings = r.value;
    return { ok: true };
  }

  async listMeters(): Promise<MeterCandidate[]> {
    return METERS;
  }

  listHomeWizardMeters(): HomeWizardDiscoveryView {
    return this.homeWizard;
  }

  getLiveView(): LiveView {
    return this.live;
  }

  /** GET /capacity: the capacity guard's status; none unless a test sets it (the section then shows no status). */
  capacity: CapacityStatus | null = null;

  getCapacityStatus(): CapacityStatus | null {
    return this.capacity;
  }

  /** GET /plan (settings/plan.js): no prices and no plans unless a test sets it. */
  plan: PlanView = { timeMs: 0, timeZone: 'Europe/Stockholm', prices: [], pricesFrom: null, chargers: [] };

  getPlanView(): PlanView {
    return this.plan;
  }
}

type Handler = (req: { homey: { app: unknown }; query: Record<string, string>; params: Record<string, string>; body: unknown }) => Promise<unknown>;

export interface SettingsServer {
  url: string;
  app: FakeApp;
  /** Language of the locale file `Homey.__` reads (en, nl, sv, de, no, da). */
  lang: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Answers a request: status, content type and body (never cached). */
export type Send = (status: number, type: string, body: string | Buffer) => void;

/** The routes of a Homey manifest's `api` (app.json, widget.compose.json). */
export type ApiRoutes = Record<string, { method: string; path: string }>;

/** An HTTP server on a free loopback port whose requests `handle` answers; `url` ends in a slash. */
export async function startLoopbackServer(handle: (req: http.IncomingMessage, url: URL, send: Send) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handle(req, new URL(req.url ?? '/', 'http://127.0.0.1'), (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Answers a request to /__api/<path> the way Homey routes it: by the route of `routes` with its method and path
 * (404 naming `manifestName` when there is none), with what `call(handler name, route path, JSON body)` resolves
 * to as JSON, or a 500 with the error's message. False for any other path.
 */
export function serveApi(
  req: http.IncomingMessage, url: URL, send: Send, routes: ApiRoutes, manifestName: string,
  call: (name: string, routePath: string, body: unknown) => Promise<unknown>,
): boolean {
  if (!url.pathname.startsWith('/__api/')) return false;
  const routePath = url.pathname.slice('/__api'.length);
  const route = Object.entries(routes).find(([, r]) => r.method === req.method && r.path === routePath);
  if (!route) {
    send(404, 'application/json', JSON.stringify({ error: `No route ${req.method} ${routePath} in ${manifestName}` }));
    return true;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    Promise.resolve()
      .then(() => call(route[0], routePath, text ? JSON.parse(text) : undefined))
      .then((result) => send(200, 'application/json', JSON.stringify(result ?? null)))
      .catch((err: Error) => send(500, 'application/json', JSON.stringify({ error: err.message })));
  });
  return true;
}

/** The file a request path names inside `dir` (index.html for "/"), or null when it is outside or missing. */
export function fileIn(dir: string, pathname: string): string | null {
  const file = path.normalize(path.join(dir, pathname === '/' ? 'index.html' : pathname));
  return file.startsWith(dir + path.sep) && fs.existsSync(file) ? file : null;
}

/** Sends `file` with the content type of its extension, or a 404 when there is none. */
export function sendFile(send: Send, file: string | null): void {
  if (!file) return send(404, 'text/plain', 'not found');
  return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.readFileSync(file));
}

export async function startSettingsServer(): Promise<SettingsServer> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, '.homeycompose', 'app.json'), 'utf8')) as { api: ApiRoutes };
  const handlers = api as unknown as Record<string, Handler>;
  const state: SettingsServer = { url: '', app: new FakeApp(), lang: 'en', close: async () => undefined };

  const server = await startLoopbackServer((req, url, send) => {
    const call = (name: string, _routePath: string, body: unknown) =>
      handlers[name]({ homey: { app: { webApi: state.app } }, query: Object.fromEntries(url.searchParams), params: {}, body });
    if (serveApi(req, url, send, manifest.api, '.homeycompose/app.json', call)) return undefined;
    if (url.pathname === '/homey.js') {
      const locale = fs.readFileSync(path.join(ROOT, 'locales', `${state.lang}.json`), 'utf8');
      return send(200, TYPES['.js'], `window.__HOMEY_LOCALE__ = ${locale};\n${fs.readFileSync(path.join(STANDIN_DIR, 'homey.js'), 'utf8')}`);
    }
    if (url.pathname === '/homey-standin.css') return send(200, TYPES['.css'], fs.readFileSync(path.join(STANDIN_DIR, 'homey-standin.css')));
    return sendFile(send, fileIn(SETTINGS_DIR, url.pathname));
  });
  state.url = server.url;
  state.close = server.close;
  return state;
}

/** Where the Debian package puts Chromium, or CHROMIUM_PATH. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/** The Chromium the browser tests drive; skips the calling suite (`this` of a mocha `before`) when there is none,
 *  except under CI, where a missing Chromium fails. */
export async function launchChromium(suite: Mocha.Context): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    if (process.env.CI) {
      throw new Error('Chromium not found at /usr/bin/chromium (or CHROMIUM_PATH): install the Debian package "chromium" (apt-get install -y chromium); CI requires this test');
    }
    console.warn('    (skipped: Chromium not found; install the Debian package "chromium" to run the settings-page browser test)');
    suite.skip();
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: executablePath!,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The browser locale per app language: its number format and clock are what a user of that language sees. */
export const BROWSER_LOCALE: Record<string, string> = { en: 'en-GB', nl: 'nl-NL', sv: 'sv-SE', de: 'de-DE', no: 'nb-NO', da: 'da-DK' };

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1024, height: 768 };

export interface OpenedPage {
  page: Page;
  /** Errors the page logged and requests it tried to send anywhere but the loopback server. */
  errors: string[];
}

/**
 * Loads `url` in a new page in the browser locale of `lang`, at Stockholm time, without animations, that may load
 * nothing but from the loopback server; resolves once the page called Homey.ready().
 */
export async function openLoopbackPage(
  browser: Browser, url: string,
  opts: { lang: string; viewport: { width: number; height: number }; deviceScaleFactor: number; colorScheme?: 'light' | 'dark' },
): Promise<OpenedPage> {
  const page = await browser.newPage({
    viewport: opts.viewport, deviceScaleFactor: opts.deviceScaleFactor, locale: BROWSER_LOCALE[opts.lang] ?? 'en-GB',
    timezoneId: 'Europe/Stockholm', reducedMotion: 'reduce', ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  // Nothing may leave the loopback server: the page must load no external resources.
  await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    errors.push(`external request: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { __homey?: { ready: boolean } }).__homey?.ready === true);
  return { page, errors };
}

/**
 * Serves `app` in `lang` and loads the settings page in a new page of `viewport` (a phone unless told; 2 device
 * pixels per CSS pixel unless told), at Stockholm time, without animations; resolves once the page called Homey.ready().
 */
export async function openSettingsPage(
  browser: Browser, server: SettingsServer,
  opts: { lang?: string; app?: FakeApp; viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {},
): Promise<OpenedPage> {
  const lang = opts.lang ?? 'en';
  server.app = opts.app ?? new FakeApp();
  server.lang = lang;
  return openLoopbackPage(browser, server.url, { lang, viewport: opts.viewport ?? PHONE, deviceScaleFactor: opts.deviceScaleFactor ?? 2 });
}

export interface BrowserRig<S> {
  readonly browser: Browser;
  readonly server: S;
  /** Keeps `opened` as the test's page: closed after the test, which fails if the page logged errors. */
  keep<P extends OpenedPage>(opened: P): P;
}

/**
 * For the mocha suite it is called in: Chromium (launchChromium: skipped without it) and the server `start` starts,
 * both closed after the suite, and after each test the page it kept.
 */
export function useBrowser<S extends { close(): Promise<void> }>(start: () => Promise<S>): BrowserRig<S> {
  let browser: Browser | undefined;
  let server: S | undefined;
  let kept: OpenedPage | null = null;
  before(async function () {
    browser = await launchChromium(this);
    server = await start();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    const opened = kept;
    kept = null;
    if (!opened) return;
    await opened.page.close();
    assert.deepStrictEqual(opened.errors, [], 'the page logged errors');
  });
  return {
    get browser() { return browser!; },
    get server() { return server!; },
    keep(opened) {
      kept = opened;
      return opened;
    },
  };
}
