/**
 * go-e charger client: what the app asks of a go-e, over whichever API the connection speaks. The
 * dialects each read and write raw keys behind one small interface (`GoeApi`, api.ts): local v2
 * (localV2.ts), local v1 (localV1.ts), cloud v2 and v1 (cloud.ts); connection.ts builds the one for a
 * connection, and for `api: 'auto'` tries v2, then v1, and probes again after a connection or
 * protocol failure. This client:
 * - validates every command before any request, then writes it as one write, tried once, even when
 *   the charger already reports that value (what to repeat or retry is the actuator's call);
 * - writes the keys and units the dialect speaks (status.ts `GOE_COMMANDS`);
 * - keeps the last status read or confirmed by a write (for the limits and the id), and forgets it
 *   after a failure;
 * - never writes `ama` (the installer's absolute maximum).
 * Requests go one at a time, at least `minGapMs` apart on the injected (monotonic) clock, each with a
 * timeout. A write succeeds only on an answer that confirms it; a 2xx answer that is not the expected
 * JSON (an HTML page) is a 'protocol' PeerError.
 */
import { ChargerApi } from '../charger';
import { Clock, SystemClock } from '../clock';
import { PeerError, UserInputError } from '../errors';
import { DEFAULT_TIMEOUT_MS, HttpTransport, nodeFetchTransport } from '../http';
import { GoeApi } from './api';
import { GoeApiChoice, GoeConnection, openGoe } from './connection';
import { DEFAULT_AUTHORISE_HINT, GoeAuthorisationError, GoePauseMemory, authorisationMessage, freshPauseMemory, planResume, rememberPause } from './resume';
import { GOE_COMMANDS, GOE_PHASE_MODES, GoeCommands, GoePhaseMode, GoeRawStatus, GoeSnapshot, GoeWrite, PvData, parseStatus } from './status';

export { GOE_HOST_USE, normaliseHost, normaliseSerial } from './connection';
export type { GoeConnection, GoeLocalApi } from './connection';
export type { PvData } from './status';
export { GoeAuthorisationError } from './resume';

export interface GoeClientOptions {
  transport?: HttpTransport;
  clock?: Clock;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /** Minimum time between two requests (default 200 ms local, 1000 ms cloud). */
  minGapMs?: number;
  /** Highest current the installation allows (A); every current write is checked against it. */
  installationMaxA?: number;
  /**
   * A resume may authorise a session that waits for an RFID card or the app (v2 `trx=0`, as the go-e app
   * does; v1 `alw=1`). It bypasses the RFID check, so only when the user enabled it (default off).
   */
  authorise?: boolean;
  /** What the refusal tells the user to do instead of holding a card (default: the device setting). */
  authoriseHint?: string;
}

/** What a resume wrote. */
export interface GoeResumed {
  /** The writes, as `key=value`, in order. */
  wrote: string[];
  /** It authorised a session that waited for an RFID card or the app. */
  authorised: boolean;
}

/** The charger that answers is not the one this client is for (DHCP gave its address to another go-e). */
export class GoeOtherChargerError extends PeerError {
  constructor(
    readonly host: string,
    readonly serial: string,
    readonly expected: string,
  ) {
    super('protocol', `the charger at ${host} is serial ${serial}, not ${expected}; repair the device or fix the address`);
    this.name = 'GoeOtherChargerError';
  }
}

/** Serials compare as go-e numbers them: digits, leading zeros optional ("12345" is "012345"). */
const serialKey = (serial: string): string => serial.trim().replace(/^0+(?=\d)/, '');

export const GOE_MIN_CURRENT_A = 6;
export const GOE_MAX_CURRENT_A = 32;
/** What the 16 A adapter (`adi`) lets the charger offer (A). */
export const GOE_ADAPTER_MAX_A = 16;

/**
 * Every cap on what a write may ask for, with what sets it: the physical ones first, so that an error names the
 * adapter or the cable when the charger's `ama` or the installation allows as little.
 */
function maxCaps(installationMaxA: number, snapshot: GoeSnapshot | undefined): [number, string][] {
  const caps: [number, string][] = [];
  if (snapshot?.detail.adapter16A) caps.push([GOE_ADAPTER_MAX_A, 'the 16 A adapter']);
  if (snapshot?.detail.cableEncodingA) caps.push([snapshot.detail.cableEncodingA, 'the cable']);
  if (snapshot?.detail.absoluteMaxA) caps.push([snapshot.detail.absoluteMaxA, 'the charger maximum (ama)']);
  caps.push([installationMaxA, 'the installation maximum (device setting)'], [GOE_MAX_CURRENT_A, 'the charger']);
  return caps;
}

