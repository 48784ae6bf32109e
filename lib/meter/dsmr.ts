/**
 * A compact DSMR / P1 telegram reader for what a phase balancer needs: per-phase current, import and
 * export power, voltage, and the meter's timestamp, plus the CRC16 check of DSMR 4+.
 *
 * OBIS codes (IEC 62056-61, as used by DSMR 4/5, Fluvius e-MUCS, Swedish HAN):
 *   31.7.0 / 51.7.0 / 71.7.0  current L1..L3 (A, unsigned; NL meters send whole amps)
 *   21.7.0 / 41.7.0 / 61.7.0  active power import L1..L3 (kW or W)
 *   22.7.0 / 42.7.0 / 62.7.0  active power export L1..L3
 *   32.7.0 / 52.7.0 / 72.7.0  voltage L1..L3 (V)
 *   1.7.0 / 2.7.0             active power import / export of the whole connection (kW or W)
 *   1.6.0                     (Belgian e-MUCS, capacity tariff) this month's peak: the highest quarter-hour average
 *                             import, "(time of the peak)(value*kW)"
 *   0-0:1.0.0                 timestamp YYMMDDhhmmssX (local time of the meter; X = S summer / W winter)
 *   1-3:0.2.8 / 0-0:96.1.4    DSMR version (NL "50") / Belgian e-MUCS version ("50217")
 * CRC: CRC16/ARC (poly 0xA001 reflected, init 0) over every byte from '/' up to and including '!',
 * written as 1-4 hex digits after the '!'. DSMR 2.2/3 telegrams carry none.
 *
 * What is refused, compared with ndokter/dsmr_parser (dsmr_parser/parsers.py, value_types.py and
 * clients/telegram_buffer.py at fa20ee45a3103b8262b153e7b0037047abfaa6c7):
 * - A telegram without its closing '!' (cut off) is never usable (`problem` says so).
 * - A CRC is required from DSMR 4 on: when 1-3:0.2.8 says ≥ 40, 0-0:96.1.4 is present (e-MUCS, built on
 *   DSMR 5), or the telegram has the 0-0:1.0.0 timestamp that DSMR 4 introduced (Swedish HAN, Irish and
 *   Hungarian DSMR 5 variants carry no version line). Such a telegram ending in a bare '!' is refused
 *   (ndokter: "ParseError: … the telegram is incomplete" when checksum validation applies).
 * - A value is read only when it is exactly digits[.digits] with the unit its register must have (A for a
 *   current, V for a voltage, W or kW for a power): line noise such as "( 37.0*V)", "(229.9*V", "(0x2*A)"
 *   or "(002*BWh)" leaves the value null and names the register in `unreadable`. ndokter does the same for
 *   the space (its value pattern `[0-9a-zA-Z.*-:]` does not match, so the line is ignored).
 * - A register that appears twice with different values (a corrupted OBIS code) is unreadable.
 * - The timestamp is local time in the meter's time zone (`timeZone`, IANA name, default Europe/Amsterdam),
 *   read by that zone's rules, as ndokter does (in Europe/Amsterdam only). The S/W flag only picks the summer
 *   or winter instant of the hour that occurs twice when the clocks go back (a real Irish meter sends S in
 *   February, so a flag is no offset of its own). Without the flag that hour is null (unknown), where ndokter
 *   takes its first (summer-time) occurrence; the hour skipped in spring is null either way. A missing flag
 *   never means winter time.
 */
import { IANAZone } from 'luxon';
import type { Triple } from '../balancer/types';
import { phaseCurrentA } from './source';

export type DsmrCrc = 'ok' | 'mismatch' | 'absent';

export interface DsmrReading {
  /** The identification line without the leading '/'. */
  header: string;
  /** 1-3:0.2.8 (NL, e.g. "50") or 0-0:96.1.4 (BE e-MUCS, e.g. "50217"); null when the telegram has neither. */
  version: string | null;
  /** Meter time (ms since epoch) from 0-0:1.0.0; null when absent, unreadable or ambiguous. */
  timestampMs: number | null;
  currentA: Triple<number | null>;
  importW: Triple<number | null>;
  exportW: Triple<number | null>;
  voltageV: Triple<number | null>;
  /** 1.7.0 / 2.7.0: the connection's total import and export power (W); null when absent or unreadable. */
  totalImportW: number | null;
  totalExportW: number | null;
  /** 1.6.0: this month's peak quarter-hour average import the meter keeps itself (W); null when absent. */
  monthPeakW: number | null;
  crc: DsmrCrc;
  /** The telegram ends with its '!' line (false: cut off). */
  complete: boolean;
  /** The telegram is DSMR 4 or later (see above), so it must carry a CRC. */
  crcRequired: boolean;
  /** Why this telegram must not be used (one line), or null when it may. */
  problem: string | null;
  /** OBIS codes (e.g. "1-0:72.7.0") of wanted registers that were present but unreadable. */
  unreadable: string[];
}

