/**
 * Period arithmetic on the wall clock of a time zone (luxon): a period of 15 or 60 minutes starts where the local
 * clock shows a multiple of the period. Computed on the instant with its own UTC offset, so a DST day has 23 or 25
 * hourly periods: the repeated autumn hour (02:00–03:00 twice in Europe) is two periods, the skipped spring hour none.
 * A period is cut where the offset changes within it (a 30-minute DST shift with hourly periods).
 */
import { DateTime } from 'luxon';

export interface Period {
  startMs: number;
  endMs: number;
}

const MINUTE_MS = 60_000;

/** The local clock of an instant in `zone` (luxon; an unknown zone throws). */
export function local(wallMs: number, zone: string): DateTime {
  const dt = DateTime.fromMillis(wallMs, { zone });
  if (!dt.isValid) throw new Error(`unknown time zone "${zone}"`);
  return dt;
}

/** True when luxon knows the IANA zone. */
export function isKnownZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

const offsetMin = (wallMs: number, zone: string): number => local(wallMs, zone).offset;

/** The first instant in (loMs, hiMs] where `test` holds, `test` false at loMs and true at hiMs (one offset change). */
function firstWhere(loMs: number, hiMs: number, test: (ms: number) => boolean): number {
  let lo = loMs;
  let hi = hiMs;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (test(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The period (15 or 60 min) holding `wallMs` in `zone`: always startMs ≤ wallMs < endMs. It starts at the last local
 * multiple of `periodMin` at the instant's own UTC offset and ends at the next; where the offset changes within that
 * (DST), the period is cut at the change: a shift of a part of a period (Lord Howe's 30 minutes) gives a shorter
 * period on each side of it, never one that misses the instant or overlaps its neighbour.
 */
export function periodAt(wallMs: number, periodMin: number, zone: string): Period {
  const dt = local(wallMs, zone);
  const offset = dt.offset;
  const intoMs = ((dt.minute % periodMin) * 60 + dt.second) * 1000 + dt.millisecond;
  let startMs = wallMs - intoMs;
  let endMs = startMs + periodMin * MINUTE_MS;
  if (offsetMin(startMs, zone) !== offset) startMs = firstWhere(startMs, wallMs, (ms) => offsetMin(ms, zone) === offset);
  if (offsetMin(endMs - 1, zone) !== offset) endMs = firstWhere(wallMs, endMs - 1, (ms) => offsetMin(ms, zone) !== offset);
  return { startMs, endMs };
}

/** The month of an instant in `zone` ("2025-03"): the key a month's peaks are kept under. */
export function monthKey(wallMs: number, zone: string): string {
  return local(wallMs, zone).toFormat('yyyy-LL');
}

/** The local day of an instant ("2025-03-30"). */
export function dayKey(wallMs: number, zone: string): string {
  return local(wallMs, zone).toFormat('yyyy-LL-dd');
}

/** Monday–Friday, local 07:00 to 19:00 (a period that starts in it). */
export function isWeekdayDaytime(wallMs: number, zone: string): boolean {
  const dt = local(wallMs, zone);
  return dt.weekday <= 5 && dt.hour >= 7 && dt.hour < 19;
}

/** The periods of a local day (tests, the UI): from local midnight to the next. */
export function periodsOfDay(day: string, periodMin: number, zone: string): Period[] {
  const start = DateTime.fromISO(day, { zone }).startOf('day');
  const end = start.plus({ days: 1 }).startOf('day').toMillis();
  const out: Period[] = [];
  for (let t = start.toMillis(); t < end; ) {
    const p = periodAt(t, periodMin, zone);
    out.push(p);
    t = p.endMs;
  }
  return out;
}
