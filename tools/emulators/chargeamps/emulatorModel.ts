/**
 * The charge points behind the Charge Amps cloud emulator (emulator.ts): an OCPP (Halo: Type 2 +
 * Schuko) or CAPI (Aura: two Type 2) charge point per spec, a connector state machine with per-phase
 * measurements that obey maxCurrent and mode, session history, and the settings writes and remote
 * commands (the wire JSON of each resource: emulatorJson.ts). Fault switches for devices that answer OK
 * but do not obey (`setIgnoreLimit`, `setIgnorePause`) live here; cloud faults (429, 5xx, HTML pages)
 * live in the HTTP layer.
 */
import type { Clock } from '../../../lib/clock';
import type { DimmerValue, OnOffMode } from '../../../lib/chargeamps/types';
import { DIMMER_VALUES, ON_OFF_MODES } from '../../../lib/chargeamps/types';
import { ConnectorLive, Measurement, sessionJson, sessionType } from './emulatorJson';

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
  /**
   * v5 `ownerReadOnly`: the account may read this charge point but not change it (an organisation setting); every
   * PUT answers 403 [INF: the API says only "read-only access"].
   */
  readOnly?: boolean;
}

export interface ModelOptions {
  clock: Clock;
  voltagesV: [number, number, number];
  /** OCPP quirk: mode Off during a session does not stop charging. */
  ocppModeOffKeepsCharging: boolean;
  /**
   * How long a settings change (limit, mode) takes from the cloud to the car (ms): the cloud reports the
   * new settings at once, the car follows this much later. 0 = at once.
   */
  commandLatencyMs?: number;
}

interface Session {
  id: number;
  startMs: number;
  kwh: number;
}

export interface ConnectorState {
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
  /** Fault: the car keeps this limit (A) whatever maxCurrent says; null = it obeys. */
  ignoredLimitA: number | null;
  /** Fault: mode Off (and a remote stop) are answered OK but the current keeps flowing. */
  ignorePause: boolean;
  /** What the charge point applies now, and settings on their way to it (see `commandLatencyMs`). */
  applied: { maxCurrent: number | null; mode: OnOffMode };
  pending: { atMs: number; maxCurrent: number | null; mode: OnOffMode }[];
}

export interface ChargePointState {
  spec: Required<ChargePointSpec>;
  online: boolean;
  dimmer: DimmerValue;
  downLight: boolean | null;
  maxCurrent: number | null;
  connectors: ConnectorState[];
  history: Record<string, unknown>[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown = '',
  ) {
    super(`HTTP ${status}`);
  }
}

/** The charge points and their connectors, on the injected clock; no HTTP. */
export class ChargeAmpsModel {
  readonly clock: Clock;
  private readonly model: ModelOptions;
  protected readonly cps = new Map<string, ChargePointState>();
  private lastMs: number;
  private nextSessionId = 129027347;

  constructor(options: ModelOptions) {
    this.clock = options.clock;
    this.model = options;
    this.lastMs = this.clock.nowMs();
  }

  /** The owner of a charge point added without one. */
  protected defaultOwner(): string {
    return 'owner@example.com';
  }