/** The last status, and the API that read or confirmed it (the one the next commands write to). */
interface Known {
  snap: GoeSnapshot;
  api: GoeApi;
}

export class GoeClient {
  readonly connection: GoeConnection;
  private readonly choice: GoeApiChoice;
  private readonly whereText: string;
  private installationMaxA = GOE_MAX_CURRENT_A;
  private last: Known | undefined;
  private readonly authorise: boolean;
  private readonly authoriseHint: string;
  private pauseMemory: GoePauseMemory = freshPauseMemory();
  private expectedSerial = '';

  constructor(connection: GoeConnection, options: GoeClientOptions = {}) {
    if (options.installationMaxA !== undefined) this.setInstallationMax(options.installationMaxA);
    this.authorise = options.authorise === true;
    this.authoriseHint = options.authoriseHint ?? DEFAULT_AUTHORISE_HINT;
    const opened = openGoe(connection, {
      transport: options.transport ?? nodeFetchTransport,
      clock: options.clock ?? new SystemClock(),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      minGapMs: options.minGapMs,
    });
    this.connection = opened.connection;
    this.choice = opened.choice;
    this.whereText = opened.http.where;
  }

  get isCloud(): boolean {
    return this.connection.kind === 'cloud';
  }

  /** The API in use, once known. */
  get api(): ChargerApi | null {
    return this.choice.chosen?.api ?? null;
  }

  /** The last status read or written, if any. */
  get lastSnapshot(): GoeSnapshot | undefined {
    return this.last?.snap;
  }

  /** Where the client talks to, without any secret and without a trailing slash. */
  get where(): string {
    return this.whereText;
  }

  /** Take over what `previous` (the same charger over an old connection) remembers of the app's own pause. */
  carryOver(previous: GoeClient): void {
    this.pauseMemory = { ...previous.pauseMemory };
  }

  /**
   * Only talk to the charger with this serial: a status from another one (it reports a different serial) fails
   * every read and command with a `GoeOtherChargerError`. A status without a serial (older firmware) is accepted.
   */
  expectSerial(serial: string): void {
    this.expectedSerial = serial.trim();
  }

  setInstallationMax(currentA: number): void {
    if (!Number.isFinite(currentA) || currentA < GOE_MIN_CURRENT_A || currentA > GOE_MAX_CURRENT_A) {
      throw new UserInputError('installation maximum', `expected ${GOE_MIN_CURRENT_A}–${GOE_MAX_CURRENT_A} A, got ${currentA}`);
    }
    this.installationMaxA = Math.floor(currentA);
  }

  /** Highest current a write may ask for now: 32 A, the charger's `ama`, the cable, the 16 A adapter and the installation. */
  maxCurrentA(snapshot = this.last?.snap): number {
    return Math.max(GOE_MIN_CURRENT_A, Math.min(...maxCaps(this.installationMaxA, snapshot).map(([a]) => a)));
  }

  async getSnapshot(): Promise<GoeSnapshot> {
    return (await this.read()).snap;
  }

  /** Set the current offered per phase (whole amps, 6–32 and within `ama`, the cable and the installation). */
  async setCurrentLimit(currentA: number): Promise<void> {
    if (typeof currentA !== 'number' || !Number.isFinite(currentA)) {
      throw new UserInputError('current', `expected a number of amps, got ${String(currentA)}`);
    }
    const amps = Math.floor(currentA);
    if (amps < GOE_MIN_CURRENT_A || amps > GOE_MAX_CURRENT_A) {
      throw new UserInputError('current', `${currentA} A is outside ${GOE_MIN_CURRENT_A}–${GOE_MAX_CURRENT_A} A; use pause to stop charging`);
    }
    if (amps > this.installationMaxA) {
      throw new UserInputError('current', `${amps} A is above the installation maximum of ${this.installationMaxA} A (device setting)`);
    }
    const { snap, api } = await this.known();
    const max = this.maxCurrentA(snap);
    if (amps > max) {
      const why = maxCaps(this.installationMaxA, snap).find(([a]) => a === max)?.[1] ?? 'the charger';
      throw new UserInputError('current', `${amps} A is above ${max} A allowed by ${why}`);
    }
    await this.write(api, commands(api).current(amps, snap.detail));
  }

  /** Stop offering current without ending the session (v1 `alw=0`, v2 `frc=1`). */
  async pause(): Promise<void> {
    const { snap, api } = await this.known();
    await this.write(api, commands(api).pause);
    this.pauseMemory = rememberPause(this.pauseMemory, snap);
  }

