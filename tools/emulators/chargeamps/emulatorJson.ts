/**
 * The wire JSON of the Charge Amps cloud emulator (emulator.ts): charge points with their connectors,
 * settings, status with per-phase measurements, and charging sessions, with the EAPI v5 field names in
 * the order the cloud writes them. Pure functions of the model's state (emulatorModel.ts); what a
 * connector does now (measurements, status) comes from the model.
 */
import type { ChargePointState, ConnectorState } from './emulatorModel';

export interface Measurement {
  phase: string;
  current: number;
  voltage: number;
}

/** What the model says a connector does now. */
export interface ConnectorLive {
  measurements: Measurement[];
  status: string;
}

/** The sessionType of a connector's session: Schuko on the outlet, else by the car's phases. */
export function sessionType(c: ConnectorState): string {
  return c.type === 'Schuko' ? 'Schuko' : c.car?.phases === 1 ? 'OnePhase' : 'ThreePhase';
}

export function sessionJson(cpId: string, connectorId: number, id: number, startMs: number, endMs: number | null, kwh: number, type: string) {
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

export function cpJson(cp: ChargePointState, expand: boolean): unknown {
  return {
    id: cp.spec.id,
    name: cp.spec.name,
    password: 'cp-password',
    type: cp.spec.model,
    isLoadbalanced: false,
    firmwareVersion: cp.spec.protocol === 'ocpp' ? '2.1.0' : '1.4.2',
    hardwareVersion: null,
    ownerReadOnly: cp.spec.readOnly,
    ocppVersion: cp.spec.protocol === 'ocpp' ? '1.6' : null,
    settings: expand ? cpSettingsJson(cp) : null,
    connectors: cp.connectors.map((c) => ({
      chargePointId: cp.spec.id,
      connectorId: c.id,
      type: c.type,
      settings: expand ? connSettingsJson(cp, c) : null,
      connectorUserId: null,
    })),
  };
}

export function cpSettingsJson(cp: ChargePointState) {
  return { id: cp.spec.id, dimmer: cp.dimmer, downLight: cp.downLight, maxCurrent: cp.maxCurrent };
}

export function connSettingsJson(cp: ChargePointState, c: ConnectorState) {
  return { chargePointId: cp.spec.id, connectorId: c.id, maxCurrent: c.maxCurrent, rfidLock: c.rfidLock, mode: c.mode, cableLock: c.cableLock };
}

export function statusJson(cp: ChargePointState, live: (c: ConnectorState) => ConnectorLive): unknown {
  return {
    id: cp.spec.id,
    status: cp.online ? 'Online' : 'Offline',
    connectorStatuses: cp.connectors.map((c) => {
      const now = live(c);
      const m = cp.online ? now.measurements : [];
      const s = cp.online ? c.session : null;
      return {
        chargePointId: cp.spec.id,
        connectorId: c.id,
        totalConsumptionKwh: round3(s?.kwh ?? 0),
        chargingPowerKw: round3(m.reduce((sum, x) => sum + x.current * x.voltage, 0) / 1000),
        sessionType: s ? sessionType(c) : null,
        status: now.status,
        measurements: m.length ? m : null,
        startTime: s ? iso(s.startMs) : null,
        endTime: null,
        sessionId: s?.id ?? null,
      };
    }),
  };
}

/** Finished and running sessions, newest first, filtered as the query asks (startTime, endTime, maxCount). */
export function sessionsJson(cp: ChargePointState, connectorId: number | undefined, q: URLSearchParams): Record<string, unknown>[] {
  // a running session names its phases even on the Schuko outlet (unlike status and history): kept as it was
  const live = cp.connectors
    .filter((c) => c.session)
    .map((c) => sessionJson(cp.spec.id, c.id, c.session!.id, c.session!.startMs, null, c.session!.kwh, c.car?.phases === 1 ? 'OnePhase' : 'ThreePhase'));
  let list = [...cp.history, ...live].filter((s) => connectorId === undefined || s.connectorId === connectorId);
  const start = q.get('startTime');
  const end = q.get('endTime');
  if (start) list = list.filter((s) => Date.parse(String(s.startTime)) >= Date.parse(start));
  if (end) list = list.filter((s) => Date.parse(String(s.startTime)) <= Date.parse(end));
  list.sort((a, b) => Number(b.id) - Number(a.id));
  const max = Number(q.get('maxCount'));
  return max > 0 ? list.slice(0, max) : list;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
