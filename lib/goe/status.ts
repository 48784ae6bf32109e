/**
 * go-e status parsing and command keys: the ONE place where go-e units are converted, both ways.
 *
 * v1 (`/status`, cloud v1): values are strings; nrg currents 0.1 A, phase power 0.1 kW, total power
 * 0.01 kW; `eto` 0.1 kWh; `dws` deka-watt-seconds (10 Ws); `dwo` 0.1 kWh; `pha` a bitfield.
 * v2 (`/api/status`, cloud v2): native JSON; nrg in V / A / W; `eto`, `wh`, `dwo` in Wh; `pha` 6 bools.
 * `GOE_COMMANDS` says which keys and values each command writes in each dialect.
 */
import type { PhaseIndex } from '../phase';
import { ChargerApi, ChargerState, ChargerStatus, PhaseMeasurement, countActivePhases } from '../charger';
import { GoeReason, goeReason } from './reason';

export type GoeDialect = 'v1' | 'v2';
export type GoeRawStatus = Record<string, unknown>;

/** The openHAB `pwmSignal` channel: what the `car` key says about the vehicle. */
export type GoeCarState = 'ready_no_car' | 'charging' | 'waiting_for_car' | 'charging_done' | 'error' | 'initializing' | 'unknown';

/** Phase switch mode (v2 `psm`): 0 auto, 1 force one phase, 2 force three phases. */
export type GoePhaseMode = 'auto' | '1' | '3';

/** The v2 `psm` value of each phase mode. */
const PSM: Record<GoePhaseMode, number> = { auto: 0, '1': 1, '3': 2 };
export const GOE_PHASE_MODES = Object.keys(PSM) as GoePhaseMode[];

export interface PvData {
  /** Grid power (W): positive = import, negative = feed-in. */
  gridW: number;
  pvW?: number;
  /** Battery power (W): negative = battery charging. */
  batteryW?: number;
}

/**
 * Every channel of the openHAB go-e binding (names as there, plus a unit suffix), and a few extras
 * the app needs to command the charger safely.
 */
export interface GoeDetail {
  serial: string;
  friendlyName: string | null;
  firmware: string | null;
  /** `amp` (v1 with `amx`: the volatile `amx`): the current offered per phase. */
  maxAmpereA: number | null;
  /** `ama`: the absolute maximum set by the installer (never written by this app). */
  absoluteMaxA: number | null;
  pwmSignal: GoeCarState;
  /** Current the car may draw now: v2 `acu`; v1 `amp`/`amx` while charging is allowed, else 0. */
  offeredCurrentA: number | null;
  error: string | null;
  errorCode: number | null;
  voltageL1V: number | null;
  voltageL2V: number | null;
  voltageL3V: number | null;
  currentL1A: number | null;
  currentL2A: number | null;
  currentL3A: number | null;
  powerL1W: number | null;
  powerL2W: number | null;
  powerL3W: number | null;
  /** Supply lines present at the charger (before the contactor). */
  phases: number;
  /** Session energy limit; null = no limit. */
  sessionChargeConsumptionLimitWh: number | null;
  sessionChargeConsumptionWh: number | null;
  totalConsumptionWh: number | null;
  allowCharging: boolean;
  /** The charger stops by itself at the session energy limit. */
  stopState: boolean;
  /** Type 2 cable coding; null = no cable (or not reported). */
  cableEncodingA: number | null;
  /** `adi`: the 16 A adapter is in (a go-e HOME+ 22 kW on a 16 A cable or socket): the charger offers at most 16 A. */
  adapter16A: boolean;
  temperatureC: number | null;
  /** v2 `psm`; null where the firmware has no phase switching. */
  phaseMode: GoePhaseMode | null;
  /** v2 `frc` (0 neutral, 1 off, 2 on); null on v1. */
  forceState: number | null;
  /** v1 firmware that takes the volatile `amx` key for current changes. */
  hasAmx: boolean;
  /** Access control: v2 `acs` (0 open, 1 wait for authorisation, 2 EVCMS), v1 `ast` (0 open, 1 RFID/app, 2 price, 3 scheduler). */
  accessControl: number | null;
  /** v2 `trx`: null = no transaction, 0 = authorised without a card, n = card n; v1 `uby` (0 = no card); null when not reported. */
  transaction: number | null;
  /** v2 `lmo`: 3 default, 4 Eco (awattar), 5 next trip (automatic stop); null on v1. */
  logicMode: number | null;
  /** The charger's own reason for charging or not (v2 `modelStatus`); null on v1. */
  reason: GoeReason | null;
  /** A car is plugged in and the session waits for an RFID card or the app (v2: `acs`=1 without `trx`, or `modelStatus` 2). */
  waitingForAuthorisation: boolean;
}