export interface DsmrParseOptions {
  /** The meter's time zone (IANA), for 0-0:1.0.0; default `DEFAULT_METER_TIME_ZONE`. */
  timeZone?: string;
}

type ValueKey = keyof Pick<DsmrReading, 'currentA' | 'importW' | 'exportW' | 'voltageV'>;

/** Whole-connection registers: OBIS code → reading field (all powers, kW or W). */
const TOTAL_CODES: Record<string, 'totalImportW' | 'totalExportW' | 'monthPeakW'> = {
  '1.7.0': 'totalImportW',
  '2.7.0': 'totalExportW',
  '1.6.0': 'monthPeakW',
};

const CODES: Record<string, [ValueKey, number]> = {
  '31.7.0': ['currentA', 0], '51.7.0': ['currentA', 1], '71.7.0': ['currentA', 2],
  '21.7.0': ['importW', 0], '41.7.0': ['importW', 1], '61.7.0': ['importW', 2],
  '22.7.0': ['exportW', 0], '42.7.0': ['exportW', 1], '62.7.0': ['exportW', 2],
  '32.7.0': ['voltageV', 0], '52.7.0': ['voltageV', 1], '72.7.0': ['voltageV', 2],
};

/** The units each kind of register may carry, with their factor to A, W, V. */
const UNITS: Record<ValueKey, Record<string, number>> = {
  currentA: { a: 1 },
  importW: { w: 1, kw: 1000 },
  exportW: { w: 1, kw: 1000 },
  voltageV: { v: 1 },
};

/** The time zone of Dutch, Belgian, Luxembourgish, Hungarian and Swedish meters alike (CET/CEST). */
export const DEFAULT_METER_TIME_ZONE = 'Europe/Amsterdam';

/** DSMR version from which a CRC is mandatory (1-3:0.2.8 value, "40" = 4.0). */
const CRC_FROM_VERSION = 40;

/** CRC16/ARC of a latin-1 string. */
export function crc16(text: string): number {
  let crc = 0;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i) & 0xff;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/**
 * Check the CRC of the telegram that starts at `body[0] === '/'` and ends with '!'. Files stored with
 * LF line ends are also tried with CRLF, which is what the meter sent.
 */
function checkCrc(body: string, crcHex: string): DsmrCrc {
  if (crcHex === '') return 'absent';
  const expected = parseInt(crcHex, 16);
  if (crc16(body) === expected) return 'ok';
  if (!body.includes('\r') && crc16(body.replace(/\n/g, '\r\n')) === expected) return 'ok';
  return 'mismatch';
}

/** Whether `timeZone` is an IANA zone name this runtime knows (e.g. "Europe/Amsterdam"). */
export function isValidTimeZone(timeZone: unknown): timeZone is string {
  return typeof timeZone === 'string' && timeZone !== '' && IANAZone.isValidZone(timeZone);
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * DSMR local time YYMMDDhhmmss[S|W] in the meter's time zone → epoch ms; null when unreadable, when the
 * zone is unknown, when the local time does not exist in that zone, or when it occurs twice and no flag
 * says which.
 */
export function parseDsmrTime(value: string, timeZone = DEFAULT_METER_TIME_ZONE): number | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SW])?$/.exec(value);
  if (!m || !isValidTimeZone(timeZone)) return null;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || dd < 1 || hh > 23 || mi > 59 || ss > 59) return null;
  const localAsUtc = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  if (new Date(localAsUtc).getUTCDate() !== dd) return null; // 31 April and the like
  const zone = IANAZone.create(timeZone);
  // The offsets the zone uses around that day; each is right when the instant it gives has that offset.
  const candidates = [...new Set([zone.offset(localAsUtc - DAY_MS), zone.offset(localAsUtc + DAY_MS)])];
  const fits = candidates.filter((o) => zone.offset(localAsUtc - o * MINUTE_MS) === o).sort((a, b) => a - b);
  if (fits.length === 1) return localAsUtc - fits[0] * MINUTE_MS;
  if (fits.length === 0 || m[7] === undefined) return null; // skipped hour, or repeated hour without a flag
  return localAsUtc - (m[7] === 'S' ? fits[1] : fits[0]) * MINUTE_MS;
}

