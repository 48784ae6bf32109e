/**
 * HomeWizard P1 meter, local API v1: `GET http://<host>/api` (device info) and
 * `GET http://<host>/api/v1/data` (the last telegram the dongle read from the smart meter).
 *
 * Freshness: v1 data carries no telegram id or timestamp, so a poll counts as a new telegram only
 * when any meter value differs from the previous poll (everything except the wifi_* fields). Active
 * power is reported to the watt and the energy registers to the Wh, so on a real installation nearly
 * every DSMR telegram differs; an unchanged payload means "nothing new" (or a frozen dongle) and
 * produces no sample, so the balancer's staleness timer sees it. A `timestamp` field (API v2 style),
 * when present, is part of that comparison like any other value and is never compared with a clock:
 * a wall-clock step either way neither freezes the source nor makes a repeated telegram look new.
 * Polls are paced on the monotonic clock (`Clock.monoMs`). Each new telegram is one sample
 * (`seq` + 1, `timeMs` = wall time at receipt, for display).
 *
 * Per phase: every phase of a new telegram is fresh. The dongle serves one telegram, read by the
 * meter at one moment, as a whole: it cannot go on updating some phases while another freezes, the
 * way separate capability events of a Homey device can (see homeyDevice.ts). A phase whose values
 * stay the same (a phase carrying nothing reads 0 W for hours) is a real reading, not a stale one.
 *
 * Per-phase current: `active_current_lN_a` (signed by the HomeWizard firmware, negative = export;
 * whole amps on NL meters), refined with `active_power_lN_w` / `active_voltage_lN_v` where present
 * (see `phaseCurrentA`; without a voltage the nominal 230 V is used). 1-phase meters report null for
 * L2/L3, which stay null in the samples.
 *
 * Power (for the capacity guard): `active_power_w` is the net power of the whole connection (W, negative while
 * exporting), `active_voltage_lN_v` the phase voltages, and on Belgian meters `montly_power_peak_w` (sic, API v1;
 * `monthly_power_peak_w` in API v2) the month's peak quarter-hour average the meter keeps itself.
 *
 * Host: anything `normaliseHost` (lib/host.ts) accepts, IPv6 included (`fd00::20`, `[::1]:8080`).
 */
import { clampPollInterval, type PollLimits } from '../pollInterval';
import type { Clock, TimerHandle } from '../clock';
import type { Triple } from '../balancer/types';
import { PeerError, describeError, quoteInput } from '../errors';
import { type HostUse, hostBaseUrl, normaliseHost } from '../host';
import { type HttpTransport, nodeFetchTransport, parseJson } from '../http';
import { BaseMeterSource, type MeterExtras, NOMINAL_VOLTAGE_V, phaseCurrentA } from './source';
import { isRecord } from '../record';

/** HomeWizard advises polling no faster than every 500 ms. */
export const MIN_POLL_INTERVAL_MS = 500;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
export const DEFAULT_HOMEWIZARD_TIMEOUT_MS = 3000;

/** Product types that measure the whole grid connection per phase. */
export const GRID_METER_PRODUCTS: Record<string, string> = {
  'HWE-P1': 'P1 Meter',
  'HWE-KWH3': 'kWh meter (3-phase)',
  'SDM630-wifi': 'kWh meter (3-phase)',
};

export interface HomeWizardDeviceInfo {
  productType: string;
  productName: string;
  serial: string;
  firmwareVersion: string;
  apiVersion: string;
}

/** The subset of /api/v1/data this app reads. Every field may be missing or null. */
export interface HomeWizardData {
  active_power_w?: number | null;
  active_power_l1_w?: number | null;
  active_power_l2_w?: number | null;
  active_power_l3_w?: number | null;
  active_current_l1_a?: number | null;
  active_current_l2_a?: number | null;
  active_current_l3_a?: number | null;
  active_voltage_l1_v?: number | null;
  active_voltage_l2_v?: number | null;
  active_voltage_l3_v?: number | null;
  smr_version?: number | null;
  /** Belgian meters (1-0:1.6.0): this month's peak quarter-hour average import (W); the API v1 spelling. */
  montly_power_peak_w?: number | null;
  [field: string]: unknown;
}

/** How the meter host is named in messages (the settings field it comes from). */
export const HOMEWIZARD_HOST_USE: HostUse = { field: 'meter.host', device: 'HomeWizard P1 meter' };

