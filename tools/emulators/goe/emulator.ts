/**
 * A go-e charger on 127.0.0.1: a real HTTP server speaking local API v1 (`/status`, `/mqtt`), local
 * API v2 (`/api/status`, `/api/set`) and, when given a token, the cloud APIs, over the charger and
 * car model of emulatorModel.ts (firmware profiles, key sets, charging logic, car model and device fault
 * switches are described there). A v2 status filter that names a key the firmware lacks is answered
 * with the keys it has: HTTP 200 up to 055.x, HTTP 400 with the same JSON body on 60.x (reference §3.2). Network faults (delay, 500, garbage, drop) use real time, because they exercise real socket
 * timeouts.
 */
import http from 'http';
import type { Socket } from 'net';
import { closeServer, HeldAnswers, listen } from '../listen';
import { GoeSettableModel } from './emulatorWrites';

export { GOE_PROFILES, GoeChargerModel } from './emulatorModel';
export type { GoeCar, GoeEmulatorOptions, GoeFaults, GoeProfile } from './emulatorModel';

export interface GoeRequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
}

export class GoeEmulator extends GoeSettableModel {
  readonly requests: GoeRequestLog[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly held = new HeldAnswers();
  private baseUrl = '';

  get url(): string {
    if (!this.baseUrl) throw new Error('emulator not started');
    return this.baseUrl;
  }

  /** Listen on `listenHost` (default 127.0.0.1; "::1" for IPv6) at a free port; resolves to the base URL. */
  async start(listenHost = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const hostPort = await listen(server, 0, listenHost);
    this.server = server;
    this.baseUrl = `http://${hostPort}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.held.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  // --- HTTP ------------------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => {
      query[k] = v;
    });
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query });
    const respond = (): void => {
      if (this.faults.drop) {
        req.socket.destroy();
        return;
      }
      if (this.faults.http500) return send(res, 500, "couldn't take api lock in 3s, please try again later", 'text/plain');
      if (this.faults.garbage) return send(res, 200, '<html><body>\u0000garbage', 'text/html');
      if (this.faults.truncated || this.faults.nullValues) mangleBody(res, this.faults.truncated);
      this.route(req, url, res);
    };
    this.held.run(this.faults.delayMs, respond);
  }

  private route(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const cloud = this.options.cloudToken !== undefined;
    const notFound = (): void => send(res, 404, this.spec.notFoundText, 'text/plain');

    if (cloud && (path === '/api_status' || path === '/api') && !this.spec.v2) return this.routeCloudV1(path, q, res);
    if (path === '/api/status' || path === '/api/set') {
      if (!this.spec.v2) return notFound();
      if (cloud) {
        const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const token = bearer ?? q.get('token');
        if (token !== this.options.cloudToken) return sendJson(res, 401, { success: false, reason: 'wrong token' });
        if (this.faults.cloudOffline) return sendJson(res, 403, { success: false, reason: 'charger offline' });
      }
      return path === '/api/status' ? this.routeV2Status(q, res) : this.routeV2Set(q, res, cloud);
    }
    if (path === '/status' || path === '/mqtt') {
      if (!this.spec.v1) return notFound();
      if (path === '/status') return sendJson(res, 200, this.v1Status());
      const payload = q.get('payload') ?? '';
      const eq = payload.indexOf('=');
      if (eq > 0) this.setV1(payload.slice(0, eq), payload.slice(eq + 1));
      return sendJson(res, 200, this.v1Status());
    }
    return notFound();
  }

  private routeV2Status(q: URLSearchParams, res: http.ServerResponse): void {
    const full = this.v2Status();
    const filter = q.get('filter');
    const ok = this.faults.status400 ? 400 : 200;
    if (!filter) return sendJson(res, ok, full);
    let keys: string[];
    if (filter.trim().startsWith('[')) {
      try {
        keys = (JSON.parse(filter) as unknown[]).map(String);
      } catch {
        keys = [];
      }
    } else {
      keys = filter.split(',').map((k) => k.trim()).filter(Boolean);
    }
    const out: Record<string, unknown> = {};
    let missing = false;
    for (const k of keys) {
      if (k in full) out[k] = full[k];
      else missing = true;
    }
    sendJson(res, missing ? this.spec.unknownFilterStatus : ok, out);
  }

  private routeV2Set(q: URLSearchParams, res: http.ServerResponse, cloud: boolean): void {
    const results: Record<string, true | string> = {};
    q.forEach((raw, key) => {
      if (cloud && key === 'token') return;
      results[key] = this.setV2(key, raw);
    });
    const failed = Object.values(results).filter((r) => r !== true).length;
    const total = Object.keys(results).length;
    if (cloud) return sendJson(res, failed === total && total > 0 ? 422 : 202, results);
    if (failed > 0 && this.spec.textSetErrors) return send(res, 500, `${total - failed} succeeded and ${failed} failed`, 'text/plain');
    sendJson(res, failed > 0 ? 500 : 200, results);
  }

  private routeCloudV1(path: string, q: URLSearchParams, res: http.ServerResponse): void {
    const token = q.get('token');
    if (!token) return sendJson(res, 200, { success: false, error: 'no token' });
    if (token !== this.options.cloudToken) return sendJson(res, 200, { success: false, error: 'wrong token' });
    if (this.faults.cloudOffline) return sendJson(res, 200, { success: false, error: 'other' });
    if (path === '/api_status') return sendJson(res, 200, { success: true, age: 250, data: this.v1Status() });
    const payload = q.get('payload') ?? '';
    const eq = payload.indexOf('=');
    if (eq <= 0) return sendJson(res, 200, { success: false, error: 'no payload' });
    this.setV1(payload.slice(0, eq), payload.slice(eq + 1));
    sendJson(res, 200, { success: true, payload });
  }
}

/** Rewrite the JSON body this response will end with: cut in half, or every value null. */
function mangleBody(res: http.ServerResponse, truncate: boolean): void {
  const end = res.end.bind(res) as (body?: string) => http.ServerResponse;
  res.end = ((body?: string) => {
    let out = body ?? '';
    if (truncate) out = out.slice(0, Math.floor(out.length / 2));
    else {
      try {
        out = JSON.stringify(Object.fromEntries(Object.keys(JSON.parse(out) as object).map((k) => [k, null])));
      } catch {
        // not JSON: leave it
      }
    }
    return end(out);
  }) as typeof res.end;
}

function send(res: http.ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, Connection: 'close', 'Access-Control-Allow-Origin': '*' });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json');
}
