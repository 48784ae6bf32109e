/**
 * A loopback Charge Amps EAPI v5 server for tests and the demo. It follows the reference notes:
 * apiKey + credential login, HS256 JWTs whose lifetime runs on the injected clock, refresh with
 * rotation, at most ten live tokens per account (the oldest is evicted), case-insensitive routes and
 * enums, 400/401/403/404 as documented, an OCPP (Halo: Type 2 + Schuko) and a CAPI (Aura: two Type 2)
 * charge point, a connector state machine with per-phase measurements that obey maxCurrent and mode,
 * session history, and fault switches. Counters let tests check that a client never evicts tokens.
 */
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo } from 'net';
import { Clock, SystemClock } from '../clock';
import type { DimmerValue, OnOffMode } from './types';
import { DIMMER_VALUES, ON_OFF_MODES } from './types';

export const EMULATOR_API_KEY = 'emulator-api-key-0001';
export const EMULATOR_EMAIL = 'owner@example.com';
export const EMULATOR_PASSWORD = 'correct-horse-battery';
export const HALO_ID = '2505090652M';
export const AURA_ID = '2106037142M';
/** Owned by another account: requests for it answer 403. */
export const FOREIGN_ID = '2201000001M';

export interface EmulatorCar {
  /** Phases the car charges on. */
  phases: 1 | 3;
  /** Highest current the car takes per phase (A). */
  maxCurrentA: number;
  /** Energy until the car is full (kWh); absent = never full. */
  capacityKwh?: number;
}

export interface ChargePointSpec {
  id: string;
  name?: string;
  model: 'HALO' | 'AURA';
  protocol: 'ocpp' | 'capi';
  installationCurrentA?: number;
  owner?: string;
}

export interface EmulatorOptions {
  clock?: Clock;
  apiKey?: string;
  users?: { email: string; password: string }[];
  chargePoints?: ChargePointSpec[];
  /** Access token lifetime (s), default 7200. */
  tokenLifetimeS?: number;
  /** Refresh token lifetime (s), default 168 h. */
  refreshLifetimeS?: number;
  /** Live tokens per account before the oldest is evicted, default 10. */
  maxTokensPerUser?: number;
  voltagesV?: [number, number, number];
  /** OCPP quirk: mode Off during a session does not stop charging (default true). */
  ocppModeOffKeepsCharging?: boolean;
}

export type FaultKind = '429' | '500' | 'garbage';

interface Session {
  id: number;
  startMs: number;
  kwh: number;
}

interface ConnectorState {
  id: number;
  type: 'Charger' | 'Schuko';
  maxCurrent: number | null;
  rfidLock: boolean;
  mode: OnOffMode;
  cableLock: boolean;
  car: EmulatorCar | null;
  session: Session | null;
  /** The session was stopped remotely while the car stayed plugged in. */
  stopped: boolean;
  fault: boolean;
  forcedStatus: string | null;
}

interface ChargePointState {
  spec: Required<ChargePointSpec>;
  online: boolean;
  dimmer: DimmerValue;
  downLight: boolean | null;
  maxCurrent: number | null;
  connectors: ConnectorState[];
  history: Record<string, unknown>[];
}

interface TokenEntry {
  access: string;
  refresh: string;
  accessExpMs: number;
  refreshExpMs: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown = '',
  ) {
    super(`HTTP ${status}`);
  }
}

export class ChargeAmpsEmulator {
  readonly clock: Clock;
  readonly counters = { requests: 0, logins: 0, failedLogins: 0, refreshes: 0, failedRefreshes: 0, evictions: 0, unauthorised: 0, puts: 0 };
  /** Extra delay before answering (real ms), for timeout tests. */
  slowMs = 0;
  private readonly opts: Required<Omit<EmulatorOptions, 'clock' | 'users' | 'chargePoints'>>;
  private readonly users = new Map<string, string>();
  private readonly tokens = new Map<string, TokenEntry[]>();
  private readonly cps = new Map<string, ChargePointState>();
  private readonly secret = crypto.randomBytes(32);
  private readonly faults: FaultKind[] = [];
  private server: http.Server | null = null;
  private lastMs: number;
  private nextSessionId = 129027347;
  private jti = 0;
  private _baseUrl = '';

