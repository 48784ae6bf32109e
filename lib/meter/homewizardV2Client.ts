/**
 * HomeWizard local API v2 (P1 meter firmware 6.00 and later), request side: HTTPS with the meter's own certificate
 * pinned, and the pairing that creates a token.
 *
 * Certificate: each meter has its own certificate, signed by HomeWizard's "Appliance Access CA" and named after the
 * device, not after the IP address the router gave it, so a normal hostname check cannot work on a local address.
 * The app pins instead: at pairing it takes the certificate the meter presents (its SHA-256 fingerprint, stored with
 * the token) and from then on talks only to a peer that presents exactly that one. The check happens right after the
 * TLS handshake, before a byte of the request (and so the token) is written (`openPinnedTls`); any other certificate
 * is refused with one line that names both fingerprints' starts, never the token.
 *
 * Pairing (api-documentation.homewizard.com, "Authorization /api/user"; python-homewizard-energy v2 `get_token`):
 * `POST /api/user` with `{"name": "local/<name>"}` answers 403 `{"error": "user:creation-not-enabled"}` until the
 * button on the meter is pressed; for 30 s after the press it answers 200 `{"token": "<32 hex>", "name": …}`. The app
 * may ask again and again while waiting. Every request carries `X-Api-Version: 2`, and with a token
 * `Authorization: Bearer <token>`; a refused token is 401 `{"error": "user:unauthorized"}`.
 */
import http from 'http';
import net from 'net';
import tls from 'tls';
import { PeerError, describeError, registerSecret } from '../errors';
import { type HostUse, normaliseHost } from '../host';
import { GRID_METER_PRODUCTS, type HomeWizardDeviceInfo } from './homewizard';

export const HOMEWIZARD_V2_PORT = 443;
export const DEFAULT_V2_TIMEOUT_MS = 5000;
/** How long the meter accepts `POST /api/user` after its button was pressed. */
export const PAIRING_WINDOW_S = 30;
/** The user name the app registers on the meter ("local/" is put in front). */
export const V2_USER_NAME = 'phaseguard-ev';

export const HOMEWIZARD_V2_HOST_USE: HostUse = { field: 'meter.host', device: 'HomeWizard P1 meter', example: '192.168.1.30' };

/** "host[:port]" as lib/host.ts normalises it → where to connect (port 443 unless given). */
export function splitV2Host(input: string): { hostPort: string; host: string; port: number } {
  const hostPort = normaliseHost(input, HOMEWIZARD_V2_HOST_USE);
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(hostPort);
  if (!m) throw new PeerError('protocol', `cannot read the address ${hostPort}`);
  return { hostPort, host: m[1] ?? m[2], port: m[3] ? Number(m[3]) : HOMEWIZARD_V2_PORT };
}

/**
 * A SHA-256 certificate fingerprint as stored: 32 bytes as upper-case hex pairs joined by ":" (as node and openssl
 * write it). Accepts the same with or without colons or spaces, any case; null when it is not one.
 */
export function normaliseFingerprint(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const hex = value.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** The first bytes of a fingerprint, enough to tell two apart in a message. */
export const shortFingerprint = (fp: string): string => `${fp.slice(0, 11)}…`;

/** A token as the app accepts it (the meter's are 32 hex digits): 8 to 200 letters, digits or ._~+/=- . */
export function isV2Token(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9._~+/=-]{8,200}$/.test(value);
}

export interface PinnedTls {
  socket: tls.TLSSocket;
  /** The fingerprint of the certificate the peer presented (see `normaliseFingerprint`). */
  fingerprint: string;
}

