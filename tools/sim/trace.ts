/**
 * Household current traces: what the house draws per phase WITHOUT the EV, as a step function of time.
 *
 * File format (CSV, one header line): `time,l1,l2,l3`
 * - `time`: seconds (float, any origin) or an ISO-8601 timestamp; strictly not decreasing.
 * - `l1..l3`: household current per phase in A, signed (negative = export).
 * Each row holds until the next one. Blank lines and lines starting with `#` are ignored.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { UserInputError } from '../../lib/errors';
import type { Triple } from '../../lib/balancer/types';

export interface TracePoint {
  /** Seconds since the first row. */
  timeS: number;
  currentsA: Triple<number>;
}

export interface Trace {
  name: string;
  points: TracePoint[];
  /** Seconds from the first row until the trace ends: last row + the typical row interval. */
  durationS: number;
}

const COLUMNS = ['time', 'l1', 'l2', 'l3'] as const;

/** Parse a trace. Every problem throws a UserInputError naming `file:line` and the field. */
export function parseTraceCsv(text: string, fileName: string): Trace {
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  let index: number[] = [];
  const points: TracePoint[] = [];
  let originS: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${fileName}:${i + 1}`;
    const cells = line.split(',').map((c) => c.trim());
    if (headerLine < 0) {
      headerLine = i;
      const lower = cells.map((c) => c.toLowerCase());
      index = COLUMNS.map((col) => lower.indexOf(col));
      const missing = COLUMNS.filter((_, k) => index[k] < 0);
      if (missing.length) {
        throw new UserInputError(where, `missing column "${missing.join('", "')}"; expected header time,l1,l2,l3`);
      }
      continue;
    }
    const timeCell = cells[index[0]];
    const absS = parseTime(timeCell, `${where} time`);
    const currentsA = [1, 2, 3].map((k) => parseCurrent(cells[index[k]], `${where} ${COLUMNS[k]}`)) as Triple<number>;
    if (originS === null) originS = absS;
    const timeS = absS - originS;
    const prev = points[points.length - 1];
    if (prev && timeS < prev.timeS) {
      throw new UserInputError(`${where} time`, `time goes backwards ("${timeCell}" is before the previous row)`);
    }
    if (prev && timeS === prev.timeS) points[points.length - 1] = { timeS, currentsA };
    else points.push({ timeS, currentsA });
  }
  if (headerLine < 0) throw new UserInputError(fileName, 'empty file; expected a header time,l1,l2,l3 and rows');
  if (points.length === 0) throw new UserInputError(fileName, 'no data rows after the header');
  return makeTrace(path.basename(fileName).replace(/\.csv$/i, ''), points);
}

function parseTime(cell: string | undefined, field: string): number {
  if (cell === undefined || cell === '') throw new UserInputError(field, 'empty cell; expected seconds or an ISO-8601 time');
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cell)) return Number(cell);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(cell)) {
    const ms = Date.parse(cell.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new UserInputError(field, `"${cell}" is not a number of seconds or an ISO-8601 time`);
}

function parseCurrent(cell: string | undefined, field: string): number {
  if (cell === undefined || cell === '') throw new UserInputError(field, 'empty cell; expected a current in A');
  const n = Number(cell);
  if (!Number.isFinite(n)) throw new UserInputError(field, `"${cell}" is not a number (A)`);
  return n;
}

export function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserInputError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`);
  }
  return parseTraceCsv(text, file);
}

/** Build a trace from points whose times start at any origin (shifted to start at 0). */
export function makeTrace(name: string, points: TracePoint[]): Trace {
  const t0 = points.length ? points[0].timeS : 0;
  const shifted = t0 === 0 ? points : points.map((p) => ({ timeS: p.timeS - t0, currentsA: p.currentsA }));
  const last = shifted.length ? shifted[shifted.length - 1].timeS : 0;
  return { name, points: shifted, durationS: last + typicalIntervalS(shifted) };
}

/** Median spacing between rows (1 s for a single row). */
export function typicalIntervalS(points: TracePoint[]): number {
  if (points.length < 2) return 1;
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i].timeS - points[i - 1].timeS);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] || 1;
}

export function traceToCsv(trace: Trace): string {
  const fmt = (n: number): string => String(Math.round(n * 1000) / 1000);
  const rows = trace.points.map((p) => [fmt(p.timeS), ...p.currentsA.map(fmt)].join(','));
  return `time,l1,l2,l3\n${rows.join('\n')}\n`;
}

/** Repeat a trace back to back until it lasts at least `durationS` (for long replays). */
export function loopTrace(trace: Trace, durationS: number): Trace {
  const points: TracePoint[] = [];
  for (let offset = 0; offset < durationS; offset += trace.durationS) {
    for (const p of trace.points) {
      if (offset + p.timeS >= durationS) break;
      points.push({ timeS: offset + p.timeS, currentsA: p.currentsA });
    }
  }
  return { name: `${trace.name}×loop`, points, durationS };
}

/**
 * Reads a trace as a step function at increasing times in O(1) amortised
 * (the simulator walks forward only; `reset()` to start over).
 */
export class TraceCursor {
  private i = 0;
  constructor(private readonly trace: Trace) {}

  reset(): void {
    this.i = 0;
  }

  /** Household current at `timeS` (the last row at or before it; the first row before the start). */
  at(timeS: number): Triple<number> {
    const pts = this.trace.points;
    if (this.i > 0 && pts[this.i].timeS > timeS) this.i = 0;
    while (this.i + 1 < pts.length && pts[this.i + 1].timeS <= timeS) this.i++;
    return pts[this.i].currentsA;
  }
}
