/**
 * One Charge Amps connector as a `Charger`: a Halo has a Type 2 charger (1) and a Schuko outlet (2),
 * an Aura two Type 2 chargers. Connectors of the same account share one client (one session).
 * Every command is a write, even when the value looks already set (what to repeat is the actuator's
 * call); each is a read-modify-write, so the cable lock, RFID lock and mode are kept.
 */
import type { Charger, ChargerStatus } from '../charger';
import { PeerError, UserInputError } from '../errors';
import { ChargeAmpsClient, PRIORITY_DECREASE, PRIORITY_NORMAL } from './client';
import { connectorLabel, connectorsOf, isSchuko, lifetimeEnergyWh, normaliseConnector, objectsOf, protocolOf } from './status';
import type { ChargePoint, ChargePointSettings, ConnectorSettings, ConnectorStatus, DimmerValue, OnOffMode } from './types';

export const MIN_CURRENT_A = 6;
export const MAX_CURRENT_A = 32;

/** Whole amps the cloud accepts: 0 (hold back) or 6..32, and never above the installation current. */
export function validateCurrent(currentA: number, installationCurrentA?: number | null): number {
  if (typeof currentA !== 'number' || !Number.isFinite(currentA)) {
    throw new UserInputError('current limit', `expected a number of amps, got "${String(currentA)}"`);
  }
  const a = Math.floor(currentA);
  if (a !== 0 && (a < MIN_CURRENT_A || a > MAX_CURRENT_A)) {
    throw new UserInputError('current limit', `expected 0 or ${MIN_CURRENT_A} to ${MAX_CURRENT_A} A, got ${currentA} A`);
  }
  if (installationCurrentA && a > installationCurrentA) {
    throw new UserInputError('current limit', `${a} A is above the installation current of ${installationCurrentA} A`);
  }
  return a;
}

export interface ConnectorInfo {
  /** `<chargepointId>:<connector>` */
  id: string;
  chargePointId: string;
  connectorId: number;
  /** "HALO_090652M Type 2" */
  name: string;
  schuko: boolean;
  /** v5 `ownerReadOnly`: the account may read the charge point but not change it (an organisation setting). */
  readOnly: boolean;
  chargePoint: ChargePoint;
}

/** Every connector of every charge point the account owns (what pairing lists). */
export async function listConnectors(client: ChargeAmpsClient): Promise<ConnectorInfo[]> {
  const out: ConnectorInfo[] = [];
  for (const cp of objectsOf<ChargePoint>(await client.listChargePoints())) {
    for (const c of connectorsOf(cp)) {
      out.push({
        id: `${cp.id}:${c.connectorId}`,
        chargePointId: cp.id,
        connectorId: c.connectorId,
        name: `${cp.name ?? cp.id} ${connectorLabel(cp, c.connectorId)}`,
        schuko: isSchuko(cp, c.connectorId),
        readOnly: cp.ownerReadOnly === true,
        chargePoint: cp,
      });
    }
  }
  return out;
}

export interface ConnectorChargerOptions {
  client: ChargeAmpsClient;
  chargePointId: string;
  connectorId: number;
  /** Re-read the charge point settings (dimmer) at most this often (ms), default 5 min. */
  chargePointSettingsMaxAgeMs?: number;
  /** Where the mode before a pause (On or Schedule) survives an app restart (the device store). */
  resumeMode?: ResumeModeStore;
}

export interface ResumeModeStore {
  load(): unknown;
  save(mode: OnOffMode | null): Promise<void>;
}

export class ChargeAmpsConnectorCharger implements Charger {
  readonly id: string;
  readonly brand = 'chargeamps' as const;
  readonly latencyClass = 'cloud' as const;
  readonly minCurrentA = MIN_CURRENT_A;
  readonly chargePointId: string;
  readonly connectorId: number;
  private readonly client: ChargeAmpsClient;
  private readonly cpSettingsMaxAgeMs: number;
  private cp: ChargePoint | null = null;
  private settings: ConnectorSettings | null = null;
  private live: ConnectorStatus | null = null;
  private offline = false;
  private sessionsLoadedFor: number | null | undefined = undefined;
  private completedWh: number | null = null;
  private totalWh: number | null = null;
  private modeBeforePause: OnOffMode | null;
  private readonly resumeMode: ResumeModeStore | undefined;

  constructor(opts: ConnectorChargerOptions) {
    this.client = opts.client;
    this.chargePointId = opts.chargePointId;
    this.connectorId = opts.connectorId;
    this.id = `${opts.chargePointId}:${opts.connectorId}`;
    this.cpSettingsMaxAgeMs = opts.chargePointSettingsMaxAgeMs ?? 5 * 60_000;
    this.resumeMode = opts.resumeMode;
    const stored = opts.resumeMode?.load();
    this.modeBeforePause = stored === 'On' || stored === 'Schedule' ? stored : null;
  }

  /** Keep the mode to resume to; a store that fails never fails the pause or resume itself. */
  private async rememberMode(mode: OnOffMode | null): Promise<void> {
    this.modeBeforePause = mode;
    try {
      await this.resumeMode?.save(mode);
    } catch {
      // the in-memory copy still serves until the next restart
    }
  }

