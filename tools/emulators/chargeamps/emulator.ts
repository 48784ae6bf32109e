/**
 * A loopback Charge Amps EAPI v5 server for tests and the demo. It follows the reference notes:
 * apiKey + credential login, HS256 JWTs whose lifetime runs on the injected clock, refresh with
 * rotation, at most ten live tokens per account (the oldest is evicted), case-insensitive routes and
 * enums, 400/401/403/404 as documented, an OCPP (Halo: Type 2 + Schuko) and a CAPI (Aura: two Type 2)
 * charge point, a connector state machine with per-phase measurements that obey maxCurrent and mode,
 * session history (the model: emulatorModel.ts; its wire JSON: emulatorJson.ts), and fault switches.
 * Counters let tests check that a client never evicts tokens.
 */
import crypto from 'crypto';
import http from 'http';
import { closeServer, listen } from '../listen';
import { Clock, SystemClock } from '../../../lib/clock';
import { ChargeAmpsModel, ChargePointSpec, HttpError } from './emulatorModel';
import { connSettingsJson, cpJson, cpSettingsJson, sessionsJson, statusJson } from './emulatorJson';

export type { ChargePointSpec, EmulatorCar } from './emulatorModel';

export const EMULATOR_API_KEY = 'emulator-api-key-0001';
export const EMULATOR_EMAIL = 'owner@example.com';
export const EMULATOR_PASSWORD = 'correct-horse-battery';
export const HALO_ID = '2505090652M';
export const AURA_ID = '2106037142M';
/** Owned by another account: requests for it answer 403. */
export const FOREIGN_ID = '2201000001M';

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
  /** From a settings change to the car following (ms), default 0; the real cloud takes ~15–20 s. */
  commandLatencyMs?: number;
}

/**
 * What the next requests get instead of an answer: '429' Too Many Requests, '500' a cloud error,
 * 'garbage' 200 with a non-JSON body labelled JSON, 'html200' 200 with an HTML maintenance page.
 */
export type FaultKind = '429' | '500' | 'garbage' | 'html200';

export interface FaultOptions {
  /** Send a `Retry-After` header (429 and 500 only) asking for this many seconds. */
  retryAfterS?: number;
  /** ... written as an HTTP-date (now + retryAfterS on the emulator's clock) instead of seconds. */
  retryAfterAsDate?: boolean;
}

/** The page a cloud behind a maintenance proxy answers with (HTTP 200, text/html). */
export const MAINTENANCE_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Charge Amps - Scheduled maintenance</title></head>\n<body><h1>We are down for maintenance</h1><p>The service will be back shortly.</p></body></html>\n';

interface TokenEntry {
  access: string;
  refresh: string;
  accessExpMs: number;
  refreshExpMs: number;
}

export class ChargeAmpsEmulator extends ChargeAmpsModel {
  readonly counters = { requests: 0, logins: 0, failedLogins: 0, refreshes: 0, failedRefreshes: 0, evictions: 0, unauthorised: 0, puts: 0 };
  /** Extra delay before answering (real ms), for timeout tests. */
  slowMs = 0;
  private readonly opts: Required<Pick<EmulatorOptions, 'apiKey' | 'tokenLifetimeS' | 'refreshLifetimeS' | 'maxTokensPerUser'>>;
  private readonly users = new Map<string, string>();
  private readonly tokens = new Map<string, TokenEntry[]>();
  private readonly secret = crypto.randomBytes(32);
  private readonly faults: { kind: FaultKind; options: FaultOptions }[] = [];
  private server: http.Server | null = null;
  private jti = 0;
  private _baseUrl = '';

  constructor(options: EmulatorOptions = {}) {
    super({
      clock: options.clock ?? new SystemClock(),
      voltagesV: options.voltagesV ?? [230, 230, 230],
      ocppModeOffKeepsCharging: options.ocppModeOffKeepsCharging ?? true,
      commandLatencyMs: options.commandLatencyMs ?? 0,
    });
    this.opts = {
      apiKey: options.apiKey ?? EMULATOR_API_KEY,
      tokenLifetimeS: options.tokenLifetimeS ?? 7200,
      refreshLifetimeS: options.refreshLifetimeS ?? 168 * 3600,
      maxTokensPerUser: options.maxTokensPerUser ?? 10,
    };
    for (const u of options.users ?? [{ email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }]) this.users.set(u.email.toLowerCase(), u.password);
    const specs = options.chargePoints ?? [
      { id: HALO_ID, name: 'HALO_090652M', model: 'HALO', protocol: 'ocpp', installationCurrentA: 16 },
      { id: AURA_ID, name: 'AURA_037142M', model: 'AURA', protocol: 'capi', installationCurrentA: 32 },
      { id: FOREIGN_ID, name: 'HALO_000001M', model: 'HALO', protocol: 'capi', installationCurrentA: 16, owner: 'neighbour@example.com' },
    ];
    for (const s of specs) this.addChargePoint(s);
  }