export interface GoeSnapshot {
  status: ChargerStatus;
  detail: GoeDetail;
  raw: GoeRawStatus;
}

/** Keys the client asks a v2 charger for (only these; a full status is expensive for the charger). */
export const V2_STATUS_KEYS = [
  'sse', 'fna', 'fwv', 'car', 'alw', 'acu', 'frc', 'amp', 'ama', 'cbl', 'err', 'nrg', 'eto', 'wh', 'dwo', 'pha', 'tma', 'psm',
  'acs', 'trx', 'lmo', 'modelStatus', 'adi',
];

const V1_ERRORS: Record<number, string> = { 1: 'RCCB (residual current)', 3: 'Phase disturbance', 8: 'No ground' };

/** The hand-written v2 key list (firmware before 59). */
const V2_ERRORS_OLD = [
  'None', 'FI AC (residual current)', 'FI DC (residual current)', 'Phase fault', 'Overvoltage', 'Overcurrent', 'Diode fault',
  'Invalid PP (cable)', 'Ground invalid', 'Contactor stuck', 'Contactor missing', 'FI unknown', 'Unknown', 'Overtemperature',
  'No communication', 'Lock stuck open', 'Lock stuck locked',
];
/** The key list exported from firmware 59.4 and later: values above 10 moved (11 is not used). */
const V2_ERRORS_59: Record<number, string> = {
  12: 'Lock stuck open', 13: 'Lock stuck locked', 14: 'FI unknown', 15: 'Unknown', 16: 'Overtemperature', 17: 'No communication',
  18: 'CP invalid', 23: 'RDC self-test failed',
};

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : typeof v === 'boolean' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

function round(n: number | null, digits = 3): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Leading number of a firmware string: "040.0" → 40, "60.3" → 60, "020-rc1" → 20. */
export function firmwareMajor(fwv: string | null): number | null {
  const m = fwv ? /^\s*(\d+)/.exec(fwv) : null;
  return m ? Number(m[1]) : null;
}

function carState(car: number | null): GoeCarState {
  switch (car) {
    case 1: return 'ready_no_car';
    case 2: return 'charging';
    case 3: return 'waiting_for_car';
    case 4: return 'charging_done';
    case 5: return 'error';
    case 6: return 'initializing';
    default: return car === 0 ? 'error' : 'unknown';
  }
}

function errorText(code: number | null, dialect: GoeDialect, firmware: string | null): string | null {
  if (code === null || code === 0) return null;
  if (dialect === 'v1') return V1_ERRORS[code] ?? `Internal error (${code})`;
  const major = firmwareMajor(firmware) ?? 0;
  const name = code <= 10 || major < 59 ? V2_ERRORS_OLD[code] : V2_ERRORS_59[code];
  return name ? `${name} (${code})` : `Error ${code}`;
}

/** Six flags, index 0-2 = L1-L3 after the contactor (to the car), 3-5 = L1-L3 before it (supply). */
function phaseFlags(pha: unknown, dialect: GoeDialect): boolean[] {
  if (dialect === 'v2' && Array.isArray(pha)) return [0, 1, 2, 3, 4, 5].map((i) => pha[i] === true);
  const bits = num(pha) ?? 0;
  return [0, 1, 2, 3, 4, 5].map((i) => ((bits >> i) & 1) === 1);
}

function temperature(raw: GoeRawStatus): number | null {
  const values = Array.isArray(raw.tma) ? raw.tma.map(num).filter((n): n is number => n !== null) : [];
  if (values.length > 0) return round(Math.max(...values), 2);
  return num(raw.tmp);
}

