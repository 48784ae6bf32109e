/**
 * Charge Amps → `ChargerStatus`, in one place: status strings to states, kW/kWh to W/Wh, per-phase
 * measurements, and a lifetime energy meter built from the charging sessions.
 */
import { ChargerState, ChargerStatus, PhaseIndex, countActivePhases, emptyPhases } from '../charger';
import type { ChargePoint, ChargePointStatus, ChargingSession, Connector, ConnectorSettings, ConnectorStatus } from './types';
import { isRecord } from '../record';

export type Protocol = 'ocpp' | 'capi';

export function protocolOf(cp: Pick<ChargePoint, 'ocppVersion'>): Protocol {
  return cp.ocppVersion ? 'ocpp' : 'capi';
}

/** OCPP 1.6 connector statuses in the order the v4 document numbers them. */
export const OCPP_STATUSES = ['Available', 'Preparing', 'Charging', 'SuspendedEVSE', 'SuspendedEV', 'Finishing', 'Reserved', 'Unavailable', 'Faulted', 'Unknown'] as const;
/** Charge Amps' own (CAPI) connector statuses in document order. */
export const CAPI_STATUSES = ['Available', 'Charging', 'Connected', 'Error', 'Unknown'] as const;

interface StateInfo {
  state: ChargerState;
  /** A car (or appliance) is plugged in. */
  plugged: boolean;
  error: string | null;
}

const STATES: Record<string, StateInfo> = {
  available: { state: 'idle', plugged: false, error: null },
  preparing: { state: 'connected', plugged: true, error: null },
  connected: { state: 'connected', plugged: true, error: null },
  charging: { state: 'charging', plugged: true, error: null },
  // The charger holds back current (limit 0 A, mode off, schedule): a car waits to charge.
  suspendedevse: { state: 'connected', plugged: true, error: null },
  // The car takes no current (usually full).
  suspendedev: { state: 'complete', plugged: true, error: null },
  finishing: { state: 'complete', plugged: true, error: null },
  reserved: { state: 'idle', plugged: false, error: null },
  unavailable: { state: 'unknown', plugged: false, error: 'Connector is unavailable (switched off or out of service)' },
  faulted: { state: 'error', plugged: false, error: 'Charger reports a fault (Faulted)' },
  error: { state: 'error', plugged: false, error: 'Charger reports an error' },
  unknown: { state: 'unknown', plugged: false, error: null },
};

/** Map a connector status string (name in any case, or its number in the protocol's table). */
export function connectorState(raw: string | null | undefined, protocol: Protocol): StateInfo & { name: string | null } {
  let name = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  if (/^\d+$/.test(name)) {
    const table: readonly string[] = protocol === 'ocpp' ? OCPP_STATUSES : CAPI_STATUSES;
    name = table[Number(name)] ?? name;
  }
  const info = STATES[name.toLowerCase()];
  if (info) return { ...info, name };
  return { state: 'unknown', plugged: false, error: name ? `Unrecognised connector status "${name.slice(0, 40)}"` : null, name: name || null };
}

/** The objects of a list from the cloud; anything else (a list that is no list, null elements) counts as none. */
export function objectsOf<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v.filter(isRecord) as T[]) : [];
}

/** A charge point's connectors as objects (`objectsOf`). */
export function connectorsOf(cp: ChargePoint): Connector[] {
  return objectsOf<Connector>(cp.connectors);
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Lifetime energy (Wh) = completed sessions + the live one, each session counted once by id.
 * The live session's energy comes from the status when it is fresher than the session list.
 */
export function lifetimeEnergyWh(sessions: ChargingSession[], live?: ConnectorStatus | null): number {
  const byId = new Map<number, number>();
  for (const s of sessions) byId.set(s.id, num(s.totalConsumptionKwh) ?? 0);
  const liveKwh = num(live?.totalConsumptionKwh);
  if (live?.sessionId != null && liveKwh !== null) byId.set(live.sessionId, Math.max(byId.get(live.sessionId) ?? 0, liveKwh));
  let kwh = 0;
  for (const v of byId.values()) kwh += v;
  return Math.round(kwh * 1000);
}

export interface NormaliseInput {
  chargePoint: ChargePoint;
  connectorId: number;
  status: ChargePointStatus | null;
  settings: ConnectorSettings | null;
  totalEnergyWh: number | null;
}

export function connectorLabel(cp: ChargePoint, connectorId: number): string {
  const connectors = connectorsOf(cp);
  const type = connectors.find((c) => c.connectorId === connectorId)?.type;
  if (typeof type === 'string' && type.toLowerCase() === 'schuko') return 'Schuko';
  const chargers = connectors.filter((c) => String(c.type).toLowerCase() !== 'schuko').length;
  return chargers > 1 ? `Type 2 (${connectorId})` : 'Type 2';
}

export function isSchuko(cp: ChargePoint, connectorId: number): boolean {
  return String(connectorsOf(cp).find((c) => c.connectorId === connectorId)?.type ?? '').toLowerCase() === 'schuko';
}

export function normaliseConnector(input: NormaliseInput): ChargerStatus {
  const { chargePoint: cp, connectorId, status, settings } = input;
  const online = typeof status?.status === 'string' && status.status.toLowerCase() === 'online';
  const cs = online ? (objectsOf<ConnectorStatus>(status?.connectorStatuses).find((c) => c.connectorId === connectorId) ?? null) : null;
  const info = online ? connectorState(cs?.status, protocolOf(cp)) : { state: 'unknown' as ChargerState, error: null };
  const phases = emptyPhases();
  if (online && cs) {
    for (const m of objectsOf<NonNullable<ConnectorStatus['measurements']>[number]>(cs.measurements)) {
      const idx = ['l1', 'l2', 'l3'].indexOf(String(m.phase).toLowerCase());
      if (idx < 0) continue;
      const currentA = num(m.current);
      const voltageV = num(m.voltage);
      phases[idx] = {
        phase: idx as PhaseIndex,
        currentA,
        voltageV,
        powerW: currentA !== null && voltageV !== null ? Math.round(currentA * voltageV) : null,
      };
    }
  }
  const measuredW = phases.reduce<number | null>((sum, p) => (p.powerW === null ? sum : (sum ?? 0) + p.powerW), null);
  const kw = num(cs?.chargingPowerKw);
  const sessionKwh = num(cs?.totalConsumptionKwh);
  const mode = settings?.mode;
  const limit = settings ? num(settings.maxCurrent) ?? num(settings.installationCurrent) : null;
  return {
    brand: 'chargeamps',
    api: 'eapi',
    id: `${cp.id}:${connectorId}`,
    connector: connectorId,
    name: `${cp.name ?? cp.id} ${connectorLabel(cp, connectorId)}`,
    firmware: cp.firmwareVersion ?? null,
    online,
    state: info.state,
    chargingAllowed: online && settings !== null && String(mode).toLowerCase() !== 'off' && limit !== 0,
    currentLimitA: limit,
    phases,
    activePhases: countActivePhases(phases),
    powerW: !online || !cs ? null : kw !== null ? Math.round(kw * 1000) : measuredW ?? 0,
    sessionEnergyWh: sessionKwh !== null && online ? Math.round(sessionKwh * 1000) : null,
    totalEnergyWh: input.totalEnergyWh,
    temperatureC: null,
    error: info.error,
  };
}
