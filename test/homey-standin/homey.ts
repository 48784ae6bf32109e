/**
 * The `this.homey` object: settings, flow, insights, tracked timers, i18n, api, drivers, plus recorded log lines.
 */
import { EventEmitter } from 'events';
import { redact } from '../../lib/errors';
import type { App, Driver } from './classes';
import { jsonClone } from './classes';
import { ManagerDiscovery } from './discovery';
import { ManagerFlow } from './flow';
import { AppManifest, REPO_ROOT } from './manifest';

export interface LogEntry {
  level: 'log' | 'error';
  /** 'App', 'Driver:<id>', 'Device:<name>' or the class name */
  source: string;
  /** The line as Homey would print it, passed through redact(). */
  line: string;
  /** The unredacted line: only for secrets-scan tests that check what the app tried to log. */
  raw: string;
}

export class ManagerSettings extends EventEmitter {
  private readonly values = new Map<string, unknown>();

  getKeys(): string[] {
    return [...this.values.keys()];
  }

  get(key: string): any {
    return jsonClone(this.values.get(key), `setting ${key}`) ?? null;
  }

  set(key: string, value: unknown): void {
    if (typeof key !== 'string' || key === '') throw new Error('homey.settings.set: key must be a non-empty string');
    this.values.set(key, jsonClone(value, `setting ${key}`));
    this.emit('set', key);
  }

  unset(key: string): void {
    this.values.delete(key);
    this.emit('unset', key);
  }
}

export interface InsightsEntry {
  value: number | boolean;
  timestamp: Date;
}

export class InsightsLog {
  readonly id: string;
  readonly options: { title: unknown; type: string; units?: string; decimals?: number; [k: string]: unknown };
  /** Stand-in inspection: entries in creation order. */
  readonly entries: InsightsEntry[] = [];
  private readonly now: () => number;

  constructor(id: string, options: InsightsLog['options'], now: () => number) {
    this.id = id;
    this.options = options;
    this.now = now;
  }

  get name(): string {
    return this.id;
  }

  async createEntry(value: number | boolean): Promise<void> {
    const type = this.options.type;
    const ok = type === 'boolean' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value);
    if (!ok) throw new Error(`Insights log ${this.id} (${type}): invalid value ${JSON.stringify(value) ?? String(value)}`);
    this.entries.push({ value, timestamp: new Date(this.now()) });
  }

  toJSON(): { name: string; options: unknown } {
    return { name: this.id, options: this.options };
  }
}

export class ManagerInsights {
  private readonly logs = new Map<string, InsightsLog>();
  constructor(private readonly now: () => number) {}

  async getLogs(): Promise<InsightsLog[]> {
    return [...this.logs.values()];
  }

  async getLog(id: string): Promise<InsightsLog> {
    const log = this.logs.get(id);
    if (!log) throw new Error(`Insights log not found: ${id}`);
    return log;
  }

  async createLog(id: string, options: InsightsLog['options']): Promise<InsightsLog> {
    if (this.logs.has(id)) throw new Error(`Insights log already exists: ${id}`);
    if (!options || !options.title) throw new Error(`Insights log ${id}: options.title is required`);
    if (options.type !== 'number' && options.type !== 'boolean') {
      throw new Error(`Insights log ${id}: options.type must be "number" or "boolean"`);
    }
    const log = new InsightsLog(id, { ...options }, this.now);
    this.logs.set(id, log);
    return log;
  }

  async deleteLog(log: InsightsLog): Promise<void> {
    if (!this.logs.delete(log?.id)) throw new Error(`Insights log not found: ${log?.id}`);
  }
}

export class ManagerApi extends EventEmitter {
  /** Stand-in inspection: every realtime(event, data) call. */
  readonly realtimeEvents: Array<{ event: string; data: unknown }> = [];
  constructor(private readonly appId: () => string) {
    super();
  }

  realtime(event: string, data: unknown): void {
    this.realtimeEvents.push({ event, data: jsonClone(data, `realtime ${event}`) });
  }

  async getOwnerApiToken(): Promise<string> {
    return 'standin-owner-api-token';
  }

