/**
 * Serves the real dashboard widget (widgets/phases/public/) on a loopback HTTP server the way Homey shows it: the
 * page with a stand-in Homey object and widget style injected (widget-standin/), and the widget's Homey.api() calls
 * routed by the declarations in widgets/phases/widget.compose.json to the widget's real api.js, which calls the real
 * api.ts handlers of an in-memory app (harness.ts FakeApp). The page's frame is as wide as a widget on a phone.
 */
import fs from 'fs';
import path from 'path';
import type { Browser } from 'playwright-core';
import { FakeApp, fileIn, openLoopbackPage, sendFile, serveApi, startLoopbackServer, type ApiRoutes, type OpenedPage } from './harness';

const ROOT = path.join(__dirname, '..', '..');
export const WIDGET_DIR = path.join(ROOT, 'widgets', 'phases');
const PUBLIC_DIR = path.join(WIDGET_DIR, 'public');
const STANDIN_DIR = path.join(__dirname, 'widget-standin');

/** A widget on a 390 px phone dashboard: the screen less the dashboard's 16 px margins. */
export const WIDGET_PHONE_WIDTH = 358;

type Handler = (req: { homey: unknown; query: Record<string, string>; params: Record<string, string>; body: unknown }) => Promise<unknown>;

export interface WidgetServer {
  url: string;
  app: FakeApp;
  /** What homey.i18n.getLanguage() says (the widget picks its strings by it). */
  lang: string;
  /** Every request the widget's api.js answered: `GET /live`. */
  apiCalls: string[];
  close(): Promise<void>;
}

/** The widget's API handlers (its api.js, plain CommonJS as Homey loads it). */
export function widgetApi(): Record<string, Handler> {
  return require(path.join(WIDGET_DIR, 'api.js')) as Record<string, Handler>;
}

/** The homey a handler of the widget's api.js receives, around the in-memory app. */
export function widgetHomey(app: FakeApp | null, lang: string): unknown {
  return { app: app ? { webApi: app } : {}, i18n: { getLanguage: () => lang } };
}

export async function startWidgetServer(): Promise<WidgetServer> {
  const manifest = JSON.parse(fs.readFileSync(path.join(WIDGET_DIR, 'widget.compose.json'), 'utf8')) as { api: ApiRoutes };
  const handlers = widgetApi();
  const state: WidgetServer = { url: '', app: new FakeApp(), lang: 'en', apiCalls: [], close: async () => undefined };

  const server = await startLoopbackServer((req, url, send) => {
    const call = (name: string, routePath: string) => {
      state.apiCalls.push(`${req.method} ${routePath}`);
      return handlers[name]({ homey: widgetHomey(state.app, state.lang), query: Object.fromEntries(url.searchParams), params: {}, body: {} });
    };
    if (serveApi(req, url, send, manifest.api, 'widget.compose.json', call)) return undefined;
    if (url.pathname.startsWith('/__standin/')) {
      const file = path.join(STANDIN_DIR, path.basename(url.pathname));
      return sendFile(send, fs.existsSync(file) ? file : null);
    }
    const file = fileIn(PUBLIC_DIR, url.pathname);
    if (file && path.basename(file) === 'index.html') {
      // Homey injects its Homey object and widget style into the widget's page; so does the stand-in.
      const dark = url.searchParams.get('dark') === '1';
      const inject = `<link rel="stylesheet" href="/__standin/homey-widget.css">\n<script>window.__HOMEY_DARK__ = ${dark};</script>\n<script src="/__standin/homey.js"></script>\n`;
      return send(200, 'text/html; charset=utf-8', fs.readFileSync(file, 'utf8').replace('</head>', `${inject}</head>`));
    }
    return sendFile(send, file);
  });
  state.url = server.url;
  state.close = server.close;
  return state;
}

export interface OpenedWidget extends OpenedPage {
  /** The height the widget asked for in Homey.ready({ height }). */
  readyHeight: number;
}

/**
 * Serves `app` with Homey in `lang` and loads the widget in a frame `width` wide (a phone's unless told; 2 device
 * pixels per CSS pixel unless told), light or dark, at Stockholm time, without animations; resolves once the widget
 * called Homey.ready(), with the frame then as high as the widget asked for.
 */
export async function openWidget(
  browser: Browser, server: WidgetServer,
  opts: { lang?: string; app?: FakeApp; width?: number; dark?: boolean; deviceScaleFactor?: number } = {},
): Promise<OpenedWidget> {
  const lang = opts.lang ?? 'en';
  server.app = opts.app ?? new FakeApp();
  server.lang = lang;
  server.apiCalls = [];
  const width = opts.width ?? WIDGET_PHONE_WIDTH;
  const { page, errors } = await openLoopbackPage(browser, `${server.url}${opts.dark ? '?dark=1' : ''}`, {
    lang, viewport: { width, height: 200 }, deviceScaleFactor: opts.deviceScaleFactor ?? 2, colorScheme: opts.dark ? 'dark' : 'light',
  });
  const readyHeight = await page.evaluate(() => (globalThis as unknown as { __homey: { readyHeight: number } }).__homey.readyHeight);
  // Homey sizes the widget's frame to what it asked for.
  await page.setViewportSize({ width, height: Math.max(1, Math.round(readyHeight)) });
  return { page, errors, readyHeight };
}
