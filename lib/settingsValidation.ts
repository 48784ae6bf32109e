/**
 * Checks a whole settings object sent by the settings page (PUT /settings) before anything is stored.
 * Pure: no Homey, no I/O. Every problem gets one actionable line keyed by its field path
 * ("fuseA", "meter.host", "chargers.<id>.phaseMap"), so the page can show it next to the field.
 * Numbers may arrive as numeric strings (form inputs); anything else of the wrong type is rejected.
 */
import { FUSE_LIMITS_A, GRID_PHASES, type GridPhase } from './balancer/types';
import { quoteInput } from './errors';
import { type HostUse, tryNormaliseHost } from './host';
import { isValidTimeZone } from './meter/dsmr';
import { HOMEWIZARD_HOST_USE, isHomeWizardSerial } from './meter/homewizard';
import { isV2Token, normaliseFingerprint } from './meter/homewizardV2Client';
import { tryP1TcpAddress } from './meter/p1tcp';
import { validateCapacitySettings } from './capacity/validate';
import { type AppSettings, type CapacitySettings, type ChargerSettings, DEFAULT_CAPACITY_SETTINGS, type ManualOverrideMode, type MeterSettings, type MeterSourceKind } from './settings';
import type { MeterSignSetting } from './solar/surplus';
import { isRecord } from './record';

export type SettingsValidation = { ok: true; value: AppSettings } | { ok: false; errors: Record<string, string> };

/** The limits the page and the validation agree on. */
export const SETTINGS_LIMITS = {
  fuseA: FUSE_LIMITS_A,
  restoreStepA: { min: 1, max: 16 },
  restoreHoldS: { min: 5, max: 3600 },
  staleAfterS: { min: 5, max: 600 },
  pauseAfterS: { max: 3600 },
  resumeWindowS: { min: 10, max: 3600 },
  priority: { min: 0, max: 10 },
  maxCurrentA: { min: 6, max: 32 },
  /** The fuse minus the margin must leave room for one car at its minimum current. */
  minChargeA: 6,
} as const;

export const METER_SOURCES: readonly MeterSourceKind[] = ['homewizard', 'homewizard-v2', 'homey-device', 'flow', 'p1tcp'];
export const MANUAL_OVERRIDE_MODES: readonly ManualOverrideMode[] = ['until-unplug', 'ignore'];
export const METER_SIGNS: readonly MeterSignSetting[] = ['auto', 'signed', 'unsigned'];

type Errors = Record<string, string>;

/** Longest id (charger or meter device) taken as one. */
const MAX_ID_CHARS = 200;

export function validateAppSettings(input: unknown, knownChargerIds: string[]): SettingsValidation {
  const errors: Errors = {};
  if (!isRecord(input)) return { ok: false, errors: { settings: 'Settings must be a JSON object' } };
  const L = SETTINGS_LIMITS;

  const balancing = readBoolean(input.balancing, 'balancing', 'Balancing must be on or off (true or false)', errors);
  const fuseA = readNumber(input.fuseA, 'fuseA', { ...L.fuseA, what: 'Main fuse', unit: 'A' }, errors);

  const marginA = readNumber(input.marginA, 'marginA', { min: 0, what: 'Margin', unit: 'A', integer: true }, errors);
  if (marginA === undefined && toNumber(input.marginA) !== undefined && (toNumber(input.marginA) as number) >= 0) {
    errors.marginA = 'Margin must be whole amps: the meter and the chargers work in whole amps, so 0.5 A would act as 1 A';
  }
  if (marginA !== undefined && fuseA !== undefined && marginA >= fuseA - L.minChargeA) {
    errors.marginA = `Margin must be less than ${fmt(fuseA - L.minChargeA)} A (fuse ${fmt(fuseA)} A minus the ${L.minChargeA} A a car needs)`;
  }

  const restoreStepA = readNumber(input.restoreStepA, 'restoreStepA', { ...L.restoreStepA, what: 'Restore step', unit: 'A' }, errors);
  const restoreHoldS = readNumber(input.restoreHoldS, 'restoreHoldS', { ...L.restoreHoldS, what: 'Hold time', unit: 's', integer: true }, errors);
  const staleAfterS = readNumber(input.staleAfterS, 'staleAfterS', { ...L.staleAfterS, what: '"Drop to 6 A after"', unit: 's', integer: true }, errors);
  let pauseAfterS = readNumber(
    input.pauseAfterS, 'pauseAfterS',
    { min: L.staleAfterS.min + 1, max: L.pauseAfterS.max, what: '"Pause after"', unit: 's', integer: true }, errors,
  );
  if (pauseAfterS !== undefined && staleAfterS !== undefined && pauseAfterS <= staleAfterS) {
    errors.pauseAfterS = `"Pause after" must be longer than "drop to 6 A after" (${staleAfterS} s)`;
    pauseAfterS = undefined;
  }
  const resumeWindowS = readNumber(input.resumeWindowS, 'resumeWindowS', { ...L.resumeWindowS, what: 'Resume window', unit: 's', integer: true }, errors);
  const quickRestore = input.quickRestore === undefined
    ? true
    : readBoolean(input.quickRestore, 'quickRestore', 'Quick raising while the fuse is cool must be on or off (true or false)', errors);

  const manualOverride = readChoice(input.manualOverride, 'manualOverride', MANUAL_OVERRIDE_MODES, 'Manual override', errors);
  const meter = readMeter(input.meter, errors);
  const chargers = readChargers(input.chargers, knownChargerIds, errors);
  const capacity = readCapacity(input, errors);
  const meterSign = readMeterSign(input.meterSign, errors);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      balancing: balancing!,
      fuseA: fuseA!,
      marginA: marginA!,
      restoreStepA: restoreStepA!,
      restoreHoldS: restoreHoldS!,
      staleAfterS: staleAfterS!,
      pauseAfterS: pauseAfterS!,
      resumeWindowS: resumeWindowS!,
      quickRestore: quickRestore!,
      manualOverride: manualOverride!,
      meter: meter!,
      chargers,
      ...capacity,
      ...meterSign,
    },
  };
}