  async getLocalUrl(): Promise<string> {
    return `http://127.0.0.1/api/app/${this.appId()}`;
  }
}

export class ManagerDrivers {
  /** @internal */ readonly __drivers = new Map<string, Driver>();

  getDriver(driverId: string): Driver {
    const d = this.__drivers.get(driverId);
    if (!d) throw new Error(`Driver not found: ${driverId}`);
    return d;
  }

  getDrivers(): Record<string, Driver> {
    return Object.fromEntries(this.__drivers);
  }
}

export interface CreateHomeyOptions {
  /** App folder with .homeycompose, drivers and locales; default the repository root. */
  appRoot?: string;
  /** Language for `__` and i18n.getLanguage(); default 'en'. */
  language?: string;
  /** Reject flow card ids that are not declared in the app (default true). */
  strictFlowCards?: boolean;
  /** env.json stand-in. */
  env?: Record<string, string>;
  /** Time source for insights timestamps and recorded triggers; default Date.now. */
  now?: () => number;
  /** homey.clock.getTimezone(); default 'Europe/Amsterdam'. */
  timezone?: string;
  /** Print recorded (redacted) log lines to stderr as well; default from HOMEY_STANDIN_VERBOSE. */
  verbose?: boolean;
}

type TimerHandle = ReturnType<typeof setTimeout>;

export class StandinHomey extends EventEmitter {
  readonly appManifest: AppManifest;
  readonly manifest: Record<string, any>;
  readonly env: Record<string, string>;
  readonly version = '12.4.5';
  readonly platform: 'local' | 'cloud' = 'local';
  readonly platformVersion = 2;
  readonly dir: string;
  readonly tmpdir = '/tmp';
  app?: App;
  readonly settings = new ManagerSettings();
  readonly insights: ManagerInsights;
  readonly flow: ManagerFlow;
  readonly api: ManagerApi;
  readonly drivers = new ManagerDrivers();
  /** Strategies from `.homeycompose/discovery`; tests feed them with `announceMdns` / `removeResult`. */
  readonly discovery: ManagerDiscovery;
  /** `createNotification` records into `notifications.sent` (the timeline). */
  readonly notifications = {
    sent: [] as string[],
    createNotification: async ({ excerpt }: { excerpt: string }): Promise<void> => {
      if (typeof excerpt !== 'string' || excerpt.trim() === '') throw new Error('createNotification: excerpt must be a non-empty string');
      this.notifications.sent.push(excerpt);
    },
  };

  readonly clock: { getTimezone(): string };
  readonly cloud = {
    getHomeyId: async (): Promise<string> => 'standin-homey-id',
    getLocalAddress: async (): Promise<string> => '127.0.0.1:80',
  };

  readonly i18n: { getLanguage(): string; getUnits(): string; __(key: string | object, tags?: object): string };
  /** Stand-in inspection: every log/error line of the app, its drivers and devices. */
  readonly logs: LogEntry[] = [];
  readonly now: () => number;
  private language: string;
  private readonly verbose: boolean;
  private readonly timers = new Map<TimerHandle, { kind: 'timeout' | 'interval'; ms: number; run: () => unknown }>();

  constructor(opts: CreateHomeyOptions = {}) {
    super();
    this.appManifest = new AppManifest(opts.appRoot ?? REPO_ROOT);
    this.dir = this.appManifest.root;
    this.manifest = this.appManifest.app();
    this.env = { ...(opts.env ?? {}) };
    this.language = opts.language ?? 'en';
    this.now = opts.now ?? Date.now;
    this.verbose = opts.verbose ?? process.env.HOMEY_STANDIN_VERBOSE === '1';
    this.insights = new ManagerInsights(this.now);
    this.flow = new ManagerFlow(this, opts.strictFlowCards ?? true);
    this.api = new ManagerApi(() => String(this.manifest.id ?? 'standin.app'));
    this.discovery = new ManagerDiscovery(this.appManifest, this.now);
    const timezone = opts.timezone ?? 'Europe/Amsterdam';
    this.clock = { getTimezone: () => timezone };
    this.i18n = {
      getLanguage: () => this.language,
      getUnits: () => 'metric',
      __: (key, tags) => this.__(key, tags),
    };
  }