  constructor(options: EmulatorOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.opts = {
      apiKey: options.apiKey ?? EMULATOR_API_KEY,
      tokenLifetimeS: options.tokenLifetimeS ?? 7200,
      refreshLifetimeS: options.refreshLifetimeS ?? 168 * 3600,
      maxTokensPerUser: options.maxTokensPerUser ?? 10,
      voltagesV: options.voltagesV ?? [230, 230, 230],
      ocppModeOffKeepsCharging: options.ocppModeOffKeepsCharging ?? true,
    };
    for (const u of options.users ?? [{ email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }]) this.users.set(u.email.toLowerCase(), u.password);
    const specs = options.chargePoints ?? [
      { id: HALO_ID, name: 'HALO_090652M', model: 'HALO', protocol: 'ocpp', installationCurrentA: 16 },
      { id: AURA_ID, name: 'AURA_037142M', model: 'AURA', protocol: 'capi', installationCurrentA: 32 },
      { id: FOREIGN_ID, name: 'HALO_000001M', model: 'HALO', protocol: 'capi', installationCurrentA: 16, owner: 'neighbour@example.com' },
    ];
    for (const s of specs) this.addChargePoint(s);
    this.lastMs = this.clock.nowMs();
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Listen on 127.0.0.1 (port 0 = any free port); resolves to the API base URL (…/api/v5). */
  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this._baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v5`;
    return this._baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get baseUrl(): string {
    return this._baseUrl;
  }

  // --- test and demo controls ------------------------------------------------------------------

  addChargePoint(spec: ChargePointSpec): void {
    const full: Required<ChargePointSpec> = {
      name: `${spec.model}_${spec.id.slice(-7)}`,
      installationCurrentA: 16,
      owner: [...this.users.keys()][0] ?? EMULATOR_EMAIL,
      ...spec,
    };
    const types: ('Charger' | 'Schuko')[] = spec.model === 'HALO' ? ['Charger', 'Schuko'] : ['Charger', 'Charger'];
    this.cps.set(spec.id.toLowerCase(), {
      spec: full,
      online: true,
      dimmer: 'Low',
      downLight: spec.model === 'HALO' ? true : null,
      maxCurrent: null,
      connectors: types.map((type, i) => ({
        id: i + 1,
        type,
        maxCurrent: type === 'Schuko' ? 10 : full.installationCurrentA,
        rfidLock: false,
        mode: 'On',
        cableLock: false,
        car: null,
        session: null,
        stopped: false,
        fault: false,
        forcedStatus: null,
      })),
      history: [],
    });
  }

  /** Plug a car (or, on a Schuko outlet, an appliance) into a connector. */
  plugIn(cpId: string, connectorId: number, car: EmulatorCar = { phases: 3, maxCurrentA: 16 }): void {
    this.advance();
    const c = this.conn(cpId, connectorId);
    c.car = { ...car };
    c.stopped = false;
    this.reconcile();
  }

  unplug(cpId: string, connectorId: number): void {
    this.advance();
    const c = this.conn(cpId, connectorId);
    this.endSession(this.cp(cpId), c);
    c.car = null;
    c.stopped = false;
    this.reconcile();
  }

  setOnline(cpId: string, online: boolean): void {
    this.advance();
    this.cp(cpId).online = online;
  }

  setFault(cpId: string, connectorId: number, fault: boolean): void {
    this.advance();
    this.conn(cpId, connectorId).fault = fault;
    this.reconcile();
  }

  /** Report this raw status string for a connector (null = back to the state machine). */
  forceStatus(cpId: string, connectorId: number, status: string | null): void {
    this.conn(cpId, connectorId).forcedStatus = status;
  }

  /** The next `count` requests (any route) fail this way. */
  failNext(kind: FaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(kind);
  }

  /** Revoke every access token of an account (as an eviction would); refresh tokens keep working unless `all`. */
  revokeTokens(email = EMULATOR_EMAIL, all = false): void {
    const list = this.tokens.get(email.toLowerCase()) ?? [];
    if (all) this.tokens.set(email.toLowerCase(), []);
    else for (const t of list) t.accessExpMs = 0;
  }

  setPassword(email: string, password: string): void {
    this.users.set(email.toLowerCase(), password);
  }

  /** Live (not evicted) token pairs of an account. */
  activeTokens(email = EMULATOR_EMAIL): number {
    return (this.tokens.get(email.toLowerCase()) ?? []).length;
  }

  /** Add a finished session to the history (for meter tests). */
  addHistory(cpId: string, connectorId: number, kwh: number, startMs: number, endMs: number): number {
    const id = this.nextSessionId++;
    this.cp(cpId).history.push(this.sessionJson(cpId, connectorId, id, startMs, endMs, kwh, 'ThreePhase'));
    return id;
  }

  /** What the connector does now (for assertions). */
  snapshot(cpId: string, connectorId: number) {
    this.advance();
    const cp = this.cp(cpId);
    const c = this.conn(cpId, connectorId);
    return {
      status: this.statusOf(cp, c),
      drawA: this.drawA(cp, c),
      maxCurrent: c.maxCurrent,
      mode: c.mode,
      rfidLock: c.rfidLock,
      cableLock: c.cableLock,
      dimmer: cp.dimmer,
      sessionKwh: c.session?.kwh ?? 0,
      sessions: cp.history.filter((h) => h.connectorId === connectorId).length,
    };
  }

  // --- model -----------------------------------------------------------------------------------

  private cp(id: string): ChargePointState {
    const cp = this.cps.get(id.toLowerCase());
    if (!cp) throw new Error(`emulator: no charge point ${id}`);
    return cp;
  }

  private conn(cpId: string, connectorId: number): ConnectorState {
    const c = this.cp(cpId).connectors.find((x) => x.id === connectorId);
    if (!c) throw new Error(`emulator: no connector ${cpId}:${connectorId}`);
    return c;
  }

  private full(c: ConnectorState): boolean {
    return !!c.car && c.car.capacityKwh !== undefined && !!c.session && c.session.kwh >= c.car.capacityKwh;
  }

  /** Current offered to the car per phase (A): 0 when held back. */
  private offeredA(cp: ChargePointState, c: ConnectorState): number {
    if (!cp.online || !c.session || c.fault) return 0;
    const keepOn = cp.spec.protocol === 'ocpp' && this.opts.ocppModeOffKeepsCharging;
    if (c.mode === 'Off' && !keepOn) return 0;
    const limits = [c.maxCurrent ?? cp.spec.installationCurrentA, cp.spec.installationCurrentA, cp.maxCurrent ?? Infinity];
    const a = Math.min(...limits);
    return a >= 6 ? a : 0;
  }

  private drawA(cp: ChargePointState, c: ConnectorState): number {
    if (!c.car || this.full(c)) return 0;
    return Math.min(this.offeredA(cp, c), c.car.maxCurrentA);
  }

  private statusOf(cp: ChargePointState, c: ConnectorState): string {
    if (!cp.online) return 'Unknown';
    if (c.forcedStatus !== null) return c.forcedStatus;
    const ocpp = cp.spec.protocol === 'ocpp';
    if (c.fault) return ocpp ? 'Faulted' : 'Error';
    if (!c.car) return 'Available';
    const draw = this.drawA(cp, c);
    if (ocpp) {
      if (c.stopped) return 'Finishing';
      if (!c.session) return 'Preparing';
      if (draw > 0) return 'Charging';
      return this.full(c) ? 'SuspendedEV' : 'SuspendedEVSE';
    }
    return draw > 0 ? 'Charging' : 'Connected';
  }

  /** Integrate energy up to now. */
  private advance(): void {
    const now = this.clock.nowMs();
    const dtH = (now - this.lastMs) / 3_600_000;
    this.lastMs = now;
    if (dtH <= 0) return;
    for (const cp of this.cps.values()) {
      for (const c of cp.connectors) {
        if (!c.session || !c.car) continue;
        const kw = this.measurements(cp, c).reduce((s, m) => s + m.current * m.voltage, 0) / 1000;
        c.session.kwh += kw * dtH;
        if (c.car.capacityKwh !== undefined) c.session.kwh = Math.min(c.session.kwh, c.car.capacityKwh);
      }
    }
  }

  /** Start and end sessions after any change. */
  private reconcile(): void {
    for (const cp of this.cps.values()) {
      for (const c of cp.connectors) {
        const capiOff = cp.spec.protocol === 'capi' && c.mode === 'Off';
        if (c.session && capiOff) this.endSession(cp, c);
        if (!c.session && c.car && !c.stopped && !c.fault && c.mode !== 'Off' && !c.rfidLock) this.startSession(c);
      }
    }
  }

  private startSession(c: ConnectorState): void {
    c.session = { id: this.nextSessionId++, startMs: this.clock.nowMs(), kwh: 0 };
  }

  private endSession(cp: ChargePointState, c: ConnectorState): void {
    if (!c.session) return;
    const s = c.session;
    c.session = null;
    const type = c.type === 'Schuko' ? 'Schuko' : c.car?.phases === 1 ? 'OnePhase' : 'ThreePhase';
    cp.history.push(this.sessionJson(cp.spec.id, c.id, s.id, s.startMs, this.clock.nowMs(), s.kwh, type));
  }

  private sessionJson(cpId: string, connectorId: number, id: number, startMs: number, endMs: number | null, kwh: number, type: string) {
    return {
      id,
      chargePointId: cpId,
      connectorId,
      userId: '00000000-0000-0000-0000-000000000001',
      rfid: null,
      rfidDec: null,
      rfidDecReverse: null,
      organisationId: null,
      sessionType: type,
      startTime: iso(startMs),
      endTime: endMs === null ? null : iso(endMs),
      externalTransactionId: null,
      totalConsumptionKwh: round3(kwh),
      externalId: null,
    };
  }

  private measurements(cp: ChargePointState, c: ConnectorState): { phase: string; current: number; voltage: number }[] {
    const draw = this.drawA(cp, c);
    if (draw <= 0 || !c.car) return [];
    const phases = c.type === 'Schuko' ? 1 : 3;
    return Array.from({ length: phases }, (_, i) => ({
      phase: `L${i + 1}`,
      current: i < (c.type === 'Schuko' ? 1 : c.car!.phases) ? draw : 0,
      voltage: this.opts.voltagesV[i],
    }));
  }

  // --- HTTP ------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counters.requests++;
    try {
      const raw = await readBody(req);
      if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
      const fault = this.faults.shift();
      if (fault === '429') throw new HttpError(429, 'Too Many Requests');
      if (fault === '500') throw new HttpError(500, 'Internal Server Error');
      if (fault === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>gateway says hello</html>');
        return;
      }
      this.advance();
      const body = await this.route(req.method ?? 'GET', req.url ?? '/', req.headers, raw);
      this.reconcile();
      if (body === undefined) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      }
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'emulator error');
      if (e.status === 401) this.counters.unauthorised++;
      const isJson = typeof e.body === 'object';
      res.writeHead(e.status, { 'content-type': isJson ? 'application/json' : 'application/octet-stream' });
      res.end(isJson ? JSON.stringify(e.body) : String(e.body));
    }
  }

  private async route(method: string, rawUrl: string, headers: http.IncomingHttpHeaders, raw: string): Promise<unknown> {
    const url = new URL(rawUrl, 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const lower = parts.map((p) => p.toLowerCase());
    if (lower[0] !== 'api' || lower[1] !== 'v5') throw new HttpError(404);
    const p = lower.slice(2);
    const orig = parts.slice(2);
    const json = (): Record<string, unknown> => parseBody(raw);
    if (method === 'PUT') this.counters.puts++;

    if (p[0] === 'auth' && method === 'POST') {
      if (p[1] === 'login' && p.length === 2) return this.login(headers, json());
      if (p[1] === 'refreshtoken' && p.length === 2) return this.refresh(json());
      throw new HttpError(404);
    }

    const email = this.authorise(headers);
    if (p[0] !== 'chargepoints' || p.length < 2) throw new HttpError(404);
    if (p[1] === 'owned' && p.length === 2 && method === 'GET') {
      return [...this.cps.values()].filter((cp) => cp.spec.owner.toLowerCase() === email).map((cp) => this.cpJson(cp, false));
    }
    const cp = this.cps.get(p[1]);
    if (!cp) throw new HttpError(404);
    if (cp.spec.owner.toLowerCase() !== email) throw new HttpError(403);
    const rest = p.slice(2);
    const route = `${method} ${rest.map((s, i) => (rest[i - 1] === 'connectors' || rest[i - 1] === 'chargingsessions' ? '{}' : s)).join('/')}`;
    const connectorId = rest[0] === 'connectors' ? Number(orig[3]) : NaN;
    const c = rest[0] === 'connectors' ? cp.connectors.find((x) => x.id === connectorId) : undefined;
    if (rest[0] === 'connectors' && !c) throw new HttpError(404);

    switch (route) {
      case 'GET ':
        return this.cpJson(cp, url.searchParams.get('expand')?.toLowerCase() === 'settings');
      case 'GET status':
        return this.statusJson(cp);
      case 'GET settings':
        return { ...this.cpSettingsJson(cp), installationCurrent: cp.spec.installationCurrentA };
      case 'PUT settings':
        return this.putCpSettings(cp, json());
      case 'GET connectors/{}/settings':
        return { ...this.connSettingsJson(cp, c!), installationCurrent: cp.spec.installationCurrentA };
      case 'PUT connectors/{}/settings':
        return this.putConnSettings(cp, c!, json());
      case 'PUT connectors/{}/remotestart':
        return this.remoteStart(c!, json());
      case 'PUT connectors/{}/remotestop':
        if (!raw.trim()) throw new HttpError(403);
        if (!c!.session) throw new HttpError(400, 'No ongoing charging session');
        this.endSession(cp, c!);
        c!.stopped = true;
        return undefined;
      case 'PUT reboot':
        if (!raw.trim()) throw new HttpError(403);
        return undefined;
      case 'GET chargingsessions':
      case 'GET connectors/{}/chargingsessions':
        return this.sessionsJson(cp, c?.id, url.searchParams);
      case 'GET chargingsessions/{}': {
        const s = this.sessionsJson(cp, undefined, new URLSearchParams()).find((x) => String(x.id) === orig[3]);
        if (!s) throw new HttpError(404);
        return s;
      }
      default:
        throw new HttpError(404);
    }
  }

  private login(headers: http.IncomingHttpHeaders, body: Record<string, unknown>): unknown {
    const email = typeof body.email === 'string' ? body.email.toLowerCase() : '';
    const ok = headers.apikey === this.opts.apiKey && this.users.has(email) && this.users.get(email) === body.password;
    if (!ok) {
      this.counters.failedLogins++;
      throw new HttpError(401);
    }
    this.counters.logins++;
    const list = this.tokens.get(email) ?? [];
    list.push(this.issue(email));
    while (list.length > this.opts.maxTokensPerUser) {
      list.shift();
      this.counters.evictions++;
    }
    this.tokens.set(email, list);
    const t = list[list.length - 1];
    return {
      message: null,
      token: t.access,
      refreshToken: t.refresh,
      user: { id: '00000000-0000-0000-0000-000000000001', firstName: 'Emu', lastName: 'Lator', email, mobile: null, rfidTags: [], userStatus: 'Valid' },
    };
  }

  private refresh(body: Record<string, unknown>): unknown {
    const now = this.clock.nowMs();
    for (const [email, list] of this.tokens) {
      const i = list.findIndex((t) => t.refresh === body.refreshToken && t.access === body.token);
      if (i < 0) continue;
      if (list[i].refreshExpMs <= now) {
        list.splice(i, 1);
        break;
      }
      this.counters.refreshes++;
      list[i] = this.issue(email);
      return { token: list[i].access, refreshToken: list[i].refresh };
    }
    this.counters.failedRefreshes++;
    throw new HttpError(400, { error: 'Invalid token or refresh token', messageCode: 'InvalidRefreshToken' });
  }

  private issue(email: string): TokenEntry {
    const now = this.clock.nowMs();
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: email, jti: ++this.jti, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + this.opts.tokenLifetimeS })}`;
    const sig = crypto.createHmac('sha256', this.secret).update(head).digest('base64url');
    return {
      access: `${head}.${sig}`,
      refresh: crypto.randomBytes(24).toString('base64'),
      accessExpMs: now + this.opts.tokenLifetimeS * 1000,
      refreshExpMs: now + this.opts.refreshLifetimeS * 1000,
    };
  }