  /**
   * Let the charger offer current again, from a fresh status (resume.ts): v1 `alw=1`; v2 `frc=0` (the
   * charger's own logic decides), or `frc=2` where the app's pause replaced a forced-on state, after
   * `trx=0` when the session waits for authorisation and the user allowed authorising. A session that
   * waits for authorisation without that permission fails with a `GoeAuthorisationError`.
   */
  async resume(): Promise<GoeResumed> {
    const { snap, api } = await this.read();
    const plan = planResume(snap, api.dialect, this.pauseMemory, this.authorise);
    const wrote: string[] = [];
    for (const write of plan.writes) {
      await this.write(api, write);
      wrote.push(`${write[0]}=${String(write[1])}`);
    }
    if (plan.refuse) throw new GoeAuthorisationError(authorisationMessage(this.authoriseHint));
    this.pauseMemory = freshPauseMemory();
    return { wrote, authorised: plan.authorises };
  }

  /** Phase switch mode (v2 `psm`, V3/V4 firmware from 051.8). */
  async setPhaseMode(mode: GoePhaseMode): Promise<void> {
    if (!GOE_PHASE_MODES.includes(mode)) throw new UserInputError('phase mode', `"${String(mode)}" is not one of auto, 1, 3`);
    const { snap, api } = await this.known();
    const encode = commands(api).phaseMode;
    if (!encode || snap.detail.phaseMode === null) {
      throw new UserInputError('phase mode', `this charger (firmware ${snap.detail.firmware ?? '?'}, API ${api.api}) cannot switch phases; that needs a V3/V4 go-e with API v2`);
    }
    await this.write(api, encode(mode));
  }

  /** Stop the session after this much energy (Wh); null removes the limit. */
  async setSessionEnergyLimit(energyWh: number | null): Promise<void> {
    if (energyWh !== null && (!Number.isFinite(energyWh) || energyWh < 0 || energyWh > 1_000_000)) {
      throw new UserInputError('session energy limit', `expected 0–1000 kWh, got ${String(energyWh)}`);
    }
    const { api } = await this.known();
    for (const write of commands(api).energyLimit(energyWh === null || energyWh === 0 ? null : energyWh)) await this.write(api, write);
  }

  /** Feed PV-surplus data to the charger (v2 `ids`); the charger drops it after about 5 s. */
  async pushPvData(data: PvData): Promise<void> {
    const fields: [string, number | undefined][] = [['gridW', data.gridW], ['pvW', data.pvW], ['batteryW', data.batteryW]];
    for (const [name, value] of fields) {
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 1_000_000)) {
        throw new UserInputError(name, `expected watts (a number), got ${String(value)}`);
      }
    }
    if (data.gridW === undefined) throw new UserInputError('gridW', 'is required');
    const { api } = await this.known();
    const encode = commands(api).pvData;
    if (!encode) throw new UserInputError('pv data', 'needs API v2 (go-e V3/V4); this charger speaks v1');
    await this.write(api, encode(data));
  }

  // ---------------------------------------------------------------------------------------------

  /** The last status and its API, or a fresh read when there is none yet (the dialect and limits it tells). */
  private async known(): Promise<Known> {
    return this.last ?? this.read();
  }

  private read(): Promise<Known> {
    return this.guard(async () => {
      const { api, raw } = await this.choice.read();
      return this.remember(raw, api);
    });
  }

  private remember(raw: GoeRawStatus, api: GoeApi): Known {
    const snap = parseStatus(raw, api.dialect, api.api);
    const serial = snap.detail.serial;
    if (this.expectedSerial && serial && serialKey(serial) !== serialKey(this.expectedSerial)) {
      throw new GoeOtherChargerError(this.whereText.replace(/^https?:\/\//, ''), serial, this.expectedSerial);
    }
    this.last = { snap, api };
    // unplugged: the session and what the app's pause replaced in it are over (the charger resets frc and trx)
    if (this.last.snap.detail.pwmSignal === 'ready_no_car') this.pauseMemory = freshPauseMemory();
    return this.last;
  }

  /** Forget what we know after a failure so the next call reads (and, for `auto`, probes) again. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PeerError) {
        this.last = undefined;
        this.choice.forget(err);
      }
      throw err;
    }
  }

  /** One write of one key, once; the status it confirms is remembered. */
  private async write(api: GoeApi, [key, value]: GoeWrite): Promise<void> {
    if (key === 'ama') throw new Error('refusing to write ama');
    await this.guard(async () => {
      const { status, changed } = await api.write(key, value);
      const base = status ?? this.last?.snap.raw;
      if (base && (status || changed)) this.remember({ ...base, ...changed }, api);
    });
  }
}

function commands(api: GoeApi): GoeCommands {
  return GOE_COMMANDS[api.dialect];
}