/** The `nrg` array and `pha` flags in V, A and W per phase; `flags` as `phaseFlags` gives them. */
function measurements(raw: GoeRawStatus, dialect: GoeDialect) {
  const v1 = dialect === 'v1';
  const nrg = Array.isArray(raw.nrg) ? raw.nrg.map(num) : [];
  const at = (i: number): number | null => (i < nrg.length ? nrg[i] : null);
  const flags = phaseFlags(raw.pha, dialect);

  const voltages = [at(0), at(1), at(2)];
  const currents = [4, 5, 6].map((i) => round(v1 ? mul(at(i), 0.1) : at(i)));
  const powers = [7, 8, 9].map((i) => round(v1 ? mul(at(i), 100) : at(i)));
  let totalPowerW = round(v1 ? mul(at(11), 10) : at(11));
  // Single-phase supply with L and N swapped: the line voltage shows up on N (go-e app logic).
  const onlyL1Supply = flags[3] && !flags[4] && !flags[5];
  const vN = at(3);
  if (onlyL1Supply && vN !== null && (voltages[0] ?? 0) < vN) {
    voltages[0] = vN;
    const pN = round(v1 ? mul(at(10), 100) : at(10));
    if ((powers[0] ?? 0) === 0 && pN) powers[0] = pN;
  }
  if (totalPowerW === null && powers.some((p) => p !== null)) totalPowerW = powers.reduce<number>((s, p) => s + (p ?? 0), 0);

  const phases = [0, 1, 2].map((i) => ({
    phase: i as PhaseIndex,
    voltageV: voltages[i],
    currentA: currents[i],
    powerW: powers[i],
  })) as [PhaseMeasurement, PhaseMeasurement, PhaseMeasurement];
  return { flags, voltages, currents, powers, totalPowerW, phases };
}

/** Parse one go-e status object (v1 strings or v2 JSON) into the normalised status and the detail. */
export function parseStatus(raw: GoeRawStatus, dialect: GoeDialect, api: ChargerApi): GoeSnapshot {
  const v1 = dialect === 'v1';
  const { flags, voltages, currents, powers, totalPowerW, phases } = measurements(raw, dialect);
  const firmware = str(raw.fwv);
  const hasAmx = v1 && (raw.amx !== undefined || (firmwareMajor(firmware) ?? 0) >= 40);
  const limit = num(v1 && raw.amx !== undefined ? raw.amx : raw.amp);
  const car = num(raw.car);
  const errCode = num(raw.err);
  const error = errorText(errCode, dialect, firmware);
  const allow = bool(raw.alw);

  const totalWh = v1 ? mul(num(raw.eto), 100) : num(raw.eto);
  const sessionWh = round(v1 ? mul(num(raw.dws), 10 / 3600) : num(raw.wh), 1);
  const dwo = num(raw.dwo);
  const limitWh = dwo === null || dwo <= 0 ? null : v1 ? dwo * 100 : dwo;
  const stopState = v1 ? num(raw.stp) === 2 && limitWh !== null : limitWh !== null;
  const cable = num(raw.cbl);
  const psm = v1 ? null : num(raw.psm);
  const acu = num(raw.acu);

  let state: ChargerState;
  if (errCode !== null && errCode !== 0) state = 'error';
  else if (car === 1) state = 'idle';
  else if (car === 2) state = 'charging';
  else if (car === 3) state = 'connected';
  else if (car === 4) state = 'complete';
  else if (car === 5 || car === 0) state = 'error';
  else state = 'unknown';

  const serial = str(raw.sse) ?? '';
  const status: ChargerStatus = {
    brand: 'goe',
    api,
    id: serial,
    name: str(raw.fna) ?? `go-eCharger ${serial}`.trim(),
    firmware,
    online: true,
    state,
    chargingAllowed: allow,
    currentLimitA: limit,
    phases,
    activePhases: state === 'charging' ? countActivePhases(phases) : 0,
    powerW: totalPowerW,
    sessionEnergyWh: sessionWh,
    totalEnergyWh: totalWh,
    temperatureC: temperature(raw),
    error: error ?? (state === 'error' ? 'Charger reports an error' : null),
  };
  const detail: GoeDetail = {
    serial,
    friendlyName: str(raw.fna),
    firmware,
    maxAmpereA: limit,
    absoluteMaxA: num(raw.ama),
    pwmSignal: carState(car),
    offeredCurrentA: acu !== null ? acu : v1 ? (allow ? limit : 0) : null,
    error,
    errorCode: errCode,
    voltageL1V: voltages[0],
    voltageL2V: voltages[1],
    voltageL3V: voltages[2],
    currentL1A: currents[0],
    currentL2A: currents[1],
    currentL3A: currents[2],
    powerL1W: powers[0],
    powerL2W: powers[1],
    powerL3W: powers[2],
    phases: flags.slice(3).filter(Boolean).length,
    sessionChargeConsumptionLimitWh: limitWh,
    sessionChargeConsumptionWh: sessionWh,
    totalConsumptionWh: totalWh,
    allowCharging: allow,
    stopState,
    cableEncodingA: cable !== null && cable > 0 ? cable : null,
    adapter16A: bool(raw.adi),
    temperatureC: temperature(raw),
    phaseMode: psm === 0 ? 'auto' : psm === 1 ? '1' : psm === 2 ? '3' : null,
    forceState: v1 ? null : num(raw.frc),
    hasAmx,
    ...access(raw, v1, car, allow),
  };
  status.reason = detail.reason?.id ?? null;
  return { status, detail, raw };
}