  /** Stand-in helper: switch the language used by `__`. */
  setLanguage(lang: string): void {
    this.language = lang;
  }

  async ready(): Promise<void> {}
  hasPermission(permission: string): boolean {
    const perms = (this.manifest.permissions as string[] | undefined) ?? [];
    return perms.includes(permission);
  }

  /** @internal */
  recordLog(level: 'log' | 'error', source: string, raw: string): void {
    const line = redact(raw);
    this.logs.push({ level, source, line, raw });
    if (this.verbose) console.error(`[${level}] [${source}] ${line}`);
  }

  /** Stand-in helper: all redacted log lines joined, handy for `assert.match`. */
  logText(level?: 'log' | 'error'): string {
    return this.logs.filter((l) => !level || l.level === level).map((l) => l.line).join('\n');
  }

  // --- i18n ---
  __(key: string | object, tags?: object): string {
    let text: string | undefined;
    if (key && typeof key === 'object') {
      const k = key as Record<string, string>;
      text = k[this.language] ?? k.en;
    } else {
      text = this.lookup(this.language, String(key)) ?? this.lookup('en', String(key));
    }
    if (text === undefined) return String(key);
    for (const [name, value] of Object.entries(tags ?? {})) {
      text = text.split(`__${name}__`).join(String(value));
    }
    return text;
  }

  private lookup(lang: string, key: string): string | undefined {
    let node: unknown = this.appManifest.locale(lang);
    for (const part of key.split('.')) {
      if (!node || typeof node !== 'object') return undefined;
      node = (node as Record<string, unknown>)[part];
    }
    return typeof node === 'string' ? node : undefined;
  }

  // --- timers (real timers, tracked) ---
  setTimeout(callback: (...args: any[]) => unknown, ms: number, ...args: unknown[]): TimerHandle {
    if (typeof callback !== 'function') throw new Error('homey.setTimeout: callback must be a function');
    const handle: TimerHandle = setTimeout(() => {
      this.timers.delete(handle);
      callback(...args);
    }, ms);
    this.timers.set(handle, { kind: 'timeout', ms, run: () => callback(...args) });
    return handle;
  }

  setInterval(callback: (...args: any[]) => unknown, ms: number, ...args: unknown[]): TimerHandle {
    if (typeof callback !== 'function') throw new Error('homey.setInterval: callback must be a function');
    const handle = setInterval(callback, ms, ...args);
    this.timers.set(handle, { kind: 'interval', ms, run: () => callback(...args) });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    if (handle === undefined || handle === null) return;
    clearTimeout(handle as TimerHandle);
    this.timers.delete(handle as TimerHandle);
  }

  clearInterval(handle: unknown): void {
    this.clearTimeout(handle);
  }

  /** Stand-in inspection: timeouts not yet fired plus intervals not cleared. */
  activeTimerCount(kind?: 'timeout' | 'interval'): number {
    return [...this.timers.values()].filter((t) => !kind || t.kind === kind).length;
  }

  /**
   * Stand-in helper: run the callback of every active tracked timer now (optionally only one kind), awaiting any
   * promise it returns, instead of waiting for real time. Fired timeouts are removed; intervals stay. Callbacks
   * scheduled while firing are not run. Resolves with the number of callbacks run.
   */
  async fireTimers(kind?: 'timeout' | 'interval'): Promise<number> {
    const due = [...this.timers.entries()].filter(([, t]) => !kind || t.kind === kind);
    for (const [handle, t] of due) {
      if (!this.timers.has(handle)) continue; // cleared by an earlier callback
      if (t.kind === 'timeout') this.clearTimeout(handle);
      await t.run();
    }
    return due.length;
  }

  /** Stand-in helper: clear every tracked timer (teardown does this). */
  clearAllTimers(): void {
    for (const t of this.timers.keys()) clearTimeout(t);
    this.timers.clear();
  }

  destroy(): void {
    this.clearAllTimers();
  }
}
