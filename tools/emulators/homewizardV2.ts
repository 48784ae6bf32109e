/**
 * A HomeWizard P1 meter with the local API v2 (firmware 6.00+) on loopback: HTTPS with its own self-signed
 * certificate, a token created by `POST /api/user` after a (simulated) button press, `GET /api`,
 * `GET /api/measurement`, and the WebSocket `/api/ws` (authorization, subscribe "measurement") that pushes each new
 * measurement. The protocol as HomeWizard documents it (api-documentation.homewizard.com, v2 "Authorization" and
 * "WebSocket"); payloads are the real v2 ones (python-homewizard-energy's fixtures, Apache-2.0, bundled in
 * test/fixtures/meter/homewizard): the caller hands in the measurement per push (`measurementWithValues` puts other
 * currents into a real one).
 *
 * Certificate: made at start with `openssl` (an EC P-256 key, valid one day) when the machine has it, else the
 * TEST-ONLY pair in tools/emulators/certs/ (never used by the app). Two of them: `changeCertificate()` switches to the
 * second one for new connections (the "changed certificate" fault). `fingerprint` is the current one's SHA-256.
 *
 * Button: `pressButton()` opens the 30 s window in which `POST /api/user` answers a token (403
 * `{"error":"user:creation-not-enabled"}` otherwise); `autoPress` accepts every request (the demo).
 *
 * Fault switches (`faults`, change them at any time): silent (no pushes; connections stay open), rejectTokens (every
 * token refused: 401 on HTTP, an error and close on the WebSocket). `dropConnections()` closes every WebSocket now.
 */
import { execFileSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import http from 'http';
import https from 'https';
import os from 'os';
import path from 'path';
import type { Duplex } from 'stream';
import type { Clock } from '../../lib/clock';
import { WS_OPCODE, WsDecoder, closePayload, encodeWsFrame, wsAcceptKey } from '../../lib/meter/wsFrames';
import { closeServer, listen, Repeater } from './listen';

export interface TestCertificate {
  key: string;
  cert: string;
}

const CERT_DIR = path.join(__dirname, 'certs');

/** A self-signed certificate: made by openssl when present, else the committed test-only pair `n` (1 or 2). */
export function makeCertificate(n: 1 | 2): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hwv2-'));
  try {
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/C=NL/O=PhaseGuard test/CN=p1meter-emulator-${n}`, '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
  } catch {
    return { key: fs.readFileSync(path.join(CERT_DIR, `test-only-${n}.key.pem`), 'utf8'), cert: fs.readFileSync(path.join(CERT_DIR, `test-only-${n}.cert.pem`), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 fingerprint of a PEM certificate, as the app stores it ("AB:CD:…"). */
export function certificateFingerprint(pem: string): string {
  return new crypto.X509Certificate(pem).fingerprint256.toUpperCase();
}

/**
 * A real v2 measurement carrying other values: per phase the signed current (A, whole amps like a DSMR meter),
 * the power at `voltageV` with the same sign, `power_w` their sum, and `timestamp` moved on by `n` seconds.
 */
export function measurementWithValues(template: Record<string, unknown>, values: { currentsA: (number | null)[]; voltageV?: number; n?: number }): Record<string, unknown> {
  const out: Record<string, unknown> = { ...template };
  const u = values.voltageV ?? 230;
  let total = 0;
  values.currentsA.forEach((a, p) => {
    const l = `l${p + 1}`;
    if (a === null) return;
    const w = Math.round(a * u);
    out[`current_${l}_a`] = Math.trunc(a);
    out[`power_${l}_w`] = w;
    out[`voltage_${l}_v`] = u;
    total += w;
  });
  out.power_w = total;
  out.current_a = values.currentsA.reduce<number>((s, a) => s + Math.abs(Math.trunc(a ?? 0)), 0);
  if (typeof template.timestamp === 'string' && values.n !== undefined) {
    const t = new Date(`${template.timestamp}Z`).getTime() + values.n * 1000;
    out.timestamp = new Date(t).toISOString().slice(0, 19);
  }
  return out;
}

export interface HomeWizardV2EmulatorOptions {
  /** The measurement of push n (0, 1, …). */
  measurement: (n: number) => Record<string, unknown>;
  /** GET /api (default: the real v2 device answer of an HWE-P1 on firmware 6.00). */
  device?: Record<string, unknown>;
  /** For `play()`. */
  clock?: Clock;
  /** Between pushes in `play()`; default 1000 ms. */
  intervalMs?: number;
  /** Every POST /api/user gets a token, as if the button was always just pressed. */
  autoPress?: boolean;
  /** The time of the button window (default Date.now, real time). */
  nowMs?: () => number;
}

export interface HomeWizardV2Faults {
  silent: boolean;
  rejectTokens: boolean;
}

interface WsClient {
  socket: Duplex;
  authorized: boolean;
  subscribed: boolean;
}

export class HomeWizardV2Emulator {
  readonly faults: HomeWizardV2Faults = { silent: false, rejectTokens: false };
  readonly stats = { userRequests: 0, tokensIssued: 0, httpRequests: 0, wsConnections: 0, pushes: 0 };
  /** Every token issued (tests check they never show up in logs). */
  readonly tokens = new Set<string>();
  /** Called with `performance.now()` right after push n was written to the subscribed sockets (the latency bench). */
  onPush: ((n: number, atMs: number) => void) | null = null;
  private readonly certs: [TestCertificate, TestCertificate];
  private certIndex: 0 | 1 = 0;
  private server: https.Server | null = null;
  private readonly clients = new Set<WsClient>();
  private pressedAtMs: number | null = null;
  private n = 0;
  private current: Record<string, unknown>;
  private readonly repeater: Repeater;

  constructor(private readonly opts: HomeWizardV2EmulatorOptions) {
    this.certs = [makeCertificate(1), makeCertificate(2)];
    this.current = opts.measurement(0);
    this.repeater = new Repeater('HomeWizardV2Emulator', opts.clock, opts.intervalMs ?? 1000, () => void this.pushNext());
  }

  /** SHA-256 of the certificate new connections get. */
  get fingerprint(): string {
    return certificateFingerprint(this.certs[this.certIndex].cert);
  }

  async start(port = 0, address = '127.0.0.1'): Promise<string> {
    const server = https.createServer({ ...this.certs[0] }, (req, res) => this.http(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    const hostPort = await listen(server, port, address);
    this.server = server;
    return hostPort;
  }

  async stop(): Promise<void> {
    this.pause();
    this.dropConnections();
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    await closeServer(server);
  }

  /** The button on the meter: POST /api/user answers a token for the next 30 s. */
  pressButton(): void {
    this.pressedAtMs = (this.opts.nowMs ?? Date.now)();
  }

  /** New connections get the other certificate (a reset or replaced meter, or another device at the address). */
  changeCertificate(): void {
    this.certIndex = this.certIndex === 0 ? 1 : 0;
    this.server?.setSecureContext({ ...this.certs[this.certIndex] });
  }

  /** Close every WebSocket now (the "dropped connection" fault). */
  dropConnections(): void {
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
  }

  get wsClients(): number {
    return this.clients.size;
  }

  play(): void {
    this.repeater.play();
  }

  pause(): void {
    this.repeater.pause();
  }

  /** The next measurement: served by GET /api/measurement and pushed to every subscribed socket (unless silent). */
  pushNext(): Record<string, unknown> {
    this.n++;
    this.current = this.opts.measurement(this.n);
    if (this.faults.silent) return this.current;
    const frame = encodeWsFrame(WS_OPCODE.text, JSON.stringify({ type: 'measurement', data: this.current }));
    for (const c of this.clients) if (c.subscribed) c.socket.write(frame);
    this.stats.pushes++;
    this.onPush?.(this.n, performance.now());
    return this.current;
  }

  private validToken(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    return !this.faults.rejectTokens && token !== undefined && this.tokens.has(token);
  }

  private http(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.httpRequests++;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/api/user' && req.method === 'POST') return this.createUser(Buffer.concat(chunks).toString('utf8'), send);
      if (!this.validToken(req.headers.authorization)) return send(401, { error: 'user:unauthorized' });
      if (req.url === '/api' && req.method === 'GET') return send(200, this.opts.device ?? DEVICE_FW600);
      if (req.url === '/api/measurement' && req.method === 'GET') return send(200, this.current);
      send(404, { error: 'request:not-found' });
    });
  }

  private createUser(text: string, send: (status: number, body: unknown) => void): void {
    this.stats.userRequests++;
    let name: unknown;
    try {
      name = (JSON.parse(text) as { name?: unknown }).name;
    } catch {
      name = undefined;
    }
    if (typeof name !== 'string' || !/^local\/[a-zA-Z0-9\-_/\\# ]{1,40}$/.test(name)) return send(400, { error: 'request:invalid-name' });
    const now = (this.opts.nowMs ?? Date.now)();
    const pressed = this.opts.autoPress || (this.pressedAtMs !== null && now - this.pressedAtMs <= 30_000);
    if (!pressed) return send(403, { error: 'user:creation-not-enabled' });
    const token = crypto.randomBytes(16).toString('hex').toUpperCase();
    this.tokens.add(token);
    this.stats.tokensIssued++;
    send(200, { token, name });
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const key = req.headers['sec-websocket-key'];
    if (req.url !== '/api/ws' || typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.stats.wsConnections++;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAcceptKey(key)}\r\n\r\n`);
    const client: WsClient = { socket, authorized: false, subscribed: false };
    this.clients.add(client);
    const decoder = new WsDecoder(true);
    const sendJson = (msg: unknown): void => {
      socket.write(encodeWsFrame(WS_OPCODE.text, JSON.stringify(msg)));
    };
    const receive = (chunk: Buffer): void => {
      let messages;
      try {
        messages = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (m.kind === 'ping') socket.write(encodeWsFrame(WS_OPCODE.pong, m.data));
        else if (m.kind === 'close') {
          socket.end(encodeWsFrame(WS_OPCODE.close, closePayload(1000)));
          this.clients.delete(client);
        } else if (m.kind === 'text') this.wsMessage(client, m.text, sendJson);
      }
    };
    socket.on('data', receive);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.clients.delete(client));
    sendJson({ type: 'authorization_requested', data: { api_version: '2.0.0' } });
    if (head.length > 0) receive(head);
  }

  private wsMessage(client: WsClient, text: string, sendJson: (msg: unknown) => void): void {
    let msg: { type?: unknown; data?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return sendJson({ type: 'error', data: { message: 'request:invalid-json' } });
    }
    if (msg.type === 'authorization') {
      if (this.faults.rejectTokens || typeof msg.data !== 'string' || !this.tokens.has(msg.data)) {
        sendJson({ type: 'error', data: { message: 'user:unauthorized' } });
        client.socket.end(encodeWsFrame(WS_OPCODE.close, closePayload(1008, 'unauthorized')));
        return;
      }
      client.authorized = true;
      return sendJson({ type: 'authorized' });
    }
    if (!client.authorized) return sendJson({ type: 'error', data: { message: 'user:unauthorized' } });
    if (msg.type === 'subscribe' && (msg.data === 'measurement' || msg.data === '*')) {
      client.subscribed = true;
      if (!this.faults.silent) sendJson({ type: 'measurement', data: this.current });
    }
  }
}

