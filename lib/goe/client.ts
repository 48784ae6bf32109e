/**
 * go-e charger client: local HTTP API v2 (`/api/status`, `/api/set`), local API v1 (`/status`,
 * `/mqtt?payload=`), cloud v2 (`https://<serial>.api.v3.go-e.io`) and cloud v1 (`api.go-e.co`).
 *
 * - `api: 'auto'` tries v2 and falls back to v1; the answer is remembered and probed again after a
 *   connection or protocol failure.
 * - Requests go one at a time, at least `minGapMs` apart on the injected (monotonic) clock, each
 *   with a timeout.
 * - Commands are validated before any request; every command is then one write, tried once, even
 *   when the charger already reports that value (what to repeat or retry is the actuator's call).
 * - A write succeeds only on an answer that confirms it: v2 `/api/set` must answer a JSON object
 *   with `true` for the key (the cloud may answer 202 without it); a 2xx answer that is not JSON,
 *   such as an HTML page, is a 'protocol' PeerError. v1 must answer a status showing the new value.
 * - `ama` (the installer's absolute maximum) is never written.
 */
import { ChargerApi } from '../charger';
import { Clock, SystemClock } from '../clock';
import { PeerError, UserInputError, quoteInput, registerSecret } from '../errors';
import { type HostUse, hostBaseUrl } from '../host';
import { DEFAULT_TIMEOUT_MS, HttpResponse, HttpTransport, nodeFetchTransport, safeUrl } from '../http';
import { GoeDialect, GoePhaseMode, GoeRawStatus, GoeSnapshot, V2_STATUS_KEYS, looksLikeGoe, parseStatus } from './status';

export type GoeLocalApi = 'auto' | 'v1' | 'v2';

export type GoeConnection =
  | { kind: 'local'; host: string; api?: GoeLocalApi }
  | { kind: 'cloud'; serial: string; token: string; api?: 'v1' | 'v2'; baseUrl?: string };

export interface GoeClientOptions {
  transport?: HttpTransport;
  clock?: Clock;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /** Minimum time between two requests (default 200 ms local, 1000 ms cloud). */
  minGapMs?: number;
  /** Highest current the installation allows (A); every current write is checked against it. */
  installationMaxA?: number;
}

export interface PvData {
  /** Grid power (W): positive = import, negative = feed-in. */
  gridW: number;
  pvW?: number;
  /** Battery power (W): negative = battery charging. */
  batteryW?: number;
}

export const GOE_MIN_CURRENT_A = 6;
export const GOE_MAX_CURRENT_A = 32;

/** How a go-e address is named in messages. */
export const GOE_HOST_USE: HostUse = { field: 'host', device: 'go-e charger' };

/**
 * The base URL ("http://host[:port]") of a go-e address: a host name, IPv4 or IPv6 address (bare or
 * in brackets) with an optional port, as lib/host.ts accepts it — and, as older versions stored it,
 * with "http://" or "https://" in front and "/" or "/api" behind ("http://go-echarger/api/" →
 * "http://go-echarger", "fd00::20" → "http://[fd00::20]").
 */