/** HomeWizard: a new telegram at most every second (DSMR 5); polling faster than 500 ms gains nothing. */
export const HOMEWIZARD_POLL: PollLimits = {
  defaultS: DEFAULT_POLL_INTERVAL_MS / 1000,
  minS: MIN_POLL_INTERVAL_MS / 1000,
  device: 'the HomeWizard P1 local API',
};

async function getJson(http: HttpTransport, url: string, timeoutMs: number): Promise<unknown> {
  const res = await http({ url, timeoutMs, maxBytes: 64 * 1024 });
  if (res.status === 403) {
    throw new PeerError('auth', `${url}: the local API is switched off; enable "Local API" for this meter in the HomeWizard Energy app`, 403);
  }
  if (res.status !== 200) throw new PeerError('http', `${url}: HTTP ${res.status}`, res.status);
  return parseJson(res, url);
}

/** Text a peer sent, cut short for a message. */
const peerText = (v: unknown): string => quoteInput(String(v), 40).slice(1, -1);

/** `GET /api`, validated: throws a clear error when the host is not a HomeWizard grid meter. */
export async function fetchHomeWizardInfo(
  host: string,
  opts: { http?: HttpTransport; timeoutMs?: number } = {},
): Promise<HomeWizardDeviceInfo> {
  const h = normaliseHost(host, HOMEWIZARD_HOST_USE);
  const url = `${hostBaseUrl(h)}/api`;
  let body: unknown;
  try {
    body = await getJson(opts.http ?? nodeFetchTransport, url, opts.timeoutMs ?? DEFAULT_HOMEWIZARD_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof PeerError && err.kind === 'protocol') throw new PeerError('protocol', `${h} is not a HomeWizard P1 meter (its /api does not answer JSON)`);
    throw err;
  }
  if (!isRecord(body) || typeof body.product_type !== 'string') {
    throw new PeerError('protocol', `${h} is not a HomeWizard P1 meter (no product_type in /api)`);
  }
  const productType = body.product_type;
  if (!GRID_METER_PRODUCTS[productType]) {
    throw new PeerError('protocol', `${h} is a HomeWizard ${peerText(body.product_name ?? productType)} (${peerText(productType)}), not a P1 meter`);
  }
  return {
    productType,
    productName: String(body.product_name ?? GRID_METER_PRODUCTS[productType]),
    serial: String(body.serial ?? ''),
    firmwareVersion: String(body.firmware_version ?? ''),
    apiVersion: String(body.api_version ?? ''),
  };
}

/**
 * Signed per-phase currents from a /api/v1/data payload (API v2 /api/measurement names without the
 * `active_` prefix are read too); null where the meter has no such phase.
 */
export function homeWizardCurrents(data: HomeWizardData, nominalV = NOMINAL_VOLTAGE_V): Triple<number | null> {
  const field = (name: string): number | null => num(data[`active_${name}`]) ?? num(data[name]);
  return ([1, 2, 3] as const).map((n) =>
    phaseCurrentA(field(`current_l${n}_a`), field(`power_l${n}_w`), field(`voltage_l${n}_v`), nominalV),
  ) as Triple<number | null>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * What a payload says besides the currents: the net power of the whole connection (`active_power_w`, W, import
 * positive), the phase voltages, and the meter's own month peak (`montly_power_peak_w`, API v1's spelling, or
 * `monthly_power_peak_w`); each absent when the meter does not report it.
 */
export function homeWizardExtras(data: HomeWizardData): MeterExtras {
  const field = (name: string): number | null => num(data[`active_${name}`]) ?? num(data[name]);
  return {
    powerW: field('power_w'),
    voltagesV: ([1, 2, 3] as const).map((n) => field(`voltage_l${n}_v`)) as Triple<number | null>,
    meterPeakW: num(data.montly_power_peak_w) ?? num(data.monthly_power_peak_w),
  };
}

/** The part of a payload that identifies a telegram: everything but the Wi-Fi fields. */
export function telegramFingerprint(data: HomeWizardData): string {
  return JSON.stringify(Object.keys(data).sort().filter((k) => !k.startsWith('wifi_')).map((k) => [k, data[k]]));
}