/**
 * The capacity guard's settings through its one validation (lib/capacity/validate.ts), each problem on its own key
 * (capacity_kw, …); the time zone is the Homey's, checked where the guard is built (lib/app/capacity.ts).
 */
function readCapacity(input: Record<string, unknown>, errors: Errors): CapacitySettings | undefined {
  const r = validateCapacitySettings(input, 'UTC');
  if (!r.ok) {
    Object.assign(errors, r.errors);
    return undefined;
  }
  const c = r.value;
  return {
    capacity_rule: c.rule,
    capacity_kw: c.capKW,
    capacity_period_min: c.periodMin,
    capacity_se_peaks: c.sePeakCount ?? DEFAULT_CAPACITY_SETTINGS.capacity_se_peaks,
    capacity_se_weekday_daytime: c.seWeekdayDaytimeOnly ?? false,
  };
}

/**
 * The HomeWizard host as stored (`normaliseHost`: IPv6 in brackets, an optional port), or the problem as the page
 * shows it next to the field (one line, starting with a capital).
 */
export function readMeterHost(value: unknown): { host: string; problem: null } | { host: null; problem: string } {
  const r = tryNormaliseHost(value, HOMEWIZARD_HOST_USE);
  return r.problem === null ? r : { host: null, problem: r.problem.charAt(0).toUpperCase() + r.problem.slice(1) };
}

/** The P1 dongle's address in the messages of the settings page (and of `npm start -- --meter p1tcp://…`). */
const P1TCP_HOST_USE: HostUse = { field: 'meter.host', device: 'P1 dongle', example: '192.168.1.40:8088' };

/**
 * The address of a P1 dongle or serial-to-TCP bridge (source 'p1tcp') as stored: `host:port`, IPv6 in brackets, the
 * port required, "p1tcp://" in front allowed; or the problem as the page shows it next to the field (one line,
 * starting with a capital, with an example): the source's own reading (`tryP1TcpAddress`), with this field's example.
 */