  get maxCurrentA(): number {
    const inst = this.settings?.installationCurrent;
    return inst && inst >= MIN_CURRENT_A ? Math.min(MAX_CURRENT_A, inst) : MAX_CURRENT_A;
  }

  /** Connector settings from the last poll or write (cable lock, mode, RFID lock). */
  get connectorSettings(): ConnectorSettings | null {
    return this.settings;
  }

  get chargePoint(): ChargePoint | null {
    return this.cp;
  }

  /** The connector status string from the last poll as Charge Amps sent it ("Offline" when the charge point is). */
  get rawStatus(): string | null {
    return this.offline ? 'Offline' : (this.live?.status ?? null);
  }

  private async loadChargePoint(): Promise<ChargePoint> {
    if (!this.cp) this.cp = await this.client.getChargePoint(this.chargePointId);
    return this.cp;
  }

  async getStatus(): Promise<ChargerStatus> {
    const cp = await this.loadChargePoint();
    const status = await this.client.getStatus(this.chargePointId);
    const online = typeof status.status === 'string' && status.status.toLowerCase() === 'online';
    this.offline = !online;
    if (online) {
      this.settings = await this.client.getConnectorSettings(this.chargePointId, this.connectorId);
      this.live = objectsOf<ConnectorStatus>(status.connectorStatuses).find((c) => c.connectorId === this.connectorId) ?? null;
      await this.updateEnergy();
    }
    return normaliseConnector({
      chargePoint: cp,
      connectorId: this.connectorId,
      status,
      settings: online ? this.settings : null,
      totalEnergyWh: this.totalWh,
    });
  }

  /** Reload the session list when a session starts or ends; the meter never goes backwards. */
  private async updateEnergy(): Promise<void> {
    const liveId = this.live?.sessionId ?? null;
    if (this.sessionsLoadedFor === undefined || this.sessionsLoadedFor !== liveId) {
      try {
        const sessions = await this.client.getSessions(this.chargePointId, this.connectorId);
        this.completedWh = lifetimeEnergyWh(objectsOf<(typeof sessions)[number]>(sessions).filter((s) => s.endTime !== null && s.id !== liveId));
        this.sessionsLoadedFor = liveId;
      } catch {
        // keep the previous meter; the next poll tries again
      }
    }
    if (this.completedWh === null) return;
    const wh = this.completedWh + lifetimeEnergyWh([], this.live);
    this.totalWh = Math.max(this.totalWh ?? 0, wh);
  }

  /**
   * Change the connector's settings (read-modify-write through the client). A 403 from a charge point the cloud marks
   * read-only for this account (`ownerReadOnly`) says so, instead of "no access".
   */
  private async change(
    patch: Parameters<ChargeAmpsClient['updateConnectorSettings']>[2],
    priority?: number,
    check?: (current: ConnectorSettings) => void,
  ): Promise<ConnectorSettings> {
    try {
      return await this.client.updateConnectorSettings(this.chargePointId, this.connectorId, patch, priority, check);
    } catch (err) {
      if (err instanceof PeerError && err.status === 403 && this.cp?.ownerReadOnly === true) {
        throw new PeerError('auth', `Charge point ${this.chargePointId} is read-only for this account (an organisation setting of Charge Amps): the app cannot change it`, 403);
      }
      throw err;
    }
  }

  async setCurrentLimit(currentA: number): Promise<void> {
    const a = validateCurrent(currentA, this.settings?.installationCurrent);
    // a limit whose change is not known (before the first poll) may be a cut: it goes with the cuts
    const known = this.settings?.maxCurrent;
    const priority = known === null || known === undefined || a < known ? PRIORITY_DECREASE : PRIORITY_NORMAL;
    this.settings = await this.change({ maxCurrent: a }, priority, (cur) => {
      validateCurrent(a, cur.installationCurrent);
    });
  }

  /**
   * Switch the connector off. An OCPP charge point may keep charging after mode Off, so there a
   * remote stop always follows: the last poll may be 30 s old and miss a session that started since
   * (the cloud answers "no session" with 400, which is not an error). A stopped session may need the
   * car re-plugged, or a remote start with RFID lock, to charge again.
   */
  async pause(): Promise<void> {
    const cp = await this.loadChargePoint();
    const mode = this.settings?.mode;
    if (mode && mode !== 'Off') this.modeBeforePause = mode;
    this.settings = await this.change({ mode: 'Off' }, PRIORITY_DECREASE, (cur) => {
      if (cur.mode !== 'Off') this.modeBeforePause = cur.mode;
    });
    await this.rememberMode(this.modeBeforePause);
    if (protocolOf(cp) === 'ocpp') await this.client.remoteStop(this.chargePointId, this.connectorId);
  }

  /** Switch the connector back on (to Schedule when that was the mode before the pause). */
  async resume(): Promise<void> {
    const mode = this.modeBeforePause ?? 'On';
    this.settings = await this.change({ mode });
    await this.rememberMode(null);
  }

  async setCableLock(locked: boolean): Promise<void> {
    this.settings = await this.change({ cableLock: locked });
  }

  async getChargePointSettings(): Promise<ChargePointSettings> {
    return this.client.getChargePointSettings(this.chargePointId, this.cpSettingsMaxAgeMs);
  }

  async setDimmer(dimmer: DimmerValue): Promise<void> {
    await this.client.updateChargePointSettings(this.chargePointId, { dimmer });
  }
}