  addChargePoint(spec: ChargePointSpec): void {
    const full: Required<ChargePointSpec> = {
      name: `${spec.model}_${spec.id.slice(-7)}`,
      installationCurrentA: 16,
      owner: this.defaultOwner(),
      readOnly: false,
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
        ignoredLimitA: null,
        ignorePause: false,
        applied: { maxCurrent: type === 'Schuko' ? 10 : full.installationCurrentA, mode: 'On' as OnOffMode },
        pending: [],
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

  /**
   * Fault: the connector accepts new limits (its settings report the new maxCurrent) but the car keeps
   * charging at the limit in force when this was turned on (a car ignoring the pilot, a firmware fault).
   */
  setIgnoreLimit(cpId: string, connectorId: number, on: boolean): void {
    this.advance();
    const cp = this.cp(cpId);
    const c = this.conn(cpId, connectorId);
    c.ignoredLimitA = on ? this.limitA(cp, c) : null;
  }

  /**
   * Fault: mode Off is accepted (the settings report Off) and a remote stop answers OK, but a running
   * session keeps charging at its current. A connector that is not charging does not start.
   */
  setIgnorePause(cpId: string, connectorId: number, on: boolean): void {
    this.advance();
    this.conn(cpId, connectorId).ignorePause = on;
    this.reconcile();
  }

  /** Report this raw status string for a connector (null = back to the state machine). */
  forceStatus(cpId: string, connectorId: number, status: string | null): void {
    this.conn(cpId, connectorId).forcedStatus = status;
  }

  /** Add a finished session to the history (for meter tests). */
  addHistory(cpId: string, connectorId: number, kwh: number, startMs: number, endMs: number): number {
    const id = this.nextSessionId++;
    this.cp(cpId).history.push(sessionJson(cpId, connectorId, id, startMs, endMs, kwh, 'ThreePhase'));
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
    const keepOn = (cp.spec.protocol === 'ocpp' && this.model.ocppModeOffKeepsCharging) || c.ignorePause;
    if (c.applied.mode === 'Off' && !keepOn) return 0;
    const a = c.ignoredLimitA ?? this.limitA(cp, c);
    return a >= 6 ? a : 0;
  }

  /** The limit the connector applies (A): its maxCurrent within the installation and charge point maximum. */
  private limitA(cp: ChargePointState, c: ConnectorState): number {
    return Math.min(c.applied.maxCurrent ?? cp.spec.installationCurrentA, cp.spec.installationCurrentA, cp.maxCurrent ?? Infinity);
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
  protected advance(): void {
    this.applyDue();
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
  protected reconcile(): void {
    for (const cp of this.cps.values()) {
      for (const c of cp.connectors) {
        const capiOff = cp.spec.protocol === 'capi' && c.applied.mode === 'Off' && !c.ignorePause;
        if (c.session && capiOff) this.endSession(cp, c);
        if (!c.session && c.car && !c.stopped && !c.fault && c.applied.mode !== 'Off' && !c.rfidLock) this.startSession(c);
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
    cp.history.push(sessionJson(cp.spec.id, c.id, s.id, s.startMs, this.clock.nowMs(), s.kwh, sessionType(c)));
  }

  private measurements(cp: ChargePointState, c: ConnectorState): Measurement[] {
    const draw = this.drawA(cp, c);
    if (draw <= 0 || !c.car) return [];
    const phases = c.type === 'Schuko' ? 1 : 3;
    return Array.from({ length: phases }, (_, i) => ({
      phase: `L${i + 1}`,
      current: i < (c.type === 'Schuko' ? 1 : c.car!.phases) ? draw : 0,
      voltage: this.model.voltagesV[i],
    }));
  }

  /** What a connector does now, for its status JSON. */
  protected connectorLive(cp: ChargePointState, c: ConnectorState): ConnectorLive {
    return { measurements: this.measurements(cp, c), status: this.statusOf(cp, c) };
  }

  protected putCpSettings(cp: ChargePointState, body: Record<string, unknown>): undefined {
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
  protected putConnSettings(cp: ChargePointState, c: ConnectorState, body: Record<string, unknown>): undefined {
    const mode = parseEnum(body.mode, ON_OFF_MODES, 'mode');
    const max = body.maxCurrent;
    if (max !== undefined && max !== null && !validCurrent(max, cp.spec.installationCurrentA)) {
      throw new HttpError(400, `maxCurrent must be 0 or 6..${Math.min(32, cp.spec.installationCurrentA)}`);
    }
    const wasOff = c.mode === 'Off';
    c.maxCurrent = typeof max === 'number' ? max : null;
    c.mode = mode;
    this.sendToChargePoint(c);
    c.rfidLock = body.rfidLock === true;
    c.cableLock = body.cableLock === true;
    if (wasOff && mode !== 'Off') c.stopped = false; // switching on again offers a new session
    return undefined;
  }

  /** The new settings reach the charge point after `commandLatencyMs`. */
  private sendToChargePoint(c: ConnectorState): void {
    const latencyMs = this.model.commandLatencyMs ?? 0;
    if (latencyMs <= 0) {
      c.applied = { maxCurrent: c.maxCurrent, mode: c.mode };
      return;
    }
    c.pending.push({ atMs: this.clock.nowMs() + latencyMs, maxCurrent: c.maxCurrent, mode: c.mode });
  }

  /** Settings whose time has come take effect (sessions may start or end). */
  private applyDue(): void {
    const now = this.clock.nowMs();
    let changed = false;
    for (const cp of this.cps.values()) {
      for (const c of cp.connectors) {
        while (c.pending.length && c.pending[0].atMs <= now) {
          const p = c.pending.shift()!;
          c.applied = { maxCurrent: p.maxCurrent, mode: p.mode };
          changed = true;
        }
      }
    }
    if (changed) this.reconcile();
  }

  protected remoteStart(c: ConnectorState, body: Record<string, unknown>): undefined {
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

  /** 400 when nothing is charging (as the cloud answers); a connector that ignores pauses answers OK and goes on. */
  protected remoteStop(cp: ChargePointState, c: ConnectorState): undefined {
    if (!c.session) throw new HttpError(400, 'No ongoing charging session');
    if (c.ignorePause) return undefined;
    this.endSession(cp, c);
    c.stopped = true;
    return undefined;
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