/** Access control, transaction, logic mode and the charger's own reason (see `GoeDetail`). */
function access(raw: GoeRawStatus, v1: boolean, car: number | null, allow: boolean) {
  const accessControl = num(v1 ? raw.ast : raw.acs);
  const transaction = num(v1 ? raw.uby : raw.trx);
  const reason = v1 ? null : goeReason(raw.modelStatus);
  const waitingForCar = car === 3;
  const waitingForAuthorisation = v1
    ? waitingForCar && accessControl === 1 && !allow && !transaction
    : waitingForCar && ((accessControl === 1 && 'trx' in raw && raw.trx === null) || reason?.id === 'waiting_for_authorisation');
  return { accessControl, transaction, logicMode: v1 ? null : num(raw.lmo), reason, waitingForAuthorisation };
}

/** One key and the value to write to it, in the dialect's units. */
export type GoeWrite = readonly [key: string, value: unknown];

/** What each command writes in one dialect; a command it lacks is absent. */
export interface GoeCommands {
  /** The current offered per phase (whole amps, already checked). */
  current(amps: number, detail: GoeDetail): GoeWrite;
  pause: GoeWrite;
  /** Offer current again; `forceOn`: v2 `frc=2` instead of neutral (lib/goe/resume.ts says when). */
  resume(forceOn: boolean): GoeWrite;
  /** Authorise a session that waits for an RFID card or the app (v2 `trx=0`; on v1 `alw=1` is the authorisation). */
  authorise?: GoeWrite;
  /** The writes, in order, that stop the session after `wh` (null: no limit). */
  energyLimit(wh: number | null): GoeWrite[];
  phaseMode?(mode: GoePhaseMode): GoeWrite;
  pvData?(data: PvData): GoeWrite;
}

export const GOE_COMMANDS: Record<GoeDialect, GoeCommands> = {
  v1: {
    // The volatile `amx` where the firmware has it: `amp` is written to flash.
    current: (amps, detail) => [detail.hasAmx ? 'amx' : 'amp', amps],
    pause: ['alw', 0],
    resume: () => ['alw', 1],
    // v1 counts in 0.1 kWh and needs `stp=2` to act on the limit.
    energyLimit: (wh) => {
      const tenths = wh === null ? 0 : Math.max(1, Math.round(wh / 100));
      return [['dwo', tenths], ['stp', tenths === 0 ? 0 : 2]];
    },
  },
  v2: {
    current: (amps) => ['amp', amps],
    // `frc` 1 = off; 0 = neutral: the charger's own logic decides; 2 = on, whatever that logic says.
    pause: ['frc', 1],
    resume: (forceOn) => ['frc', forceOn ? 2 : 0],
    authorise: ['trx', 0],
    energyLimit: (wh) => [['dwo', wh === null ? null : Math.round(wh)]],
    phaseMode: (mode) => ['psm', PSM[mode]],
    pvData: (data) => {
      const ids: Record<string, number> = { pGrid: data.gridW };
      if (data.pvW !== undefined) ids.pPv = data.pvW;
      if (data.batteryW !== undefined) ids.pAkku = data.batteryW;
      return ['ids', ids];
    },
  },
};

function mul(n: number | null, f: number): number | null {
  return n === null ? null : n * f;
}

/** Does this object look like a go-e status (v1 or v2)? */
export function looksLikeGoe(raw: unknown): raw is GoeRawStatus {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const r = raw as GoeRawStatus;
  const has = (k: string): boolean => r[k] !== undefined && r[k] !== null;
  return (has('car') || has('sse')) && (has('fwv') || has('amp') || has('nrg'));
}