export interface HomeWizardSourceOptions {
  host: string;
  clock: Clock;
  http?: HttpTransport;
  /** Default 1000 ms; values below 500 ms are clamped (see status().warning). */
  pollIntervalMs?: number;
  timeoutMs?: number;
  nominalVoltageV?: number;
}

/** Polls a HomeWizard P1 meter and emits a sample for every new telegram. */
export class HomeWizardP1Source extends BaseMeterSource {
  readonly kind = 'homewizard' as const;
  readonly host: string;
  readonly pollIntervalMs: number;
  private readonly dataUrl: string;
  private readonly http: HttpTransport;
  private readonly timeoutMs: number;
  private readonly nominalV: number;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | null = null;
  private lastFingerprint: string | null = null;
  /** Polls made, new telegrams seen, unchanged payloads, failures (for diagnostics and tests). */
  readonly counters = { polls: 0, telegrams: 0, unchanged: 0, failures: 0 };

  constructor(opts: HomeWizardSourceOptions) {
    super(opts.clock);
    this.host = normaliseHost(opts.host, HOMEWIZARD_HOST_USE);
    this.dataUrl = `${hostBaseUrl(this.host)}/api/v1/data`;
    const { intervalS, warning } = clampPollInterval(opts.pollIntervalMs === undefined ? undefined : opts.pollIntervalMs / 1000, HOMEWIZARD_POLL);
    this.pollIntervalMs = Math.round(intervalS * 1000);
    this.warning = warning;
    this.http = opts.http ?? nodeFetchTransport;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_HOMEWIZARD_TIMEOUT_MS;
    this.nominalV = opts.nominalVoltageV ?? NOMINAL_VOLTAGE_V;
  }

  protected begin(): void {
    this.tick();
  }

