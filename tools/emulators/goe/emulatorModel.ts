/**
 * The charger and car model behind the go-e emulator (lib/goe/emulator.ts, the HTTP side): state,
 * status documents of API v1 and v2, and how a set changes the state.
 *
 * Firmware profiles follow docs/reference facts:
 * - `v1-020`: HW v1/v2 fw 020: v1 only, no `amx`, `tmp`.
 * - `v1-040`: HW v2 fw 040.0: `amx` accepted but not listed in /status (its value shows in `amp`).
 * - `v1-042`: HW v2 fw 042.0: v1 only, volatile `amx` shown in the status, `tma` with 6 sensors.
 * - `v3-051`: V3 fw 051.4: legacy v1 (with `amx`, `fsp`, 2 sensors) and v2 without `psm`; failed
 *   sets answer plain text "x succeeded and y failed" (early V3 firmware).
 * - `v2-055`: V3 fw 055.5: v2 only, `psm`, unknown filter keys silently omitted, JSON set errors + HTTP 500.
 * - `v2-060`: fw 60.3 (CORE/PRO-like): v2 only, no `cbl`, HTTP 400 (with the JSON body) when the
 *   filter names a key that does not exist, error enum of the 59+ firmware.
 *
 * The car model runs on the injected clock and is evaluated lazily on every request: after a car is
 * plugged in and charging is allowed, it charges after `startDelayMs` at min(offered, car max) on
 * its phases, and completes when it has taken `needWh`. Two device fault switches model a charger
 * that answers OK but does not obey: `faults.ignoreLimit` and `faults.ignorePause`.
 */
import { Clock, SystemClock } from '../../../lib/clock';
import { GoeFaultSwitches } from './emulatorFaults';

export type { GoeFaults } from './emulatorFaults';
export { GoeFaultSwitches } from './emulatorFaults';

export type GoeProfile = 'v1-020' | 'v1-040' | 'v1-042' | 'v3-051' | 'v2-055' | 'v2-060';

export interface ProfileSpec {
  fwv: string;
  v1: boolean;
  v2: boolean;
  /** v1 accepts the volatile `amx`. */
  amx: boolean;
  /** ... and lists it in /status (fw 040.0 did not: the value showed up in `amp`). */
  amxShown: boolean;
  temps: number[] | null;
  psm: boolean;
  cbl: boolean;
  fsp: boolean;
  unknownFilterStatus: 200 | 400;
  textSetErrors: boolean;
  notFoundText: string;
}

