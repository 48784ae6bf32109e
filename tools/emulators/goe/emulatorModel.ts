/**
 * The charger and car model behind the go-e emulator (emulator.ts, the HTTP side): state and the status
 * documents of API v1 and v2; the firmware profiles and options are in emulatorProfiles.ts, how a set changes the
 * state in emulatorWrites.ts.
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
 * Each profile answers the keys a real charger of that firmware answers (emulatorKeys.ts says where
 * each key set comes from).
 *
 * The charging logic (`logic()`: `alw` and `modelStatus`) follows reference §3.4/§3.5, checked in the
 * order of the `modelStatus` enum: error (26); access control (`acs`=1: a plugged-in car waits until a
 * card is held, `holdCard`, or `trx` is written; 2); `frc`=1 (4); the session energy limit (6); `frc`=2
 * (3: on, whatever the charger's own schedules say); the scheduler (`schedulerBlocks`, 5); the logic
 * mode `lmo` — 4 Eco: on only while the price is low (`ecoPriceLow`, 7, else 17), 5 next trip: on only
 * in its planned window (`nextTripWindow`, 10, else 18) — else the default logic (15). `frc` and `trx`
 * return to neutral when the car is unplugged (v2#117). v1 (HW v1/v2) has `ast`: with 1 (RFID/app) a
 * new session starts with `alw`=0 until a card is held or the app writes `alw=1` [INF: the v1 docs say
 * only "RFID/App needed"].
 *
 * The car model runs on the injected clock and is evaluated lazily on every request: after a car is
 * plugged in and charging is allowed, it charges after `startDelayMs` at min(offered, car max) on
 * its phases, and completes when it has taken `needWh`. Device fault switches (emulatorFaults.ts)
 * model a charger that answers OK but does not obey (`ignoreLimit`, `ignorePause`, `frcIgnored`) and
 * firmware quirks (`frcKeptOnUnplug`, `trxReadOnly`, `modelStatus`, `status400`, `cardsSplit`).
 */
import { Clock, SystemClock } from '../../../lib/clock';
import { GOE_PROFILES, type GoeCar, type GoeEmulatorOptions, type GoeLogic, type GoeProfile, type ProfileSpec } from './emulatorProfiles';
import { GoeFaultSwitches } from './emulatorFaults';
import { KEY_SETS, SPLIT_CARD_KEYS, V1_NUMBERS, V1_STATIC, V2_STATIC, cardList } from './emulatorKeys';

export type { GoeFaults } from './emulatorFaults';
export { GOE_PROFILES } from './emulatorProfiles';
export type { GoeCar, GoeEmulatorOptions, GoeLogic, GoeProfile, ProfileSpec } from './emulatorProfiles';
export { GoeFaultSwitches } from './emulatorFaults';

/** A go-e charger and the car plugged into it, on the injected clock; no HTTP. */
export class GoeChargerModel {
  readonly profile: GoeProfile;
  readonly spec: ProfileSpec;
  readonly serial: string;
  readonly clock: Clock;
  readonly faults: GoeFaultSwitches = new GoeFaultSwitches(this);
  protected readonly options: Required<Omit<GoeEmulatorOptions, 'cloudToken' | 'clock' | 'profile' | 'serial' | 'acs' | 'lmo'>> & { cloudToken?: string };

  // Charger state (SI units).
  ampPersisted: number;
  ampVolatile: number;
  ama: number;
  alwSetting = 1;
  frc = 0;
  psm = 2;
  /** The phase mode the contactor follows (differs from `psm` only under the `psmIgnored` fault). */
  psmActive = 2;
  /** A phase switch keeps the car from charging until then (ms, clock time); null: none runs. */
  phaseSwitchUntilMs: number | null = null;
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
  protected chargeStartMs: number | null = null;
  private lastUpdateMs: number;
  protected ids: { pGrid: number; pPv: number | null; pAkku: number | null; atMs: number } | null = null;