export function readP1TcpHost(value: unknown): { host: string; problem: null } | { host: null; problem: string } {
  const text = typeof value === 'string' ? value.trim().replace(/^p1tcp:\/\//i, '') : value;
  if (text === '' || text === null || text === undefined) {
    return { host: null, problem: `Enter the address of the P1 dongle: its host name or IP address and TCP port (e.g. ${P1TCP_HOST_USE.example})` };
  }
  const r = tryP1TcpAddress(text, P1TCP_HOST_USE);
  if (r.problem !== null) return { host: null, problem: r.problem.charAt(0).toUpperCase() + r.problem.slice(1) };
  return { host: r.address.hostPort, problem: null };
}

function readMeter(raw: unknown, errors: Errors): MeterSettings | undefined {
  if (!isRecord(raw)) {
    errors.meter = 'Choose where the meter readings come from';
    return undefined;
  }
  const source = readChoice(raw.source, 'meter.source', METER_SOURCES, 'Meter source', errors);
  let host: string | null = null;
  let deviceId: string | null = null;

  // One host for both network meters: the HomeWizard's host[:port], or the P1 dongle's host:port.
  if (source === 'p1tcp') {
    const r = readP1TcpHost(raw.host ?? '');
    if (r.problem !== null) errors['meter.host'] = r.problem;
    host = r.host;
  } else if (raw.host !== null && raw.host !== undefined) {
    const r = readMeterHost(raw.host);
    if (source === 'homewizard' && r.problem !== null) errors['meter.host'] = r.problem;
    // Kept for another source only when valid, so switching back does not lose it.
    host = r.host;
  } else if (source === 'homewizard' || source === 'homewizard-v2') {
    errors['meter.host'] = readMeterHost('').problem!;
  }
  if (source === 'homewizard-v2' && raw.host !== null && raw.host !== undefined && host === null) errors['meter.host'] = readMeterHost(raw.host).problem!;
  const v2 = readV2Pairing(raw, source === 'homewizard-v2', errors);
  const timeZone = readTimeZone(raw.timeZone, errors);

  // Missing in settings saved before the app followed a meter by serial: null, like a host typed by hand.
  let serial: string | null = null;
  const serialText = typeof raw.serial === 'string' ? raw.serial.trim() : raw.serial;
  if (typeof serialText === 'string' && isHomeWizardSerial(serialText)) serial = serialText;
  else if (serialText !== null && serialText !== undefined && serialText !== '') {
    errors['meter.serial'] = 'HomeWizard serial must be 1 to 64 letters, digits, "-" or "_" (e.g. 3c39e7aabbcc): pick the meter again from the list';
  }

  if (raw.deviceId !== null && raw.deviceId !== undefined && typeof raw.deviceId !== 'string') {
    errors['meter.deviceId'] = 'Meter device must be a device id (text)';
  } else {
    const id = typeof raw.deviceId === 'string' ? raw.deviceId.trim() : '';
    if (id.length > MAX_ID_CHARS) errors['meter.deviceId'] = `Meter device id is too long (at most ${MAX_ID_CHARS} characters)`;
    else if (id !== '') deviceId = id;
    else if (source === 'homey-device') errors['meter.deviceId'] = 'Choose the Homey meter device to read';
  }
  return source === undefined ? undefined : { source, deviceId, host, serial, ...v2, ...timeZone };
}

/**
 * The HomeWizard API v2 pairing kept with the meter settings: the token (a secret: no message shows it) and the pinned
 * certificate fingerprint. Both are required for the source 'homewizard-v2' and kept for another source when valid.
 */
function readV2Pairing(raw: Record<string, unknown>, required: boolean, errors: Errors): { token?: string; certFingerprint?: string } {
  const out: { token?: string; certFingerprint?: string } = {};
  const given = (v: unknown): boolean => v !== null && v !== undefined && v !== '';
  if (isV2Token(raw.token)) out.token = raw.token;
  else if (given(raw.token)) errors['meter.token'] = 'The stored HomeWizard token is not valid: pair the meter again (press "Pair", then the button on the meter)';
  const fp = normaliseFingerprint(raw.certFingerprint);
  if (fp) out.certFingerprint = fp;
  else if (given(raw.certFingerprint)) errors['meter.certFingerprint'] = 'Certificate fingerprint must be 64 hexadecimal digits (SHA-256): pair the meter again';
  if (required && (!out.token || !out.certFingerprint) && !errors['meter.token'] && !errors['meter.certFingerprint']) {
    errors['meter.token'] = 'Pair the meter first: press "Pair", then the button on the HomeWizard P1 meter within 30 s';
  }
  return out;
}

/** The meter's time zone for raw P1 timestamps: an IANA name, or nothing (the Homey's zone). */
function readTimeZone(raw: unknown, errors: Errors): { timeZone?: string } {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  if (text === null || text === undefined || text === '') return {};
  if (isValidTimeZone(text)) return { timeZone: text };
  errors['meter.timeZone'] = `Meter time zone ${quoteInput(text)} is not a time zone name such as Europe/Amsterdam or Europe/Brussels (leave it empty for the Homey's zone)`;
  return {};
}

/** "My meter reports export as a negative current": auto (detected), signed or unsigned; absent (settings saved
 *  before 0.4) stays absent, which means auto. */
function readMeterSign(raw: unknown, errors: Errors): { meterSign?: MeterSignSetting } {
  if (raw === undefined || raw === null) return {};
  if ((METER_SIGNS as readonly unknown[]).includes(raw)) return { meterSign: raw as MeterSignSetting };
  errors.meterSign = 'Meter current sign must be auto (detect it), signed (export shows as a negative current) or unsigned (currents never negative)';
  return {};
}

function readChargers(raw: unknown, knownIds: string[], errors: Errors): Record<string, ChargerSettings> {
  const out: Record<string, ChargerSettings> = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    errors.chargers = 'Chargers must be an object keyed by charger id';
    return out;
  }
  const known = new Set(knownIds);
  for (const [id, c] of Object.entries(raw)) {
    const p = `chargers.${id}`;
    if (!known.has(id)) {
      // No real id is this long: a huge key is not echoed back as an error key either.
      errors[id.length <= MAX_ID_CHARS ? p : 'chargers'] = `Unknown charger ${quoteInput(id)}: it is not paired with this app (reload the page)`;
      continue;
    }
    if (!isRecord(c)) {
      errors[p] = 'Charger settings must be an object';
      continue;
    }
    const enabled = readBoolean(c.enabled, `${p}.enabled`, '"Take part in balancing" must be true or false', errors);
    const priority = readNumber(c.priority, `${p}.priority`, { ...SETTINGS_LIMITS.priority, what: 'Priority', unit: '', integer: true }, errors);
    const maxCurrentA = readNumber(c.maxCurrentA, `${p}.maxCurrentA`, { ...SETTINGS_LIMITS.maxCurrentA, what: 'Maximum current', unit: 'A', integer: true }, errors);
    const phaseMap = readPhaseMap(c.phaseMap, `${p}.phaseMap`, errors);
    if (enabled !== undefined && priority !== undefined && maxCurrentA !== undefined && phaseMap !== undefined) {
      out[id] = { enabled, priority, maxCurrentA, phaseMap };
    }
  }
  return out;
}

