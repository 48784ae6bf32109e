/**
 * A compact DSMR / P1 telegram reader for what a phase balancer needs: per-phase current, import and
 * export power, voltage, and the meter's timestamp, plus the CRC16 check of DSMR 4+.
 *
 * OBIS codes (IEC 62056-61, as used by DSMR 4/5, Fluvius e-MUCS, Swedish HAN):
 *   31.7.0 / 51.7.0 / 71.7.0  current L1..L3 (A, unsigned; NL meters send whole amps)
 *   21.7.0 / 41.7.0 / 61.7.0  active power import L1..L3 (kW or W)
 *   22.7.0 / 42.7.0 / 62.7.0  active power export L1..L3
 *   32.7.0 / 52.7.0 / 72.7.0  voltage L1..L3 (V)
 *   0-0:1.0.0                 timestamp YYMMDDhhmmssX (X = S summer / W winter, local time)
 * CRC: CRC16/ARC (poly 0xA001 reflected, init 0) over every byte from '/' up to and including '!',
 * written as 4 hex digits after the '!'. DSMR 2.2/3 telegrams carry no CRC.
 */
import type { MeterSample, Triple } from '../balancer/types';
import { phaseCurrentA } from './source';

export type DsmrCrc = 'ok' | 'mismatch' | 'absent';

export interface DsmrReading {
  /** The identification line without the leading '/'. */
  header: string;
  /** Meter time (ms since epoch) from 0-0:1.0.0, null when absent or unreadable. */
  timestampMs: number | null;
  currentA: Triple<number | null>;
  importW: Triple<number | null>;
  exportW: Triple<number | null>;
  voltageV: Triple<number | null>;
  crc: DsmrCrc;
}

const CODES: Record<string, [keyof Pick<DsmrReading, 'currentA' | 'importW' | 'exportW' | 'voltageV'>, number]> = {
  '31.7.0': ['currentA', 0], '51.7.0': ['currentA', 1], '71.7.0': ['currentA', 2],
  '21.7.0': ['importW', 0], '41.7.0': ['importW', 1], '61.7.0': ['importW', 2],
  '22.7.0': ['exportW', 0], '42.7.0': ['exportW', 1], '62.7.0': ['exportW', 2],
  '32.7.0': ['voltageV', 0], '52.7.0': ['voltageV', 1], '72.7.0': ['voltageV', 2],
};

const UNIT_FACTOR: Record<string, number> = { a: 1, v: 1, w: 1, kw: 1000 };

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
  if (!/^[0-9A-Fa-f]{1,4}$/.test(crcHex)) return 'absent';
  const expected = parseInt(crcHex, 16);
  if (crc16(body) === expected) return 'ok';
  if (!body.includes('\r') && crc16(body.replace(/\n/g, '\r\n')) === expected) return 'ok';
  return 'mismatch';
}

/** DSMR local time YYMMDDhhmmss + S (CEST, UTC+2) / W (CET, UTC+1) → epoch ms. */
export function parseDsmrTime(value: string): number | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SW])?$/.exec(value);
  if (!m) return null;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return null;
  const offsetH = m[7] === 'S' ? 2 : 1;
  return Date.UTC(2000 + yy, mo - 1, dd, hh - offsetH, mi, ss);
}

/** A value like "00.676*kW" → 676 (W); "002*A" → 2; a bare number → itself. Null when unreadable. */
function parseQuantity(raw: string): number | null {
  const m = /^(-?\d+(?:\.\d+)?)(?:\*([A-Za-z]+))?$/.exec(raw.trim());
  if (!m) return null;
  const factor = m[2] === undefined ? 1 : UNIT_FACTOR[m[2].toLowerCase()];
  if (factor === undefined) return null;
  return Number(m[1]) * factor;
}

/**
 * Read one telegram. Unknown or damaged lines are skipped (real serial captures contain line noise);
 * throws only when there is no telegram at all.
 */
export function parseDsmrTelegram(text: string): DsmrReading {
  const start = text.indexOf('/');
  if (start < 0) throw new Error('not a DSMR telegram: no "/" identification line');
  const end = text.indexOf('!', start);
  const body = end < 0 ? text.slice(start) : text.slice(start, end + 1);
  const crcHex = end < 0 ? '' : (/^[0-9A-Fa-f]*/.exec(text.slice(end + 1)) ?? [''])[0];
  const lines = body.split(/\r?\n/);
  const reading: DsmrReading = {
    header: lines[0].slice(1).trim(),
    timestampMs: null,
    currentA: [null, null, null],
    importW: [null, null, null],
    exportW: [null, null, null],
    voltageV: [null, null, null],
    crc: end < 0 ? 'absent' : checkCrc(body, crcHex),
  };
  for (const line of lines.slice(1)) {
    // e.g. "1-0:31.7.0(002*A)", "1-0:21.7.0*255(000747.85*W)", "0-0:1.0.0(181106140429W)"
    const m = /^(\d+)-(\d+):(\d+\.\d+\.\d+)(?:\*\d+)?\(([^)]*)\)/.exec(line.trim());
    if (!m) continue;
    const [, medium, , code, value] = m;
    if (medium === '0' && code === '1.0.0') {
      reading.timestampMs = parseDsmrTime(value);
      continue;
    }
    const target = medium === '1' ? CODES[code] : undefined;
    if (!target) continue;
    const q = parseQuantity(value);
    if (q !== null) reading[target[0]][target[1]] = q;
  }
  return reading;
}

/**
 * Signed per-phase current (A): the sign of import − export power, the magnitude from the current
 * register or |net power| / voltage, whichever is larger (see `phaseCurrentA`). Without per-phase
 * power the sign is unknown and the (unsigned) current is returned as import.
 */
export function dsmrSignedCurrents(r: DsmrReading): Triple<number | null> {
  return [0, 1, 2].map((p) => {
    const imp = r.importW[p];
    const exp = r.exportW[p];
    const net = imp === null && exp === null ? null : (imp ?? 0) - (exp ?? 0);
    return phaseCurrentA(r.currentA[p], net, r.voltageV[p]);
  }) as Triple<number | null>;
}

/** A balancer sample from a telegram; the meter's timestamp when it has one, else `receivedMs`. */
export function dsmrToSample(r: DsmrReading, receivedMs: number): MeterSample {
  return { timeMs: r.timestampMs ?? receivedMs, currentsA: dsmrSignedCurrents(r) };
}

/** Split a capture holding many telegrams (each from '/' to the '!CRC' line). */
export function splitDsmrTelegrams(capture: string): string[] {
  return capture.match(/\/[^!]*![0-9A-Fa-f]{0,4}/g) ?? [];
}