export const GOE_PROFILES: Record<GoeProfile, ProfileSpec> = {
  'v1-020': { fwv: '020-rc1', v1: true, v2: false, amx: false, amxShown: false, temps: null, psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v1-040': { fwv: '040.0', v1: true, v2: false, amx: true, amxShown: false, temps: [12.38, 12.13, 11.88, 12.5], psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v1-042': { fwv: '042.0', v1: true, v2: false, amx: true, amxShown: true, temps: [15, 14.13, 14.13, 14.63, 17.25, 17.63], psm: false, cbl: true, fsp: false, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'Not found' },
  'v3-051': { fwv: '051.4', v1: true, v2: true, amx: true, amxShown: true, temps: [24.125, 28.125], psm: false, cbl: true, fsp: true, unknownFilterStatus: 200, textSetErrors: true, notFoundText: 'This URI does not exist' },
  'v2-055': { fwv: '055.5', v1: false, v2: true, amx: false, amxShown: false, temps: [24.125, 28.25], psm: true, cbl: true, fsp: true, unknownFilterStatus: 200, textSetErrors: false, notFoundText: 'This URI does not exist' },
  'v2-060': { fwv: '60.3', v1: false, v2: true, amx: false, amxShown: false, temps: [25.5, 30.25], psm: true, cbl: false, fsp: true, unknownFilterStatus: 400, textSetErrors: false, notFoundText: 'Nothing matches the given URI' },
};

export interface GoeEmulatorOptions {
  profile?: GoeProfile;
  serial?: string;
  clock?: Clock;
  /** `ama`, the installer's absolute maximum (default 32). */
  amaA?: number;
  /** Initial `amp` (default 16). */
  ampA?: number;
  /** Supply phases at the charger (default 3). */
  supplyPhases?: 1 | 3;
  voltageV?: number;
  /** Time from "allowed and plugged in" until the car draws current (default 2000 ms). */
  startDelayMs?: number;
  /** Serve the cloud API (v2 token on /api/*, v1 `/api_status` + `/api`) and require this token. */
  cloudToken?: string;
}

export interface GoeCar {
  /** Highest current the car draws per phase (A). */
  maxCurrentA: number;
  phases: 1 | 3;
  /** Energy until the battery is full (Wh). */
  needWh: number;
}

const V2_SETTABLE = new Set(['amp', 'frc', 'psm', 'dwo', 'ids', 'fna', 'ama']);
const V2_READ_ONLY = new Set(['alw', 'car', 'nrg', 'eto', 'wh', 'err', 'acu', 'sse', 'fwv', 'pha', 'tma', 'cbl', 'modelStatus', 'var', 'rbc', 'rbt']);

/** A go-e charger and the car plugged into it, on the injected clock; no HTTP. */
export class GoeChargerModel {
  readonly profile: GoeProfile;
  readonly spec: ProfileSpec;
  readonly serial: string;
  readonly clock: Clock;
  readonly faults: GoeFaultSwitches = new GoeFaultSwitches(this);
  protected readonly options: Required<Omit<GoeEmulatorOptions, 'cloudToken' | 'clock' | 'profile' | 'serial'>> & { cloudToken?: string };

  // Charger state (SI units).
  ampPersisted: number;
  ampVolatile: number;
  ama: number;
  alwSetting = 1;
  frc = 0;
  psm = 2;
  stp = 0;
  dwoWh: number | null = null;
  err = 0;
  fna: string;
  rbc = 1;
  private bootMs: number;
  car: GoeCar | null = null;
  cableA: number | null = null;
  sessionWh = 0;
  totalWh = 1_234_000;
  complete = false;
  private chargeStartMs: number | null = null;
  private lastUpdateMs: number;
  private ids: { pGrid: number; pPv: number | null; pAkku: number | null; atMs: number } | null = null;

  constructor(options: GoeEmulatorOptions = {}) {
    this.profile = options.profile ?? 'v2-055';
    this.spec = GOE_PROFILES[this.profile];
    this.serial = options.serial ?? '012345';
    this.clock = options.clock ?? new SystemClock();
    this.options = {
      amaA: options.amaA ?? 32,
      ampA: options.ampA ?? 16,
      supplyPhases: options.supplyPhases ?? 3,
      voltageV: options.voltageV ?? 230,
      startDelayMs: options.startDelayMs ?? 2000,
      cloudToken: options.cloudToken,
    };
    this.ama = this.options.amaA;
    this.ampPersisted = this.options.ampA;
    this.ampVolatile = this.options.ampA;
    this.fna = `go-echarger_${this.serial}`;
    this.bootMs = this.clock.nowMs();
    this.lastUpdateMs = this.clock.nowMs();
  }

  // --- car and charger model ---------------------------------------------------------------------

  /** Plug a car in (with a cable coded for `cableA`, default 32 A). A new session starts. */
  plugIn(car: Partial<GoeCar> = {}, cableA = 32): void {
    this.update();
    this.car = { maxCurrentA: car.maxCurrentA ?? 16, phases: car.phases ?? 3, needWh: car.needWh ?? 20_000 };
    this.cableA = cableA;
    this.sessionWh = 0;
    this.complete = false;
    this.chargeStartMs = null;
  }

  unplug(): void {
    this.update();
    this.car = null;
    this.cableA = null;
    this.complete = false;
    this.chargeStartMs = null;
    this.frc = 0; // v2: force state returns to neutral on unplug
  }

  /** Reboot: the volatile `amx` falls back to the persisted `amp`, `frc` to neutral. */
  reboot(): void {
    this.update();
    this.ampVolatile = this.ampPersisted;
    this.frc = 0;
    this.rbc++;
    this.bootMs = this.clock.nowMs();
    this.chargeStartMs = null;
  }

  setError(code: number): void {
    this.update();
    this.err = code;
    this.chargeStartMs = null;
  }

  /** Current offered per phase (A). */
  get offeredA(): number {
    const limit = this.spec.amx ? this.ampVolatile : this.ampPersisted;
    return Math.min(limit, this.cableA ?? limit);
  }

  private limitReached(): boolean {
    return this.dwoWh !== null && this.dwoWh > 0 && this.sessionWh >= this.dwoWh - 1e-9;
  }

  /** The charging logic's verdict (`alw` in the status). */
  get allowed(): boolean {
    if (this.err !== 0) return false;
    const wanted = this.isV1Only() ? this.alwSetting === 1 : this.frc !== 1 && this.alwSetting === 1;
    return wanted && !this.limitReached();
  }

  private isV1Only(): boolean {
    return !this.spec.v2;
  }

  private phasesUsed(): number {
    if (!this.car) return 0;
    const byMode = this.spec.psm && this.psm === 1 ? 1 : this.car.phases;
    return Math.min(byMode, this.options.supplyPhases);
  }

  get charging(): boolean {
    this.update();
    return this.isCharging(this.clock.nowMs());
  }

  /** Current the car draws per phase now (A; 0 when it does not charge): what a meter sees. */
  get drawA(): number {
    this.update();
    return this.isCharging(this.clock.nowMs()) ? this.chargeCurrentA() : 0;
  }

  private isCharging(atMs: number): boolean {
    return !!this.car && !this.complete && this.energised() && this.chargeStartMs !== null && atMs >= this.chargeStartMs;
  }

  /** Current may flow: charging is allowed, or a charging car ignores the pause it was given. */
  private energised(): boolean {
    if (this.allowed) return true;
    const pausedByCommand = this.err === 0 && !this.limitReached() && (this.frc === 1 || this.alwSetting !== 1);
    return this.faults.ignorePause && pausedByCommand && this.chargeStartMs !== null;
  }

  private chargeCurrentA(): number {
    return this.car ? Math.min(this.faults.ignoredLimitA ?? this.offeredA, this.car.maxCurrentA) : 0;
  }

  private chargePowerW(): number {
    return this.chargeCurrentA() * this.options.voltageV * this.phasesUsed();
  }

  /** Integrate energy from the last update until now. Call before every state change. */
  update(): void {
    const now = this.clock.nowMs();
    let t = this.lastUpdateMs;
    while (t < now) {
      if (!this.car || this.complete || !this.energised()) {
        this.chargeStartMs = null;
        break;
      }
      if (this.chargeStartMs === null) this.chargeStartMs = t + this.options.startDelayMs;
      if (t < this.chargeStartMs) {
        t = Math.min(now, this.chargeStartMs);
        continue;
      }
      const powerW = this.chargePowerW();
      if (powerW <= 0) break;
      const toFull = this.car.needWh - this.sessionWh;
      const toLimit = this.dwoWh !== null && this.dwoWh > 0 ? this.dwoWh - this.sessionWh : Infinity;
      const eventMs = (Math.min(toFull, toLimit) / powerW) * 3_600_000;
      const step = Math.min(now - t, eventMs);
      this.sessionWh += (powerW * step) / 3_600_000;
      this.totalWh += (powerW * step) / 3_600_000;
      t += step;
      if (step === eventMs) {
        if (toFull <= toLimit) {
          this.sessionWh = Math.min(this.sessionWh, this.car.needWh);
          this.complete = true;
        } else {
          this.sessionWh = this.dwoWh as number;
          if (this.isV1Only()) this.alwSetting = 0; // v1 logic: alw = 0 at the limit
        }
      }
    }
    if (this.car && !this.complete && this.allowed && this.chargeStartMs === null) this.chargeStartMs = now + this.options.startDelayMs;
    this.lastUpdateMs = now;
  }

  private carCode(): number {
    if (!this.car) return 1;
    if (this.complete) return 4;
    return this.isCharging(this.clock.nowMs()) ? 2 : 3;
  }

  // --- status documents ----------------------------------------------------------------------------

  private measurements(): { u: number[]; i: number[]; p: number[] } {
    const supply = this.options.supplyPhases;
    const u = [0, 1, 2].map((k) => (k < supply ? this.options.voltageV : 0));
    const charging = this.isCharging(this.clock.nowMs());
    const used = charging ? this.phasesUsed() : 0;
    const amps = this.chargeCurrentA();
    const i = [0, 1, 2].map((k) => (k < used ? amps : 0));
    const p = i.map((a, k) => a * u[k]);
    return { u, i, p };
  }

  /** The v2 status with native JSON types. */
  v2Status(): Record<string, unknown> {
    this.update();
    const { u, i, p } = this.measurements();
    const total = p.reduce((s, x) => s + x, 0);
    const pf = i.map((a) => (a > 0 ? 100 : 0));
    const idsFresh = this.ids && this.clock.nowMs() - this.ids.atMs <= 10_000 ? this.ids : null;
    const out: Record<string, unknown> = {
      sse: this.serial,
      fna: this.fna,
      fwv: this.spec.fwv,
      typ: 'go-eCharger',
      var: this.ama > 16 ? 22 : 11,
      car: this.carCode(),
      alw: this.allowed,
      acu: this.allowed && this.car ? this.offeredA : null,
      frc: this.frc,
      amp: this.ampPersisted,
      ama: this.ama,
      cbl: this.cableA,
      err: this.err,
      modelStatus: this.err ? 26 : this.frc === 1 ? 4 : this.limitReached() ? 6 : this.frc === 2 ? 3 : 15,
      nrg: [...u, 0, ...i, ...p, 0, total, ...pf, 0],
      eto: Math.round(this.totalWh),
      wh: Math.round(this.sessionWh * 1000) / 1000,
      dwo: this.dwoWh,
      pha: [...i.map((a) => a > 0), ...u.map((v) => v > 0)],
      tma: this.spec.temps,
      psm: this.psm,
      fsp: false,
      pgrid: idsFresh?.pGrid ?? null,
      ppv: idsFresh?.pPv ?? null,
      pakku: idsFresh?.pAkku ?? null,
      rbc: this.rbc,
      rbt: this.clock.nowMs() - this.bootMs,
      amt: 32,
      mca: 6,
      lmo: 3,
      adi: false,
      hai: this.spec.v2,
      hla: this.spec.v1,
    };
    if (!this.spec.cbl) delete out.cbl;
    if (!this.spec.psm) delete out.psm;
    return out;
  }

  /** The v1 status: strings everywhere except `nrg` and `tma`. */
  v1Status(): Record<string, unknown> {
    this.update();
    const { u, i, p } = this.measurements();
    const total = p.reduce((s, x) => s + x, 0);
    const pha = i.reduce((b, a, k) => b | (a > 0 ? 1 << k : 0), 0) | u.reduce((b, v, k) => b | (v > 0 ? 8 << k : 0), 0);
    const shownAmp = this.spec.amx ? this.ampVolatile : this.ampPersisted;
    const out: Record<string, unknown> = {
      version: 'B',
      rbc: String(this.rbc),
      rbt: String(this.clock.nowMs() - this.bootMs),
      car: String(this.carCode()),
      amp: String(shownAmp),
      err: String(this.err),
      ast: '0',
      alw: String(this.alwSetting),
      stp: String(this.stp),
      cbl: String(this.cableA ?? 0),
      pha: String(pha),
      dws: String(Math.round(this.sessionWh * 360)),
      dwo: String(this.dwoWh === null ? 0 : Math.round(this.dwoWh / 100)),
      adi: '0',
      uby: '0',
      eto: String(Math.round(this.totalWh / 100)),
      wst: '3',
      nrg: [...u, 0, ...i.map((a) => Math.round(a * 10)), ...p.map((w) => Math.round(w / 100)), 0, Math.round(total / 10), ...i.map((a) => (a > 0 ? 100 : 0)), 0],
      fwv: this.spec.fwv,
      sse: this.serial,
      wke: '********',
      ama: String(this.ama),
    };
    if (this.spec.amxShown) out.amx = String(this.ampVolatile);
    if (this.spec.temps) {
      out.tma = this.spec.temps;
      out.amt = '32';
    } else {
      out.tmp = '30';
    }
    if (this.spec.fsp) out.fsp = '0';
    return out;
  }

  // --- writes ----------------------------------------------------------------------------------------

  /** Apply one v1 `key=value`; invalid values leave the state unchanged (as the firmware does). */
  protected setV1(key: string, value: string): void {
    this.update();
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    const amps = Number.isInteger(n) && n >= 6 && n <= 32;
    if (key === 'amp' && amps) {
      this.ampPersisted = n;
      this.ampVolatile = n;
    } else if (key === 'amx' && amps && this.spec.amx) {
      this.ampVolatile = n;
    } else if (key === 'ama' && amps) {
      this.ama = n;
    } else if (key === 'alw' && (n === 0 || n === 1)) {
      this.alwSetting = n;
    } else if (key === 'stp' && (n === 0 || n === 2)) {
      this.stp = n;
    } else if (key === 'dwo' && Number.isInteger(n) && n >= 0) {
      this.dwoWh = n === 0 ? null : n * 100;
    }
    this.update();
  }

  /** Apply one v2 key; returns true or the firmware's error string. */
  protected setV2(key: string, raw: string): true | string {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return `${key}: tried to set api key with invalid json InvalidInput (${raw})`;
    }
    if (V2_READ_ONLY.has(key)) return `${key}: tried to set api key without setter (${raw})`;
    if (!V2_SETTABLE.has(key) || (key === 'psm' && !this.spec.psm)) return `${key}: unknown api key (${raw})`;
    this.update();
    const range = (lo: number, hi: number): string | null =>
      typeof value !== 'number' || !Number.isInteger(value) ? `${key}: value must be integer (${raw})` : value < lo || value > hi ? `${key}: failed: Value ${value} exceeds range ${lo} to ${hi} (${raw})` : null;
    let problem: string | null = null;
    switch (key) {
      case 'amp':
      case 'ama':
        problem = range(6, 32);
        if (!problem && key === 'amp') {
          this.ampPersisted = value as number;
          this.ampVolatile = value as number;
        } else if (!problem) this.ama = value as number;
        break;
      case 'frc':
      case 'psm':
        problem = range(0, 2);
        if (!problem && key === 'frc') this.frc = value as number;
        if (!problem && key === 'psm' && this.psm !== value) {
          this.psm = value as number;
          this.chargeStartMs = null; // the charger stops and restarts on the new phase count
        }
        break;
      case 'dwo':
        if (value !== null && (typeof value !== 'number' || value < 0)) problem = `${key}: value must be a number or null (${raw})`;
        else this.dwoWh = value === 0 ? null : (value as number | null);
        break;
      case 'ids': {
        const o = value as Record<string, unknown> | null;
        if (!o || typeof o !== 'object' || typeof o.pGrid !== 'number') problem = `${key}: pGrid missing (${raw})`;
        else this.ids = { pGrid: o.pGrid, pPv: typeof o.pPv === 'number' ? o.pPv : null, pAkku: typeof o.pAkku === 'number' ? o.pAkku : null, atMs: this.clock.nowMs() };
        break;
      }
      case 'fna':
        if (typeof value !== 'string') problem = `value must be string ${raw}`;
        else this.fna = value;
        break;
    }
    this.update();
    return problem ?? true;
  }
}