function readPhaseMap(raw: unknown, path: string, errors: Errors): ChargerSettings['phaseMap'] | undefined {
  if (!Array.isArray(raw) || raw.length !== 3) {
    errors[path] = 'Phase mapping needs three entries, one per charger phase (L1, L2, L3 or not connected)';
    return undefined;
  }
  if (!raw.every((v): v is GridPhase | null => v === null || (GRID_PHASES as readonly unknown[]).includes(v))) {
    errors[path] = 'Each charger phase must map to grid phase L1, L2, L3 or "not connected"';
    return undefined;
  }
  const used = raw.filter((v): v is GridPhase => v !== null);
  if (used.length === 0) {
    errors[path] = 'Connect at least one charger phase to a grid phase';
    return undefined;
  }
  const twice = used.find((v, i) => used.indexOf(v) !== i);
  if (twice) {
    errors[path] = `Grid phase ${twice} is used twice: each grid phase can feed only one charger phase`;
    return undefined;
  }
  return [raw[0], raw[1], raw[2]];
}

interface NumberRule {
  min: number;
  max?: number;
  what: string;
  unit: string;
  integer?: boolean;
}

function readNumber(raw: unknown, path: string, rule: NumberRule, errors: Errors): number | undefined {
  const n = toNumber(raw);
  const ok = n !== undefined && n >= rule.min && (rule.max === undefined || n <= rule.max) && (!rule.integer || Number.isInteger(n));
  if (ok) return n;
  const kind = rule.integer ? 'a whole number' : 'a number';
  const unit = rule.unit ? ` ${rule.unit}` : '';
  errors[path] = rule.max === undefined
    ? `${rule.what} must be ${kind} of at least ${fmt(rule.min)}${unit}`
    : `${rule.what} must be ${kind} from ${fmt(rule.min)} to ${fmt(rule.max)}${unit}`;
  return undefined;
}

/** A finite number, or a string holding only a decimal number (form inputs). */
function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) return Number(raw);
  return undefined;
}

function readBoolean(raw: unknown, path: string, message: string, errors: Errors): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  errors[path] = message;
  return undefined;
}

function readChoice<T extends string>(raw: unknown, path: string, choices: readonly T[], what: string, errors: Errors): T | undefined {
  if ((choices as readonly unknown[]).includes(raw)) return raw as T;
  errors[path] = `${what} must be one of: ${choices.join(', ')}`;
  return undefined;
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}