/** A value like "00.676*kW" → 676 (W) for a register of kind `key`; null unless exactly number*unit. */
function parseQuantity(raw: string, key: ValueKey): number | null {
  const m = /^(\d+(?:\.\d+)?)\*([A-Za-z]+)$/.exec(raw);
  if (!m) return null;
  const factor = UNITS[key][m[2].toLowerCase()];
  return factor === undefined ? null : Number(m[1]) * factor;
}

/** The body from '/' up to and including '!', and the CRC digits after it. */
function frame(text: string): { body: string; complete: boolean; crcHex: string } {
  const start = text.indexOf('/');
  if (start < 0) throw new Error('not a DSMR telegram: no "/" identification line');
  const end = text.indexOf('!', start);
  if (end < 0) return { body: text.slice(start), complete: false, crcHex: '' };
  const crcHex = (/^[0-9A-Fa-f]{0,4}/.exec(text.slice(end + 1)) ?? [''])[0];
  return { body: text.slice(start, end + 1), complete: true, crcHex };
}

/** Whether the telegram is DSMR 4 or later: a version ≥ 4.0, an e-MUCS version, or a 0-0:1.0.0 timestamp. */
function needsCrc(version: string | null, eMucs: boolean, hasTimestamp: boolean): boolean {
  const v = version !== null && /^\d{2}$/.test(version) ? Number(version) : null;
  return eMucs || hasTimestamp || (v !== null && v >= CRC_FROM_VERSION);
}

function describeProblem(r: DsmrReading): string | null {
  if (!r.complete) return 'telegram cut off before its "!" end line';
  if (r.crc === 'mismatch') return 'CRC mismatch (damaged telegram)';
  if (r.crc === 'absent' && r.crcRequired) {
    return `no CRC after "!", which ${r.version !== null ? `DSMR version ${r.version}` : 'a DSMR 4+ telegram'} must carry (cut off?)`;
  }
  return null;
}

/**
 * Read one telegram. Unknown lines are skipped and damaged values left null (see `unreadable`); whether
 * the telegram may be used at all is in `problem`. Throws only when there is no telegram at all.
 */
export function parseDsmrTelegram(text: string, opts: DsmrParseOptions = {}): DsmrReading {
  const { body, complete, crcHex } = frame(text);
  const lines = body.split(/\r?\n/);
  const reading: DsmrReading = {
    header: lines[0].slice(1).trim(),
    version: null,
    timestampMs: null,
    currentA: [null, null, null],
    importW: [null, null, null],
    exportW: [null, null, null],
    voltageV: [null, null, null],
    totalImportW: null,
    totalExportW: null,
    monthPeakW: null,
    crc: complete ? checkCrc(body, crcHex) : 'absent',
    complete,
    crcRequired: false,
    problem: null,
    unreadable: [],
  };
  const seen = new Map<string, string>();
  let eMucs = false;
  let hasTimestamp = false;
  for (const line of lines.slice(1)) {
    // e.g. "1-0:31.7.0(002*A)", "1-0:21.7.0*255(000747.85*W)", "0-0:1.0.0(181106140429W)"
    const m = /^(\d+)-(\d+):(\d+\.\d+\.\d+)(?:\*\d+)?(?:\(([^()]*)\))?/.exec(line);
    if (!m) continue;
    const [, medium, channel, code] = m;
    const value = m[4] ?? '\u0000'; // no "(value)": a damaged line, unreadable
    const obis = `${medium}-${channel}:${code}`;
    if (obis === '1-3:0.2.8' || obis === '0-0:96.1.4') {
      reading.version = /^\d{2,5}$/.test(value) ? value : reading.version;
      eMucs ||= obis === '0-0:96.1.4';
    } else if (obis === '0-0:1.0.0') {
      hasTimestamp = true;
      reading.timestampMs = parseDsmrTime(value, opts.timeZone);
    } else if (medium === '1' && TOTAL_CODES[code]) {
      // 1.6.0 carries the peak's time first: the value is the last "(…)" of the line
      const raw = code === '1.6.0' ? (/\(([^()]*)\)\s*$/.exec(line)?.[1] ?? '\u0000') : value;
      const q = parseQuantity(raw, 'importW');
      reading[TOTAL_CODES[code]] = q;
      if (q === null && !reading.unreadable.includes(obis)) reading.unreadable.push(obis);
    } else if (medium === '1' && CODES[code]) {
      const [key, phase] = CODES[code];
      const earlier = seen.get(obis);
      seen.set(obis, value);
      const q = earlier === undefined || earlier === value ? parseQuantity(value, key) : null;
      reading[key][phase] = q;
      if (q === null && !reading.unreadable.includes(obis)) reading.unreadable.push(obis);
    }
  }
  reading.crcRequired = needsCrc(reading.version, eMucs, hasTimestamp);
  reading.problem = describeProblem(reading);
  return reading;
}