  /** The account behind a valid bearer token, else 401. */
  private authorise(headers: http.IncomingHttpHeaders): string {
    const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
    if (!m) throw new HttpError(401);
    const now = this.clock.nowMs();
    for (const [email, list] of this.tokens) {
      if (list.some((t) => t.access === m[1] && t.accessExpMs > now)) return email;
    }
    throw new HttpError(401);
  }

  private cpJson(cp: ChargePointState, expand: boolean): unknown {
    return {
      id: cp.spec.id,
      name: cp.spec.name,
      password: 'cp-password',
      type: cp.spec.model,
      isLoadbalanced: false,
      firmwareVersion: cp.spec.protocol === 'ocpp' ? '2.1.0' : '1.4.2',
      hardwareVersion: null,
      ownerReadOnly: false,
      ocppVersion: cp.spec.protocol === 'ocpp' ? '1.6' : null,
      settings: expand ? this.cpSettingsJson(cp) : null,
      connectors: cp.connectors.map((c) => ({
        chargePointId: cp.spec.id,
        connectorId: c.id,
        type: c.type,
        settings: expand ? this.connSettingsJson(cp, c) : null,
        connectorUserId: null,
      })),
    };
  }

  private cpSettingsJson(cp: ChargePointState) {
    return { id: cp.spec.id, dimmer: cp.dimmer, downLight: cp.downLight, maxCurrent: cp.maxCurrent };
  }