/** Opens TLS to the meter; with `pin`, only a peer whose certificate has that fingerprint is kept. */
export function openPinnedTls(hostInput: string, pin: string | null, timeoutMs: number): Promise<PinnedTls> {
  const { hostPort, host, port } = splitV2Host(hostInput);
  return new Promise((resolve, reject) => {
    // The chain is not checked by name (see above): the pinned fingerprint is the check, done before any write.
    const socket = tls.connect({ host, port, rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
    socket.setTimeout(timeoutMs);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err instanceof PeerError ? err : new PeerError('unreachable', `HomeWizard ${hostPort}: ${socketProblem(err)}`));
    };
    socket.once('timeout', () => fail(new PeerError('timeout', `HomeWizard ${hostPort}: no answer within ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const fingerprint = normaliseFingerprint(socket.getPeerCertificate()?.fingerprint256 ?? '');
      if (!fingerprint) return fail(new PeerError('protocol', `HomeWizard ${hostPort}: presented no certificate`));
      if (pin !== null && fingerprint !== pin) {
        return fail(new PeerError('auth',
          `HomeWizard ${hostPort}: refused: its certificate (${shortFingerprint(fingerprint)}) is not the one pinned at pairing (${shortFingerprint(pin)}); ` +
          'another device answers at this address, or the meter was reset or replaced: pair it again on the settings page'));
      }
      socket.removeListener('error', fail);
      socket.removeAllListeners('timeout');
      socket.setTimeout(0);
      resolve({ socket, fingerprint });
    });
  });
}

/** A socket error in plain words. */
export function socketProblem(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is it a P1 meter with firmware 6 or later?)',
    ETIMEDOUT: 'no answer (timeout)',
    ENOTFOUND: 'host name not found',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset by the meter',
    EPROTO: 'TLS failed (does it speak HTTPS?)',
  };
  return words[code] ?? describeError(err);
}

export interface V2Answer {
  status: number;
  /** The parsed JSON answer, or null (no body, or not JSON). */
  body: unknown;
  fingerprint: string;
}

export interface V2RequestOptions {
  host: string;
  /** The pinned certificate; null only while pairing (the first contact pins it). */
  pin: string | null;
  token?: string | null;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  timeoutMs?: number;
}

/** One HTTPS request over a pinned connection; never carries the token to an unpinned peer. */
export async function v2Request(opts: V2RequestOptions): Promise<V2Answer> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_V2_TIMEOUT_MS;
  const { hostPort } = splitV2Host(opts.host);
  if (opts.token && opts.pin === null) throw new PeerError('auth', `HomeWizard ${hostPort}: no pinned certificate; pair the meter on the settings page`);
  const { socket, fingerprint } = await openPinnedTls(opts.host, opts.pin, timeoutMs);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Host: hostPort, 'X-Api-Version': '2', Accept: 'application/json', Connection: 'close' };
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const where = `HomeWizard ${hostPort} ${opts.method ?? 'GET'} ${opts.path}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ method: opts.method ?? 'GET', path: opts.path, headers, createConnection: () => socket });
    req.setTimeout(timeoutMs, () => req.destroy(new PeerError('timeout', `${where}: no answer within ${timeoutMs} ms`)));
    req.once('error', (err) => reject(err instanceof PeerError ? err : new PeerError('unreachable', `${where}: ${socketProblem(err)}`)));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) req.destroy(new PeerError('protocol', `${where}: answer larger than 64 kB refused`));
        else chunks.push(c);
      });
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = null;
        }
        resolve({ status: res.statusCode ?? 0, body, fingerprint });
      });
    });
    req.end(payload);
  });
}

const errorCode = (body: unknown): string | null => {
  const e = (body as { error?: unknown } | null)?.error;
  if (typeof e === 'string') return e;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
};

export type TokenAnswer = { state: 'press-button'; fingerprint: string } | { state: 'token'; token: string; fingerprint: string };

/** One `POST /api/user`: the token once the button was pressed, else 'press-button'. Throws one line otherwise. */
export async function requestV2Token(host: string, pin: string | null, opts: { name?: string; timeoutMs?: number } = {}): Promise<TokenAnswer> {
  const r = await v2Request({ host, pin, method: 'POST', path: '/api/user', body: { name: `local/${opts.name ?? V2_USER_NAME}` }, timeoutMs: opts.timeoutMs });
  const { hostPort } = splitV2Host(host);
  if (r.status === 403) return { state: 'press-button', fingerprint: r.fingerprint };
  const token = (r.body as { token?: unknown } | null)?.token;
  if (r.status === 200 && isV2Token(token)) {
    registerSecret(token);
    return { state: 'token', token, fingerprint: r.fingerprint };
  }
  if (r.status === 404) throw new PeerError('http', `HomeWizard ${hostPort}: no API v2 here (HTTP 404): update the P1 meter to firmware 6 or later, or use the local API v1`, 404);
  throw new PeerError('protocol', `HomeWizard ${hostPort}: creating the user failed (HTTP ${r.status}${errorCode(r.body) ? `, ${errorCode(r.body)}` : ''})`, r.status);
}

/** `GET /api` with the token: the device, checked to be a grid meter; a refused token says to pair again. */
export async function fetchV2Device(host: string, pin: string, token: string, timeoutMs?: number): Promise<HomeWizardDeviceInfo> {
  registerSecret(token);
  const r = await v2Request({ host, pin, token, path: '/api', timeoutMs });
  const { hostPort } = splitV2Host(host);
  if (r.status === 401) throw new PeerError('auth', `HomeWizard ${hostPort}: the meter refused the token (HTTP 401): pair it again on the settings page`, 401);
  if (r.status !== 200) throw new PeerError('http', `HomeWizard ${hostPort}: GET /api answered HTTP ${r.status}`, r.status);
  const b = r.body as Record<string, unknown> | null;
  const productType = typeof b?.product_type === 'string' ? b.product_type : null;
  if (!productType) throw new PeerError('protocol', `HomeWizard ${hostPort}: no product_type in /api`);
  if (!GRID_METER_PRODUCTS[productType]) throw new PeerError('protocol', `HomeWizard ${hostPort} is a ${productType}, not a P1 meter`);
  return {
    productType,
    productName: String(b?.product_name ?? GRID_METER_PRODUCTS[productType]),
    serial: String(b?.serial ?? ''),
    firmwareVersion: String(b?.firmware_version ?? ''),
    apiVersion: String(b?.api_version ?? ''),
  };
}