/** GET /api of a real HWE-P1 on firmware 6.00 (python-homewizard-energy tests/v2/fixtures/HWE-P1/device.json, Apache-2.0). */
export const DEVICE_FW600 = { product_name: 'P1 Meter', product_type: 'HWE-P1', serial: '5c2fafaabbcc', firmware_version: '6.00', api_version: '2.0.0' };

/** `npx tsx tools/emulators/homewizardV2.ts [--port 8443] [--auto-press]`: the real 3-phase measurement, one push a second. */
async function cli(argv: string[]): Promise<void> {
  const port = Number(argv[argv.indexOf('--port') + 1]) || 0;
  const template = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'meter', 'homewizard', 'v2_api_measurement_HWE-P1_fw6.00_3phase.json'), 'utf8')) as Record<string, unknown>;
  const { SystemClock } = await import('../../lib/clock');
  const house = (n: number): number[] => [0, 1, 2].map((p) => 4 + 3 * Math.sin(n / 20 + p * 2));
  const emu = new HomeWizardV2Emulator({ measurement: (n) => measurementWithValues(template, { currentsA: house(n), n }), clock: new SystemClock(), autoPress: argv.includes('--auto-press') });
  const hostPort = await emu.start(port);
  emu.play();
  process.stdout.write(`HomeWizard P1 (API v2) emulator on https://${hostPort} (certificate SHA-256 ${emu.fingerprint})\n` +
    (argv.includes('--auto-press') ? 'every POST /api/user gets a token (--auto-press)\n' : 'press Enter to press the meter\'s button\n'));
  process.stdin.on('data', () => {
    emu.pressButton();
    process.stdout.write('button pressed: POST /api/user answers a token for 30 s\n');
  });
}

if (require.main === module) void cli(process.argv.slice(2));