  private connSettingsJson(cp: ChargePointState, c: ConnectorState) {
    return { chargePointId: cp.spec.id, connectorId: c.id, maxCurrent: c.maxCurrent, rfidLock: c.rfidLock, mode: c.mode, cableLock: c.cableLock };
  }

  private statusJson(cp: ChargePointState): unknown {
    return {
      id: cp.spec.id,
      status: cp.online ? 'Online' : 'Offline',
      connectorStatuses: cp.connectors.map((c) => {
        const m = cp.online ? this.measurements(cp, c) : [];
        const s = cp.online ? c.session : null;
        return {
          chargePointId: cp.spec.id,
          connectorId: c.id,
          totalConsumptionKwh: round3(s?.kwh ?? 0),
          chargingPowerKw: round3(m.reduce((sum, x) => sum + x.current * x.voltage, 0) / 1000),
          sessionType: s ? (c.type === 'Schuko' ? 'Schuko' : c.car?.phases === 1 ? 'OnePhase' : 'ThreePhase') : null,
          status: this.statusOf(cp, c),
          measurements: m.length ? m : null,
          startTime: s ? iso(s.startMs) : null,
          endTime: null,
          sessionId: s?.id ?? null,
        };
      }),
    };
  }

  private putCpSettings(cp: ChargePointState, body: Record<string, unknown>): undefined {
    const dimmer = parseEnum(body.dimmer, DIMMER_VALUES, 'dimmer');
    if (body.maxCurrent !== undefined && body.maxCurrent !== null && !validCurrent(body.maxCurrent, cp.spec.installationCurrentA)) {
      throw new HttpError(400, 'maxCurrent out of range');
    }
    cp.dimmer = dimmer;
    if (cp.spec.model === 'HALO') cp.downLight = body.downLight === true;
    cp.maxCurrent = typeof body.maxCurrent === 'number' ? body.maxCurrent : null;
    return undefined;
  }