  protected async end(): Promise<void> {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  /** Resolves when no request is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** One poll; the next is due `pollIntervalMs` after this one started (never overlapping). */
  private tick(): void {
    if (!this.running) return;
    const startedMs = this.clock.monoMs();
    this.inFlight = this.pollOnce()
      .then(() => undefined)
      .finally(() => {
        this.inFlight = null;
        if (!this.running) return;
        const waitMs = Math.min(this.pollIntervalMs, Math.max(0, startedMs + this.pollIntervalMs - this.clock.monoMs()));
        this.timer = this.clock.setTimeout(() => this.tick(), waitMs);
      });
  }

  /**
   * Read /api/v1/data once. Returns true when it held a new telegram (and a sample was emitted).
   * Never throws: failures set status().error and are cleared by the next good answer.
   */
  async pollOnce(): Promise<boolean> {
    this.counters.polls++;
    const url = this.dataUrl;
    try {
      const body = await getJson(this.http, url, this.timeoutMs);
      if (!isRecord(body)) throw new PeerError('protocol', `${url}: expected a JSON object`);
      const data = body as HomeWizardData;
      const currents = homeWizardCurrents(data, this.nominalV);
      if (currents.every((c) => c === null)) {
        throw new PeerError('protocol', `${url}: no per-phase power or current in the answer; is the P1 meter connected to the smart meter?`);
      }
      this.setError(null);
      const fp = telegramFingerprint(data);
      if (fp === this.lastFingerprint) {
        this.counters.unchanged++;
        return false;
      }
      this.lastFingerprint = fp;
      this.counters.telegrams++;
      this.emit(currents, homeWizardExtras(data));
      return true;
    } catch (err) {
      this.counters.failures++;
      this.setError(`HomeWizard P1: ${describeError(err)}`);
      return false;
    }
  }
}

/**
 * An mDNS `_hwenergy._tcp` answer as Homey reports it (DiscoveryResultMDNSSD: address, port, txt, name, host).
 * Read defensively: any field may be missing or of the wrong type. HomeWizard devices announce TXT `product_type`
 * (e.g. HWE-P1, HWE-SKT), `serial`, `product_name`, `api_enabled` ("1"/"0": the "Local API" switch in the HomeWizard
 * Energy app) and `path` (/api/v1). Homey's docs call the TXT values "lowercased", so keys and product types are
 * compared case-insensitively.
 */
export interface MdnsRecord {
  name?: unknown;
  host?: unknown;
  address?: unknown;
  port?: unknown;
  txt?: unknown;
}

export interface DiscoveredHomeWizard {
  /** The serial (stable id for the device); the host when the record carries no usable serial. */
  id: string;
  serial: string | null;
  /** e.g. "P1 Meter (aabbcc)" */
  name: string;
  /** host[:port] of the local API (the port only when not 80), ready for the meter host setting. */
  host: string;
  /** e.g. "HWE-P1" (canonical spelling for the grid meters this app knows). */
  productType: string;
  /** False when the user still has to switch on "Local API" in the HomeWizard Energy app; null when not announced. */
  apiEnabled: boolean | null;
  /** A HomeWizard P1 meter (HWE-P1). */
  isP1: boolean;
  /** Measures the grid connection per phase (P1 meter or 3-phase kWh meter): usable as the app's meter source. */
  gridMeter: boolean;
}

const MAX_TXT_LENGTH = 64;

/** A HomeWizard serial as this app accepts it (announced in mDNS TXT, stored in the settings): 1 to 64 letters, digits,
 *  "-" or "_" (real ones are 12 hex digits, e.g. 3c39e7aabbcc). */
export function isHomeWizardSerial(value: string): boolean {
  return value.length <= MAX_TXT_LENGTH && /^[A-Za-z0-9_-]+$/.test(value);
}

function txtValue(txt: Record<string, unknown>, key: string): string | null {
  const v = txt[key];
  if (typeof v !== 'string') return null;
  const s = v.trim();
  return s !== '' && s.length <= MAX_TXT_LENGTH ? s : null;
}

function recordHost(address: unknown, port: unknown): string | null {
  if (typeof address !== 'string') return null;
  const a = address.trim();
  const hostPart = a.includes(':') && !a.startsWith('[') ? `[${a}]` : a;
  const p = Number(port);
  const portPart = Number.isInteger(p) && p > 0 && p < 65536 && p !== 80 ? `:${p}` : '';
  try {
    return normaliseHost(`${hostPart}${portPart}`, HOMEWIZARD_HOST_USE);
  } catch {
    return null;
  }
}

/** Any HomeWizard device from one mDNS record; null when the record has no product type or no usable address. */
export function readHomeWizardRecord(rec: unknown): DiscoveredHomeWizard | null {
  if (!isRecord(rec)) return null;
  const txt = isRecord(rec.txt) ? Object.fromEntries(Object.entries(rec.txt).map(([k, v]) => [k.toLowerCase(), v])) : {};
  const announcedType = txtValue(txt, 'product_type');
  const host = recordHost(rec.address ?? rec.host, rec.port);
  if (!announcedType || !host) return null;
  const productType = Object.keys(GRID_METER_PRODUCTS).find((p) => p.toLowerCase() === announcedType.toLowerCase()) ?? announcedType;
  const gridMeter = productType in GRID_METER_PRODUCTS;
  const serialText = txtValue(txt, 'serial');
  const serial = serialText && isHomeWizardSerial(serialText) ? serialText : null;
  const productName = gridMeter ? GRID_METER_PRODUCTS[productType] : (txtValue(txt, 'product_name') ?? productType);
  const api = txtValue(txt, 'api_enabled')?.toLowerCase();
  return {
    id: serial ?? host,
    serial,
    name: serial ? `${productName} (${serial.slice(-6)})` : productName,
    host,
    productType,
    apiEnabled: api === '1' || api === 'true' ? true : api === '0' || api === 'false' ? false : null,
    isP1: productType === 'HWE-P1',
    gridMeter,
  };
}

/**
 * Discovery results → the grid meters (P1 meters first, then by name; one entry per id) and how many other
 * HomeWizard devices (sockets, water meters, 1-phase kWh meters, batteries) were seen. Unreadable records are left out.
 */
export function homeWizardMetersFromDiscovery(records: unknown[]): { meters: DiscoveredHomeWizard[]; otherDevices: number } {
  const meters = new Map<string, DiscoveredHomeWizard>();
  const others = new Set<string>();
  for (const rec of records) {
    const d = readHomeWizardRecord(rec);
    if (!d) continue;
    if (d.gridMeter) meters.set(d.id, meters.get(d.id) ?? d);
    else others.add(d.id);
  }
  const sorted = [...meters.values()].sort((a, b) => Number(b.isP1) - Number(a.isP1) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { meters: sorted, otherDevices: others.size };
}