/**
 * Signed per-phase current (A): the sign of import − export power, the magnitude from the current
 * register or |net power| / voltage, whichever is larger (see `phaseCurrentA`). Without per-phase
 * power the sign is unknown and the (unsigned) current is returned as import.
 */
export function dsmrSignedCurrents(r: Pick<DsmrReading, ValueKey>, nominalV?: number): Triple<number | null> {
  return [0, 1, 2].map((p) => {
    const imp = r.importW[p];
    const exp = r.exportW[p];
    const net = imp === null && exp === null ? null : (imp ?? 0) - (exp ?? 0);
    return phaseCurrentA(r.currentA[p], net, r.voltageV[p], nominalV);
  }) as Triple<number | null>;
}

/**
 * Net power of the whole connection (W, import positive, export negative): 1.7.0 − 2.7.0 where the meter sends them,
 * else the sum of the per-phase import − export powers when every phase that has a current also has a power; null
 * when neither is known.
 */
export function dsmrNetPowerW(r: Pick<DsmrReading, 'totalImportW' | 'totalExportW' | 'importW' | 'exportW' | 'currentA'>): number | null {
  if (r.totalImportW !== null || r.totalExportW !== null) return (r.totalImportW ?? 0) - (r.totalExportW ?? 0);
  let sum: number | null = null;
  for (let p = 0; p < 3; p++) {
    const imp = r.importW[p];
    const exp = r.exportW[p];
    if (imp === null && exp === null) {
      if (r.currentA[p] !== null) return null; // a phase known only by its current: the sum would miss it
      continue;
    }
    sum = (sum ?? 0) + (imp ?? 0) - (exp ?? 0);
  }
  return sum;
}

/**
 * Split a capture holding many telegrams into the complete ones (each from '/' to its '!' and CRC
 * digits); a telegram cut off by the next '/' is left out. For a live stream see `DsmrStreamSplitter`.
 */
export function splitDsmrTelegrams(capture: string): string[] {
  return capture.match(/\/[^/!]*![0-9A-Fa-f]{0,4}/g) ?? [];
}

/**
 * Cuts a live byte stream (as latin-1 text) into telegrams, resynchronising on '/': anything before a '/'
 * is noise, and a telegram that meets another '/' before its '!' was cut off and is dropped. A telegram
 * ends at its '!' and the up to 4 CRC digits after it (complete at the first character that is not a hex
 * digit, or at the 4th digit). Whether a telegram is usable is for `parseDsmrTelegram` to judge.
 */
export class DsmrStreamSplitter {
  private buffer = '';
  /** Bytes thrown away as noise (outside any telegram), telegrams cut off, and too long ones. */
  readonly counts = { noiseBytes: 0, cut: 0, oversized: 0 };

  /** `maxTelegramChars`: a telegram longer than this is dropped (noise without '!'); real ones are < 4 kB. */
  constructor(private readonly maxTelegramChars = 16 * 1024) {}

  /** Add received text; returns the telegrams it completed, in order. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const out: string[] = [];
    for (;;) {
      const start = this.buffer.indexOf('/');
      if (start < 0) {
        this.drop(this.buffer.length, 'noise');
        return out;
      }
      if (start > 0) this.drop(start, 'noise');
      const bang = this.buffer.indexOf('!');
      const next = this.buffer.indexOf('/', 1);
      if (next >= 0 && (bang < 0 || next < bang)) {
        this.drop(next, 'cut');
        continue;
      }
      if (bang < 0) {
        if (this.buffer.length > this.maxTelegramChars) this.drop(this.buffer.length, 'oversized');
        return out;
      }
      const digits = (/^[0-9A-Fa-f]{0,4}/.exec(this.buffer.slice(bang + 1)) ?? [''])[0];
      const end = bang + 1 + digits.length;
      if (digits.length < 4 && end >= this.buffer.length) return out; // more CRC digits may follow
      out.push(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end);
    }
  }

  /** The connection ended: a telegram still open was cut off. */
  reset(): void {
    if (this.buffer.startsWith('/')) this.drop(this.buffer.length, 'cut');
    else this.drop(this.buffer.length, 'noise');
  }

  private drop(chars: number, why: 'noise' | 'cut' | 'oversized'): void {
    if (why === 'noise') this.counts.noiseBytes += this.buffer.slice(0, chars).replace(/[\r\n]/g, '').length;
    else this.counts[why]++;
    this.buffer = this.buffer.slice(chars);
  }
}