  /** Missing fields take their .NET defaults (false, Off): a partial body really changes them. */
  private putConnSettings(cp: ChargePointState, c: ConnectorState, body: Record<string, unknown>): undefined {
    const mode = parseEnum(body.mode, ON_OFF_MODES, 'mode');
    const max = body.maxCurrent;
    if (max !== undefined && max !== null && !validCurrent(max, cp.spec.installationCurrentA)) {
      throw new HttpError(400, `maxCurrent must be 0 or 6..${Math.min(32, cp.spec.installationCurrentA)}`);
    }
    const wasOff = c.mode === 'Off';
    c.maxCurrent = typeof max === 'number' ? max : null;
    c.mode = mode;
    c.rfidLock = body.rfidLock === true;
    c.cableLock = body.cableLock === true;
    if (wasOff && mode !== 'Off') c.stopped = false; // switching on again offers a new session
    return undefined;
  }

  private remoteStart(c: ConnectorState, body: Record<string, unknown>): undefined {
    const rfid = typeof body.rfid === 'string' ? body.rfid : '';
    const format = parseEnum(body.rfidFormat, ['Hex', 'Dec', 'ReverseDec'] as const, 'rfidFormat');
    if (format === 'Hex' && (!/^[0-9a-f]+$/i.test(rfid) || ![8, 14, 20].includes(rfid.length))) throw new HttpError(400, 'rfid must be 4, 7 or 10 bytes in hex');
    // Answers 200 even when the charger ignores it (no car, mode Off).
    if (c.car && !c.session && c.mode !== 'Off' && !c.fault) {
      c.stopped = false;
      this.startSession(c);
    }
    return undefined;
  }