export function normaliseHost(input: string, use: HostUse = GOE_HOST_USE): string {
  const trimmed = String(input ?? '').trim();
  if (!trimmed) throw new UserInputError(use.field, 'is empty; enter the IP address or host name of the charger, e.g. 192.168.1.20');
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(trimmed);
  const scheme = withScheme ? withScheme[1].toLowerCase() : 'http';
  if (scheme !== 'http' && scheme !== 'https') throw new UserInputError(use.field, `${quoteInput(trimmed)}: only http:// and https:// are supported`);
  const address = (withScheme ? withScheme[2] : trimmed).replace(/\/+(api\/*)?$/i, '');
  if (address.includes('@')) throw new UserInputError(use.field, 'must not contain a user name or password');
  return hostBaseUrl(address, scheme, use);
}

/** go-e serials are six digits with leading zeros. */
export function normaliseSerial(serial: string): string {
  const s = (serial ?? '').trim();
  if (!/^\d{1,12}$/.test(s)) throw new UserInputError('serial', `"${s}" is not a go-e serial number (digits only, e.g. 012345)`);
  return s.padStart(6, '0');
}

export class GoeClient {
  readonly connection: GoeConnection;
  private readonly transport: HttpTransport;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly minGapMs: number;
  private readonly base: string;
  private installationMaxA: number;
  private detected: GoeDialect | undefined;
  private last: GoeSnapshot | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastRequestMs = -Infinity;

  constructor(connection: GoeConnection, options: GoeClientOptions = {}) {
    this.transport = options.transport ?? nodeFetchTransport;
    this.clock = options.clock ?? new SystemClock();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.installationMaxA = GOE_MAX_CURRENT_A;
    if (options.installationMaxA !== undefined) this.setInstallationMax(options.installationMaxA);
    if (connection.kind === 'local') {
      this.base = normaliseHost(connection.host);
      this.connection = { ...connection, api: connection.api ?? 'auto' };
      if (!['auto', 'v1', 'v2'].includes(this.connection.api as string)) {
        throw new UserInputError('api', `"${connection.api}" is not one of auto, v1, v2`);
      }
      this.detected = connection.api === 'v1' || connection.api === 'v2' ? connection.api : undefined;
      this.minGapMs = options.minGapMs ?? 200;
    } else {
      const token = (connection.token ?? '').trim();
      if (!token) throw new UserInputError('cloud token (API key)', 'is empty; copy the API token from the go-e app (Internet → Advanced settings)');
      registerSecret(token);
      const serial = normaliseSerial(connection.serial);
      const api = connection.api ?? 'v2';
      this.connection = { ...connection, serial, token, api };
      const defaultBase = api === 'v2' ? `https://${serial}.api.v3.go-e.io` : 'https://api.go-e.co';
      this.base = connection.baseUrl ? normaliseHost(connection.baseUrl) : defaultBase;
      this.detected = api;
      this.minGapMs = options.minGapMs ?? 1000;
    }
  }

  get isCloud(): boolean {
    return this.connection.kind === 'cloud';
  }

  /** The API in use, once known. */
  get api(): ChargerApi | null {
    if (!this.detected) return null;
    return this.isCloud ? (`cloud-${this.detected}` as ChargerApi) : this.detected;
  }

  /** The last status read or written, if any. */
  get lastSnapshot(): GoeSnapshot | undefined {
    return this.last;
  }

  /** Where the client talks to, without any secret. */
  get where(): string {
    return safeUrl(this.base).replace(/\/$/, ''); // messages append the path
  }

  setInstallationMax(currentA: number): void {
    if (!Number.isFinite(currentA) || currentA < GOE_MIN_CURRENT_A || currentA > GOE_MAX_CURRENT_A) {
      throw new UserInputError('installation maximum', `expected ${GOE_MIN_CURRENT_A}–${GOE_MAX_CURRENT_A} A, got ${currentA}`);
    }
    this.installationMaxA = Math.floor(currentA);
  }

  /** Highest current a write may ask for now: 32 A, the charger's `ama`, the cable and the installation. */
  maxCurrentA(snapshot = this.last): number {
    const caps = [GOE_MAX_CURRENT_A, this.installationMaxA];
    if (snapshot?.detail.absoluteMaxA) caps.push(snapshot.detail.absoluteMaxA);
    if (snapshot?.detail.cableEncodingA) caps.push(snapshot.detail.cableEncodingA);
    return Math.max(GOE_MIN_CURRENT_A, Math.min(...caps));
  }

  async getSnapshot(): Promise<GoeSnapshot> {
    return this.guard(async () => {
      if (this.connection.kind === 'cloud') return this.remember(await this.readCloud(), this.detected as GoeDialect);
      if (this.detected === 'v1') return this.remember(await this.readLocalV1(), 'v1');
      if (this.detected === 'v2') return this.remember((await this.readLocalV2(true)) as GoeRawStatus, 'v2');
      // Auto: try v2, fall back to the legacy v1 API.
      const v2 = await this.readLocalV2(false);
      if (v2) {
        this.detected = 'v2';
        return this.remember(v2, 'v2');
      }
      const v1 = await this.readLocalV1().catch((err: unknown) => {
        if (err instanceof PeerError && (err.kind === 'http' || err.kind === 'protocol')) {
          throw new PeerError(
            'protocol',
            `${this.where} does not answer like a go-e charger (tried /api/status and /status); check the address and enable the HTTP API (v2) or the legacy API (v1) in the go-e app`,
          );
        }
        throw err;
      });
      this.detected = 'v1';
      return this.remember(v1, 'v1');
    });
  }

  /** Set the current offered per phase (whole amps, 6–32 and within `ama`, the cable and the installation). */
  async setCurrentLimit(currentA: number): Promise<void> {
    if (typeof currentA !== 'number' || !Number.isFinite(currentA)) {
      throw new UserInputError('current', `expected a number of amps, got ${String(currentA)}`);
    }
    const amps = Math.floor(currentA);
    if (amps < GOE_MIN_CURRENT_A || amps > GOE_MAX_CURRENT_A) {
      throw new UserInputError('current', `${currentA} A is outside ${GOE_MIN_CURRENT_A}–${GOE_MAX_CURRENT_A} A; use pause to stop charging`);
    }
    if (amps > this.installationMaxA) {
      throw new UserInputError('current', `${amps} A is above the installation maximum of ${this.installationMaxA} A (device setting)`);
    }
    const snap = await this.knownSnapshot();
    const max = this.maxCurrentA(snap);
    if (amps > max) {
      const why = snap.detail.cableEncodingA === max ? 'the cable' : 'the charger maximum (ama)';
      throw new UserInputError('current', `${amps} A is above ${max} A allowed by ${why}`);
    }
    const key = snap.detail.hasAmx && this.dialect === 'v1' ? 'amx' : 'amp';
    await this.writeKey(key, amps);
  }

  /** Stop offering current without ending the session (v1 `alw=0`, v2 `frc=1`). */
  async pause(): Promise<void> {
    await this.knownSnapshot();
    if (this.dialect === 'v1') await this.writeKey('alw', 0);
    else await this.writeKey('frc', 1);
  }

  /** Let the charger offer current again (v1 `alw=1`, v2 `frc=0`: the charger's own logic decides). */
  async resume(): Promise<void> {
    await this.knownSnapshot();
    if (this.dialect === 'v1') await this.writeKey('alw', 1);
    else await this.writeKey('frc', 0);
  }

  /** Phase switch mode (v2 `psm`, V3/V4 firmware from 051.8). */
  async setPhaseMode(mode: GoePhaseMode): Promise<void> {
    const value = { auto: 0, '1': 1, '3': 2 }[mode];
    if (value === undefined) throw new UserInputError('phase mode', `"${String(mode)}" is not one of auto, 1, 3`);
    const snap = await this.knownSnapshot();
    if (this.dialect !== 'v2' || snap.detail.phaseMode === null) {
      throw new UserInputError('phase mode', `this charger (firmware ${snap.detail.firmware ?? '?'}, API ${this.api}) cannot switch phases; that needs a V3/V4 go-e with API v2`);
    }
    await this.writeKey('psm', value);
  }

  /** Stop the session after this much energy (Wh); null removes the limit. */
  async setSessionEnergyLimit(energyWh: number | null): Promise<void> {
    if (energyWh !== null && (!Number.isFinite(energyWh) || energyWh < 0 || energyWh > 1_000_000)) {
      throw new UserInputError('session energy limit', `expected 0–1000 kWh, got ${String(energyWh)}`);
    }
    const wh = energyWh === null || energyWh === 0 ? null : energyWh;
    await this.knownSnapshot();
    if (this.dialect === 'v1') {
      // v1 counts in 0.1 kWh and needs `stp=2` to act on the limit.
      const tenths = wh === null ? 0 : Math.max(1, Math.round(wh / 100));
      await this.writeKey('dwo', tenths);
      await this.writeKey('stp', tenths === 0 ? 0 : 2);
    } else {
      await this.writeKey('dwo', wh === null ? null : Math.round(wh));
    }
  }

  /** Feed PV-surplus data to the charger (v2 `ids`); the charger drops it after about 5 s. */
  async pushPvData(data: PvData): Promise<void> {
    const fields: [string, number | undefined][] = [['gridW', data.gridW], ['pvW', data.pvW], ['batteryW', data.batteryW]];
    for (const [name, value] of fields) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 1_000_000)) {
        throw new UserInputError(name, `expected watts (a number), got ${String(value)}`);
      }
    }
    if (data.gridW === undefined) throw new UserInputError('gridW', 'is required');
    await this.knownSnapshot();
    if (this.dialect !== 'v2') throw new UserInputError('pv data', 'needs API v2 (go-e V3/V4); this charger speaks v1');
    const ids: Record<string, number> = { pGrid: data.gridW };
    if (data.pvW !== undefined) ids.pPv = data.pvW;
    if (data.batteryW !== undefined) ids.pAkku = data.batteryW;
    await this.writeKey('ids', ids);
  }

  // ---------------------------------------------------------------------------------------------

  private get dialect(): GoeDialect {
    return this.detected ?? 'v2';
  }

  /** The last snapshot, or a fresh one when there is none yet (the dialect and limits it tells). */
  private async knownSnapshot(): Promise<GoeSnapshot> {
    return this.last ?? this.getSnapshot();
  }

  private remember(raw: GoeRawStatus, dialect: GoeDialect): GoeSnapshot {
    this.last = parseStatus(raw, dialect, this.api ?? dialect);
    return this.last;
  }

  /** Forget what we know after a failure so the next call probes again. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PeerError) {
        this.last = undefined;
        const local = this.connection.kind === 'local';
        if (local && this.connection.api === 'auto' && ['timeout', 'unreachable', 'protocol'].includes(err.kind)) {
          this.detected = undefined;
        }
      }
      throw err;
    }
  }

  /** One write of one key, once. */
  private async writeKey(key: string, value: unknown): Promise<void> {
    await this.guard(() => this.write(key, value));
  }

  private async write(key: string, value: unknown): Promise<void> {
    if (key === 'ama') throw new Error('refusing to write ama');
    const dialect = this.dialect;
    if (this.connection.kind === 'cloud' && dialect === 'v1') {
      const token = encodeURIComponent(this.connection.token);
      const res = await this.send(`${this.base}/api?token=${token}&payload=${key}=${encodeURIComponent(String(value))}`);
      this.cloudV1Body(res, '/api');
      this.patch(key, String(value));
      return;
    }
    if (dialect === 'v1') {
      const res = await this.send(`${this.base}/mqtt?payload=${key}=${encodeURIComponent(String(value))}`);
      const raw = this.jsonObject(res, '/mqtt');
      if (res.status !== 200 || !looksLikeGoe(raw)) throw this.httpError(res, '/mqtt');
      // v1 answers with the whole status; a refused value simply stays unchanged.
      if (key in raw && !sameValue(raw[key], value)) {
        this.remember(raw, 'v1');
        throw new PeerError('protocol', `go-e did not accept ${key}=${String(value)} (still ${String(raw[key])})`);
      }
      this.remember(raw, 'v1');
      if (!(key in raw)) this.patch(key, String(value));
      return;
    }
    const res = await this.send(`${this.base}/api/set?${key}=${encodeURIComponent(JSON.stringify(value))}`);
    this.checkV2SetResult(res, key, value);
    if (key !== 'ids') this.patch(key, value);
  }

  private patch(key: string, value: unknown): void {
    if (!this.last) return;
    this.remember({ ...this.last.raw, [key]: value }, this.dialect);
  }

  private checkV2SetResult(res: HttpResponse, key: string, value: unknown): void {
    const cloud = this.connection.kind === 'cloud';
    if (cloud) this.checkCloudStatus(res, '/api/set');
    const ok = res.status === 200 || (cloud && res.status === 202);
    // A 2xx answer must be the JSON object of results: an HTML page (a proxy, a captive portal) means
    // the value never reached the charger.
    const body = ok ? this.jsonObject(res, '/api/set') : this.jsonObject(res, '/api/set', false);
    const result = body ? body[key] : undefined;
    if (ok && (result === true || (cloud && result === undefined))) return;
    const what = `${key}=${JSON.stringify(value)}`;
    if (typeof result === 'string') throw new PeerError('http', `go-e refused ${what}: ${result}`, res.status);
    if (res.status === 422) throw new PeerError('http', `go-e cloud refused ${what}`, res.status);
    const text = res.text.trim().slice(0, 120);
    if (res.status === 404) throw new PeerError('http', `${this.where}/api/set: not found (HTTP 404); enable the HTTP API v2 in the go-e app`, 404);
    throw new PeerError('http', `go-e refused ${what} (HTTP ${res.status}${text ? `: ${text}` : ''})`, res.status);
  }

  private async readLocalV2(strict: boolean): Promise<GoeRawStatus | null> {
    const res = await this.send(`${this.base}/api/status?filter=${V2_STATUS_KEYS.join(',')}`);
    // Firmware 60.x answers 400 when a filtered key does not exist, but still sends the others.
    if (res.status === 200 || res.status === 400) {
      const raw = this.jsonObject(res, '/api/status', strict);
      if (raw && (typeof raw.sse === 'string' || typeof raw.fwv === 'string' || looksLikeGoe(raw))) return raw;
      if (strict) throw new PeerError('protocol', `${this.where}/api/status: the answer is not a go-e status`);
      return null;
    }
    if (strict) throw this.httpError(res, '/api/status');
    return null;
  }

  private async readLocalV1(): Promise<GoeRawStatus> {
    const res = await this.send(`${this.base}/status`);
    if (res.status !== 200) throw this.httpError(res, '/status');
    const raw = this.jsonObject(res, '/status');
    if (!looksLikeGoe(raw)) throw new PeerError('protocol', `${this.where}/status: the answer is not a go-e status`);
    return raw;
  }

  private async readCloud(): Promise<GoeRawStatus> {
    if (this.connection.kind !== 'cloud') throw new Error('not a cloud connection');
    if (this.detected === 'v1') {
      const res = await this.send(`${this.base}/api_status?token=${encodeURIComponent(this.connection.token)}&wait=0`);
      const body = this.cloudV1Body(res, '/api_status');
      if (!looksLikeGoe(body.data)) throw new PeerError('protocol', `${this.where}/api_status: the answer holds no go-e status`);
      return body.data;
    }
    const res = await this.send(`${this.base}/api/status?filter=${V2_STATUS_KEYS.join(',')}`);
    this.checkCloudStatus(res, '/api/status');
    if (res.status !== 200) throw this.httpError(res, '/api/status');
    const raw = this.jsonObject(res, '/api/status');
    if (!raw) throw new PeerError('protocol', `${this.where}/api/status: the answer is not a go-e status`);
    return raw;
  }

  private checkCloudStatus(res: HttpResponse, path: string): void {
    const where = `go-e cloud ${path}`;
    if (res.status === 401) throw new PeerError('auth', `${where}: the API token was rejected (HTTP 401); copy it again from the go-e app`, 401);
    if (res.status === 403) {
      throw new PeerError('http', `${where}: charger offline or cloud API not enabled (HTTP 403); enable it in the go-e app → Internet → Advanced`, 403);
    }
    if (res.status === 404) throw new PeerError('http', `${where}: no recent data from the charger (HTTP 404); is it online?`, 404);
    if (res.status === 429) throw new PeerError('rate-limit', `${where}: too many requests (HTTP 429)`, 429);
  }

  private cloudV1Body(res: HttpResponse, path: string): { success: boolean; error?: string; data?: unknown } {
    const body = this.jsonObject(res, path) as { success?: unknown; error?: unknown; data?: unknown } | null;
    if (!body || typeof body.success !== 'boolean') throw this.httpError(res, path);
    if (!body.success) {
      const error = String(body.error ?? 'unknown error');
      if (/token/i.test(error)) throw new PeerError('auth', `go-e cloud: ${error}; check the cloud token`, res.status);
      if (/rate/i.test(error)) throw new PeerError('rate-limit', `go-e cloud: ${error}`, res.status);
      throw new PeerError('http', `go-e cloud: ${error}`, res.status);
    }
    return body as { success: boolean; data?: unknown };
  }

  private jsonObject(res: HttpResponse, path: string, strict = true): GoeRawStatus | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      if (!strict) return null;
      const snippet = res.text.slice(0, 40).replace(/[\s\u0000-\u001f\u007f]+/g, ' '); // no control characters in a log line
      throw new PeerError('protocol', `${this.where}${path}: expected JSON, got "${snippet}${res.text.length > 40 ? '…' : ''}" (HTTP ${res.status})`);
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as GoeRawStatus;
    if (!strict) return null;
    throw new PeerError('protocol', `${this.where}${path}: expected a JSON object`);
  }

  private httpError(res: HttpResponse, path: string): PeerError {
    const text = res.text.trim().replace(/\s+/g, ' ').slice(0, 100);
    const hint = res.status === 404 ? '; is this API enabled in the go-e app?' : '';
    return new PeerError('http', `${this.where}${path}: HTTP ${res.status}${text ? ` "${text}"` : ''}${hint}`, res.status);
  }

  /** One request at a time, spaced by minGapMs on the injected clock. */
  private send(url: string): Promise<HttpResponse> {
    const run = async (): Promise<HttpResponse> => {
      const waitMs = this.lastRequestMs + this.minGapMs - this.clock.monoMs();
      if (waitMs > 0) await this.clock.sleep(waitMs);
      try {
        const headers: Record<string, string> = { Accept: 'application/json' };
        if (this.connection.kind === 'cloud' && this.connection.api === 'v2') headers.Authorization = `Bearer ${this.connection.token}`;
        return await this.transport({ method: 'GET', url, headers, timeoutMs: this.timeoutMs, maxBytes: 256 * 1024 });
      } finally {
        this.lastRequestMs = this.clock.monoMs();
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function sameValue(current: unknown, wanted: unknown): boolean {
  if (wanted === null) return current === null || current === undefined || current === '0' || current === 0;
  if (typeof current === 'string') return current === String(wanted);
  if (typeof current === 'boolean') return current === Boolean(wanted);
  return current === wanted;
}