  protected override defaultOwner(): string {
    return [...this.users.keys()][0] ?? EMULATOR_EMAIL;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  /** Listen on 127.0.0.1 (port 0 = any free port); resolves to the API base URL (…/api/v5). */
  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this._baseUrl = `http://${await listen(server, port, '127.0.0.1')}/api/v5`;
    return this._baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    await closeServer(server);
  }

  get baseUrl(): string {
    return this._baseUrl;
  }

  // --- test and demo controls ------------------------------------------------------------------

  /** The next `count` requests (any route) fail this way. */
  failNext(kind: FaultKind, count = 1, options: FaultOptions = {}): void {
    for (let i = 0; i < count; i++) this.faults.push({ kind, options });
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

  // --- HTTP ------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counters.requests++;
    if (req.method === 'PUT') this.counters.puts++;
    try {
      const raw = await readBody(req);
      if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
      const fault = this.faults.shift();
      if (fault) return this.answerFault(fault.kind, fault.options, res);
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

  private answerFault(kind: FaultKind, options: FaultOptions, res: http.ServerResponse): void {
    if (kind === 'garbage' || kind === 'html200') {
      res.writeHead(200, { 'content-type': kind === 'garbage' ? 'application/json' : 'text/html; charset=utf-8' });
      res.end(kind === 'garbage' ? '<html>gateway says hello</html>' : MAINTENANCE_PAGE);
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (options.retryAfterS !== undefined) {
      const atMs = this.clock.nowMs() + options.retryAfterS * 1000;
      headers['retry-after'] = options.retryAfterAsDate ? new Date(atMs).toUTCString() : String(options.retryAfterS);
    }
    res.writeHead(kind === '429' ? 429 : 500, headers);
    res.end(kind === '429' ? 'Too Many Requests' : 'Internal Server Error');
  }

  private async route(method: string, rawUrl: string, headers: http.IncomingHttpHeaders, raw: string): Promise<unknown> {
    const url = new URL(rawUrl, 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const lower = parts.map((p) => p.toLowerCase());
    if (lower[0] !== 'api' || lower[1] !== 'v5') throw new HttpError(404);
    const p = lower.slice(2);
    const orig = parts.slice(2);
    const json = (): Record<string, unknown> => parseBody(raw);

    if (p[0] === 'auth' && method === 'POST') {
      if (p[1] === 'login' && p.length === 2) return this.login(headers, json());
      if (p[1] === 'refreshtoken' && p.length === 2) return this.refresh(json());
      throw new HttpError(404);
    }

    const email = this.authorise(headers);
    if (p[0] !== 'chargepoints' || p.length < 2) throw new HttpError(404);
    if (p[1] === 'owned' && p.length === 2 && method === 'GET') {
      return [...this.cps.values()].filter((cp) => cp.spec.owner.toLowerCase() === email).map((cp) => cpJson(cp, false));
    }
    const cp = this.cps.get(p[1]);
    if (!cp) throw new HttpError(404);
    if (cp.spec.owner.toLowerCase() !== email) throw new HttpError(403);
    if (cp.spec.readOnly && method === 'PUT') throw new HttpError(403);
    const rest = p.slice(2);
    const route = `${method} ${rest.map((s, i) => (rest[i - 1] === 'connectors' || rest[i - 1] === 'chargingsessions' ? '{}' : s)).join('/')}`;
    const connectorId = rest[0] === 'connectors' ? Number(orig[3]) : NaN;
    const c = rest[0] === 'connectors' ? cp.connectors.find((x) => x.id === connectorId) : undefined;
    if (rest[0] === 'connectors' && !c) throw new HttpError(404);

    switch (route) {
      case 'GET ':
        return cpJson(cp, url.searchParams.get('expand')?.toLowerCase() === 'settings');
      case 'GET status':
        return statusJson(cp, (c) => this.connectorLive(cp, c));
      case 'GET settings':
        return { ...cpSettingsJson(cp), installationCurrent: cp.spec.installationCurrentA };
      case 'PUT settings':
        return this.putCpSettings(cp, json());
      case 'GET connectors/{}/settings':
        return { ...connSettingsJson(cp, c!), installationCurrent: cp.spec.installationCurrentA };
      case 'PUT connectors/{}/settings':
        return this.putConnSettings(cp, c!, json());
      case 'PUT connectors/{}/remotestart':
        return this.remoteStart(c!, json());
      case 'PUT connectors/{}/remotestop':
        if (!raw.trim()) throw new HttpError(403);
        return this.remoteStop(cp, c!);
      case 'PUT reboot':
        if (!raw.trim()) throw new HttpError(403);
        return undefined;
      case 'GET chargingsessions':
      case 'GET connectors/{}/chargingsessions':
        return sessionsJson(cp, c?.id, url.searchParams);
      case 'GET chargingsessions/{}': {
        const s = sessionsJson(cp, undefined, new URLSearchParams()).find((x) => String(x.id) === orig[3]);
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
