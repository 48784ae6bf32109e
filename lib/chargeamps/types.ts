/**
 * Wire types of the Charge Amps External API v5 (camelCase JSON, enums as strings) and the one place
 * that turns an unusable HTTP answer into a `PeerError`. Field notes: docs in the EAPI v5 OpenAPI file.
 */
import { PeerError, oneLine } from '../errors';
import type { HttpResponse } from '../http';

export const DEFAULT_BASE_URL = 'https://eapi.charge.space/api/v5';

export type OnOffMode = 'Off' | 'On' | 'Schedule';
export type DimmerValue = 'Off' | 'Low' | 'Medium' | 'High';
export type ConnectorType = 'Charger' | 'Schuko';
export type SessionType = 'OnePhase' | 'ThreePhase' | 'Schuko';

export const ON_OFF_MODES: readonly OnOffMode[] = ['Off', 'On', 'Schedule'];
export const DIMMER_VALUES: readonly DimmerValue[] = ['Off', 'Low', 'Medium', 'High'];

export interface Connector {
  chargePointId: string | null;
  connectorId: number;
  type: ConnectorType | string;
  settings?: ConnectorSettings | null;
  connectorUserId?: string | null;
}

export interface ChargePoint {
  id: string;
  name: string | null;
  password?: string | null;
  type: string | null;
  isLoadbalanced?: boolean | null;
  firmwareVersion: string | null;
  hardwareVersion: string | null;
  ownerReadOnly?: boolean;
  /** null = Charge Amps' own protocol (CAPI), "1.6" = OCPP. */
  ocppVersion: string | null;
  settings?: ChargePointSettings | null;
  connectors: Connector[] | null;
}

export interface Measurement {
  phase: 'L1' | 'L2' | 'L3' | string;
  current: number | null;
  voltage: number | null;
}

export interface ConnectorStatus {
  chargePointId: string | null;
  connectorId: number;
  /** kWh of the current or last session (not a lifetime meter). */
  totalConsumptionKwh: number | null;
  chargingPowerKw?: number | null;
  sessionType: SessionType | null;
  /** A free string: OCPP or CAPI status names (sometimes their numbers). */
  status: string | null;
  /** Only set while charging. */
  measurements: Measurement[] | null;
  startTime: string | null;
  endTime: string | null;
  sessionId: number | null;
}

export interface ChargePointStatus {
  id: string | null;
  status: 'Online' | 'Offline' | string;
  connectorStatuses: ConnectorStatus[] | null;
}

export interface ChargePointSettings {
  id: string | null;
  dimmer: DimmerValue;
  downLight: boolean | null;
  maxCurrent: number | null;
  /** Only in GET answers. */
  installationCurrent?: number | null;
}

export interface ConnectorSettings {
  chargePointId: string | null;
  connectorId: number;
  maxCurrent: number | null;
  rfidLock: boolean;
  mode: OnOffMode;
  cableLock: boolean;
  /** Only in GET answers. */
  installationCurrent?: number;
}

export interface ChargingSession {
  id: number;
  chargePointId: string | null;
  connectorId: number;
  userId?: string | null;
  rfid?: string | null;
  sessionType: SessionType | null;
  startTime: string;
  /** null while the session is going on. */
  endTime: string | null;
  externalTransactionId?: string | null;
  totalConsumptionKwh: number;
}

export interface LoginResponse {
  message: string | null;
  token: string | null;
  refreshToken: string | null;
  user: unknown;
}

export interface TokenPair {
  token: string | null;
  refreshToken: string | null;
}

/** A short, redacted description of an error answer (bodies are octet-stream text or `{error, messageCode}`). */
function bodyHint(res: HttpResponse): string {
  const text = res.text.trim();
  if (!text) return '';
  try {
    const body = JSON.parse(text) as { error?: unknown; messageCode?: unknown; message?: unknown };
    const msg = [body.error, body.messageCode, body.message].filter((v) => typeof v === 'string' && v).join(' / ');
    if (msg) return `: ${oneLine(msg).slice(0, 120)}`;
  } catch {
    // plain text
  }
  return `: ${oneLine(text).slice(0, 80)}`;
}

/**
 * A `Retry-After` header in ms from now: delay-seconds, or an HTTP-date compared with `wallNowMs`
 * (the injected clock's wall time; a date in the past gives 0). undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | undefined, wallNowMs: number): number | undefined {
  const v = (value ?? '').trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (/^[+-]?[\d.]/.test(v)) return undefined; // a negative or malformed number
  const atMs = Date.parse(v);
  return Number.isFinite(atMs) && Number.isFinite(wallNowMs) ? Math.max(0, atMs - wallNowMs) : undefined;
}

/**
 * The error for a non-2xx answer to `where` ("GET chargepoints/X/status"). A 429 or 5xx carries the
 * server's `Retry-After` as `retryAfterMs` when it sent one (an HTTP-date needs `wallNowMs`).
 */
export function peerErrorFor(res: HttpResponse, where: string, wallNowMs?: number): PeerError {
  const s = res.status;
  const retryAfterMs = s === 429 || s >= 500 ? parseRetryAfterMs(res.headers['retry-after'], wallNowMs ?? Number.NaN) : undefined;
  const wait = retryAfterMs === undefined ? '' : `; asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
  if (s === 429) return new PeerError('rate-limit', `${where}: Charge Amps asked us to slow down (HTTP 429${wait})`, s, { retryAfterMs });
  if (s === 401) return new PeerError('auth', `${where}: not authorised (HTTP 401)${bodyHint(res)}`, s);
  if (s === 403) return new PeerError('auth', `${where}: this account has no access (HTTP 403)${bodyHint(res)}`, s);
  if (s === 404) return new PeerError('http', `${where}: not found (HTTP 404)`, s);
  if (s >= 500) return new PeerError('http', `${where}: Charge Amps cloud error (HTTP ${s}${wait})`, s, { retryAfterMs });
  return new PeerError('http', `${where}: HTTP ${s}${bodyHint(res)}`, s);
}

/**
 * The body of a 2xx answer: parsed JSON, or undefined when empty (a PUT answers 200 with an empty
 * octet-stream). Anything else, such as an HTML maintenance page, is a 'protocol' PeerError that
 * quotes at most a short prefix of the body.
 */
export function parseJsonAnswer<T>(res: HttpResponse, where: string): T | undefined {
  const text = res.text.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    const type = (res.headers['content-type'] ?? 'no content type').split(';')[0].trim().slice(0, 40);
    const prefix = oneLine(text.slice(0, 200)).slice(0, 32);
    throw new PeerError('protocol', `${where}: expected JSON or an empty answer, got ${type} "${prefix}${text.length > 32 ? '…' : ''}" (HTTP ${res.status})`, res.status);
  }
}

/**
 * Overload answers, network trouble and a 2xx answer that is not JSON (a maintenance page) are worth
 * trying again later; everything else (refused credentials, 4xx, a JSON answer of the wrong shape) is not.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof PeerError)) return false;
  if (err.kind === 'rate-limit' || err.kind === 'timeout' || err.kind === 'unreachable') return true;
  if (err.kind === 'protocol') return err.status !== undefined && err.status >= 200 && err.status < 300;
  return err.kind === 'http' && (err.status ?? 0) >= 500;
}
