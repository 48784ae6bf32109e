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

/** The error for a non-2xx answer to `where` ("GET chargepoints/X/status"). */
export function peerErrorFor(res: HttpResponse, where: string): PeerError {
  const s = res.status;
  if (s === 429) return new PeerError('rate-limit', `${where}: Charge Amps asked us to slow down (HTTP 429)`, s);
  if (s === 401) return new PeerError('auth', `${where}: not authorised (HTTP 401)${bodyHint(res)}`, s);
  if (s === 403) return new PeerError('auth', `${where}: this account has no access (HTTP 403)${bodyHint(res)}`, s);
  if (s === 404) return new PeerError('http', `${where}: not found (HTTP 404)`, s);
  if (s >= 500) return new PeerError('http', `${where}: Charge Amps cloud error (HTTP ${s})`, s);
  return new PeerError('http', `${where}: HTTP ${s}${bodyHint(res)}`, s);
}

/** Overload answers and network trouble are worth retrying later; everything else is not. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof PeerError)) return false;
  if (err.kind === 'rate-limit' || err.kind === 'timeout' || err.kind === 'unreachable') return true;
  return err.kind === 'http' && (err.status ?? 0) >= 500;
}