  // Access control and the charger's own logic.
  /** v2 `acs` / v1 `ast`: 1 = a session needs a card (or v2 `trx`, v1 `alw=1` from the app). */
  acs: number;
  /** v2 `trx`: null no transaction, 0 authorised without a card, n = card n. Reset on unplug. */
  trx: number | null = null;
  /** v1 `uby`: the card (1–10) that unlocked this session, 0 none. */
  uby = 0;
  /** v2 `lmo`: 3 default, 4 Eco (awattar), 5 next trip. */
  lmo: number;
  /** Eco mode (`lmo` 4): the electricity price is below the charger's maximum price now. */
  ecoPriceLow = false;
  /** Next trip (`lmo` 5): now is inside the window the charger planned for the trip. */
  nextTripWindow = false;
  /** The charger's own scheduler holds it off now. */
  schedulerBlocks = false;
  /** Energy per card (Wh), for `cards`. */
  readonly cardEnergyWh = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

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
      phaseSwitchMs: options.phaseSwitchMs ?? 10_000,
      adapter16A: options.adapter16A ?? false,
      cloudToken: options.cloudToken,
    };
    this.acs = options.acs ?? 0;
    this.lmo = options.lmo ?? 3;
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
    // v1 with RFID/app access: the new session waits for a card or the app's alw=1 [INF]
    if (!this.spec.v2 && this.acs === 1) this.alwSetting = 0;
    this.update();
  }

  unplug(): void {
    this.update();
    this.car = null;
    this.cableA = null;
    this.complete = false;
    this.chargeStartMs = null;
    // v2: force state and transaction return to neutral on unplug (v2#117)
    if (!this.faults.frcKeptOnUnplug) this.frc = 0;
    this.trx = null;
    this.uby = 0;
  }

  /** Hold RFID card `card` (1–10) to the charger: v2 `trx` = card, v1 `alw`=1 and `uby` = card. */
  holdCard(card = 1): void {
    this.update();
    if (this.spec.v2) this.trx = card;
    else {
      this.alwSetting = 1;
      this.uby = card;
    }
    this.update();
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
    return Math.min(limit, this.cableA ?? limit, this.options.adapter16A ? 16 : limit);
  }

  private limitReached(): boolean {
    return this.dwoWh !== null && this.dwoWh > 0 && this.sessionWh >= this.dwoWh - 1e-9;
  }

  /** The charging logic's verdict (`alw` in the status). */
  get allowed(): boolean {
    return this.logic().allowed;
  }

  /** `alw` and `modelStatus`, checked in the order of the modelStatus enum (see the file comment). */
  logic(): GoeLogic {
    const off = (modelStatus: number): GoeLogic => ({ allowed: false, modelStatus });
    const on = (modelStatus: number): GoeLogic => ({ allowed: true, modelStatus });
    if (this.err !== 0) return off(26);
    const switching = this.phaseSwitchUntilMs !== null ? this.phaseSwitchUntilMs - this.clock.nowMs() : 0;
    if (switching > 0 && this.car) return off(switching > 5000 ? 23 : 22);
    if (this.isV1Only()) return this.alwSetting === 1 && !this.limitReached() ? on(15) : off(this.limitReached() ? 6 : 4);
    const frc = this.faults.frcIgnored ? 0 : this.frc;
    if (this.acs === 1 && this.car && this.trx === null) return off(2);
    if (frc === 1 || this.alwSetting !== 1) return off(4);
    if (this.limitReached()) return off(6);
    if (frc === 2) return on(3);
    if (this.schedulerBlocks) return off(5);
    if (this.lmo === 4) return this.ecoPriceLow ? on(7) : off(17);
    if (this.lmo === 5) return this.nextTripWindow ? on(10) : off(18);
    return on(15);
  }

  private isV1Only(): boolean {
    return !this.spec.v2;
  }

  private phasesUsed(): number {
    if (!this.car) return 0;
    const byMode = this.spec.psm && this.psmActive === 1 ? 1 : this.car.phases;
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
    const logic = this.logic();
    if (logic.allowed) return true;
    return this.faults.ignorePause && logic.modelStatus === 4 && this.chargeStartMs !== null;
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

  /** The v2 status with native JSON types: the profile's keys (emulatorKeys.ts), computed or as captured. */
  v2Status(): Record<string, unknown> {
    this.update();
    const { u, i, p } = this.measurements();
    const total = p.reduce((s, x) => s + x, 0);
    const pf = i.map((a) => (a > 0 ? 100 : 0));
    const idsFresh = this.ids && this.clock.nowMs() - this.ids.atMs <= 10_000 ? this.ids : null;
    const logic = this.logic();
    const nowIso = new Date(this.clock.nowMs()).toISOString().replace('Z', '');
    const dynamic: Record<string, unknown> = {
      sse: this.serial,
      fna: this.fna,
      fwv: this.spec.fwv,
      typ: 'go-eCharger',
      var: this.ama > 16 ? 22 : 11,
      car: this.carCode(),
      alw: logic.allowed,
      acu: logic.allowed && this.car ? this.offeredA : null,
      frc: this.frc,
      amp: this.ampPersisted,
      ama: this.ama,
      cbl: this.cableA,
      err: this.err,
      modelStatus: this.faults.modelStatus ?? logic.modelStatus,
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
      lmo: this.lmo,
      adi: this.options.adapter16A,
      hai: this.spec.v2,
      hla: this.spec.v1,
      acs: this.acs,
      trx: this.trx,
      cards: cardList(this.cardEnergyWh),
      utc: nowIso,
      loc: `${nowIso} +00:00`,
      tpa: total,
      pnp: i.filter((a) => a > 0).length,
      cll: { accessControl: this.acs, currentLimitMax: this.ama, minChargingCurrent: 6, requestedCurrent: this.ampPersisted, temperatureCurrentLimit: 32, unsymetryCurrentLimit: 32 },
      host: `go-echarger_${this.serial}`,
    };
    const keys: readonly string[] = KEY_SETS.v2[this.profile as keyof typeof KEY_SETS.v2] ?? KEY_SETS.v2['v2-055'];
    const out = pick(keys, dynamic, V2_STATIC);
    if (this.faults.cardsSplit && 'cards' in out) {
      delete out.cards;
      this.cardEnergyWh.forEach((wh, k) => Object.assign(out, { [`c${k}n`]: `User ${k + 1}`, [`c${k}e`]: wh, [`c${k}i`]: k === 0 }));
    }
    return out;
  }

  /** Key names a v2 status of this profile answers now (the cards split into one key per field under `cardsSplit`). */
  v2Keys(): string[] {
    const keys: readonly string[] = KEY_SETS.v2[this.profile as keyof typeof KEY_SETS.v2] ?? KEY_SETS.v2['v2-055'];
    return this.faults.cardsSplit && keys.includes('cards') ? [...keys.filter((k) => k !== 'cards'), ...SPLIT_CARD_KEYS] : [...keys];
  }

  /** The v1 status: strings everywhere except `nrg`, `tma` (and a V3's load-balancing numbers). */
  v1Status(): Record<string, unknown> {
    this.update();
    const { u, i, p } = this.measurements();
    const total = p.reduce((s, x) => s + x, 0);
    const pha = i.reduce((b, a, k) => b | (a > 0 ? 1 << k : 0), 0) | u.reduce((b, v, k) => b | (v > 0 ? 8 << k : 0), 0);
    const shownAmp = this.spec.amx ? this.ampVolatile : this.ampPersisted;
    // a V3's legacy API shows the verdict of its v2 logic (frc, acs); HW v1/v2 show the setting
    const alw = this.spec.v2 ? (this.allowed ? 1 : 0) : this.alwSetting;
    const dynamic: Record<string, unknown> = {
      version: 'B',
      rbc: String(this.rbc),
      rbt: String(this.clock.nowMs() - this.bootMs),
      car: String(this.carCode()),
      amp: String(shownAmp),
      err: String(this.err),
      ast: String(this.acs),
      alw: String(alw),
      stp: String(this.stp),
      cbl: String(this.cableA ?? 0),
      pha: String(pha),
      tmp: String(Math.round(this.spec.temps?.[0] ?? 30)),
      dws: String(Math.round(this.sessionWh * 360)),
      dwo: String(this.dwoWh === null ? 0 : Math.round(this.dwoWh / 100)),
      adi: this.options.adapter16A ? '1' : '0',
      uby: String(this.uby),
      eto: String(Math.round(this.totalWh / 100)),
      wst: '3',
      nrg: [...u, 0, ...i.map((a) => Math.round(a * 10)), ...p.map((w) => Math.round(w / 100)), 0, Math.round(total / 10), ...i.map((a) => (a > 0 ? 100 : 0)), 0],
      fwv: this.spec.fwv,
      sse: this.serial,
      wke: '********',
      ama: String(this.ama),
      amx: String(this.ampVolatile),
      tma: this.spec.temps,
      amt: '32',
      fsp: '0',
      tme: tme(new Date(this.clock.nowMs())),
    };
    const keys: readonly string[] = KEY_SETS.v1[this.profile as keyof typeof KEY_SETS.v1] ?? KEY_SETS.v1['v3-051'];
    const out = pick(keys, dynamic, V1_STATIC);
    if (this.spec.v2) for (const k of V1_NUMBERS) if (k in out) out[k] = Number(out[k]);
    return out;
  }

}

/** The keys in order, each computed or else as captured (every key of a set has one of the two). */
function pick(keys: readonly string[], dynamic: Record<string, unknown>, statics: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = k in dynamic ? dynamic[k] : statics[k];
  return out;
}

/** v1 `tme`: ddmmyyhhmm. */
function tme(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}${two(d.getUTCMonth() + 1)}${two(d.getUTCFullYear() % 100)}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}