  private sessionsJson(cp: ChargePointState, connectorId: number | undefined, q: URLSearchParams): Record<string, unknown>[] {
    const live = cp.connectors
      .filter((c) => c.session)
      .map((c) => this.sessionJson(cp.spec.id, c.id, c.session!.id, c.session!.startMs, null, c.session!.kwh, c.car?.phases === 1 ? 'OnePhase' : 'ThreePhase'));
    let list = [...cp.history, ...live].filter((s) => connectorId === undefined || s.connectorId === connectorId);
    const start = q.get('startTime');
    const end = q.get('endTime');
    if (start) list = list.filter((s) => Date.parse(String(s.startTime)) >= Date.parse(start));
    if (end) list = list.filter((s) => Date.parse(String(s.startTime)) <= Date.parse(end));
    list.sort((a, b) => Number(b.id) - Number(a.id));
    const max = Number(q.get('maxCount'));
    return max > 0 ? list.slice(0, max) : list;
  }
}

function validCurrent(v: unknown, installationA: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && (v === 0 || (v >= 6 && v <= Math.min(32, installationA)));
}

/** Names in any case or their index; missing = the first value (the .NET default). */
function parseEnum<T extends string>(v: unknown, values: readonly T[], field: string): T {
  if (v === undefined || v === null) return values[0];
  if (typeof v === 'number' && Number.isInteger(v) && values[v]) return values[v];
  const found = typeof v === 'string' ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
  if (!found) throw new HttpError(400, `invalid ${field}`);
  return found;
}

function parseBody(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v === 'string') return parseBody(v); // a JSON string holding JSON ("{}") is accepted too
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'invalid JSON body');
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) reject(new HttpError(413));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
