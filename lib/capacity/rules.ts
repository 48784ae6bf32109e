/**
 * The month's peaks and the cap each rule puts in force for the running period (sources in docs/capacity.md).
 * A `MonthRecord` is small JSON (persisted with the guard's state): per local day its highest period, and the ten
 * highest periods of the month (all, and weekday daytime only), enough for every rule. With 15-minute periods it
 * also keeps the same for whole local hours (each hour's average of its quarter-hours): the hourly rules
 * ('no-steps', 'se-peaks') bill hours, and a quarter-hour above its hour's average must not relax them.
 */
import { dayKey, isWeekdayDaytime, periodAt } from './period';
import { DEFAULT_SE_PEAKS, FLANDERS_MIN_KW, NO_STEP_DAYS, type CapacityConfig, type CapacityPeak } from './types';

export interface PeakRecord {
  /** Per local day ("2025-03-30") its highest average. */
  dayMax: Record<string, CapacityPeak>;
  /** The ten highest averages of the month, highest first. */
  top: CapacityPeak[];
  /** The same for those starting on a weekday between 07:00 and 19:00. */
  topDaytime: CapacityPeak[];
}

/** The hours of a month with 15-minute periods, and the running hour's energy so far per quarter-hour start (kWh; a
 *  quarter recorded twice counts once, a quarter not recorded as nothing: never higher than what was recorded). */
export interface HourRecord extends PeakRecord {
  open: { startMs: number; endMs: number; quarterKWh: Record<string, number> } | null;
  /** The hour closed last. */
  last: CapacityPeak | null;
}

export interface MonthRecord extends PeakRecord {
  /** "2025-03" in the guard's time zone. */
  month: string;
  /** With 15-minute periods: the month's whole local hours (absent before the first quarter-hour was recorded). */
  hourly?: HourRecord;
}

const KEEP = 10;

export function emptyMonth(month: string): MonthRecord {
  return { month, dayMax: {}, top: [], topDaytime: [] };
}

/** Whether the rule bills whole hours while the periods are quarter-hours ('no-steps', 'se-peaks' at 15 minutes). */
export function readsHours(cfg: CapacityConfig): boolean {
  return (cfg.rule === 'no-steps' || cfg.rule === 'se-peaks') && cfg.periodMin === 15;
}

/** The record a rule reads: the hourly rules with 15-minute periods read the hours, all others the periods. */
function recordFor(rec: MonthRecord, cfg: CapacityConfig): PeakRecord {
  return readsHours(cfg) ? (rec.hourly ?? { dayMax: {}, top: [], topDaytime: [] }) : rec;
}

/** Adds a peak to a top list; a period recorded again (the wall clock went back over it) counts once, the higher. */
function insertTop(list: CapacityPeak[], p: CapacityPeak): CapacityPeak[] {
  const same = list.find((q) => q.startMs === p.startMs);
  if (same && same.averageKW >= p.averageKW) return list;
  return [...list.filter((q) => q !== same), p].sort((a, b) => b.averageKW - a.averageKW).slice(0, KEEP);
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The peaks the rule bills this month, highest first (the UI shows them; 'fixed' shows the month's highest). */
export function countingPeaks(month: MonthRecord, cfg: CapacityConfig): CapacityPeak[] {
  const rec = recordFor(month, cfg);
  switch (cfg.rule) {
    case 'no-steps':
      return Object.values(rec.dayMax).sort((a, b) => b.averageKW - a.averageKW).slice(0, NO_STEP_DAYS);
    case 'se-peaks':
      return (cfg.seWeekdayDaytimeOnly ? rec.topDaytime : rec.top).slice(0, cfg.sePeakCount ?? DEFAULT_SE_PEAKS);
    default:
      return rec.top.slice(0, 1);
  }
}

/** The figure the bill is based on so far (kW): the month's highest, or the average of the counting peaks. */
export function billedKW(rec: MonthRecord, cfg: CapacityConfig): number {
  const peaks = countingPeaks(rec, cfg);
  if (cfg.rule === 'no-steps' || cfg.rule === 'se-peaks') {
    const n = cfg.rule === 'no-steps' ? NO_STEP_DAYS : (cfg.sePeakCount ?? DEFAULT_SE_PEAKS);
    // peaks not there yet count as 0 (the month so far)
    return mean([...peaks.map((p) => p.averageKW), ...new Array<number>(Math.max(0, n - peaks.length)).fill(0)]);
  }
  return peaks[0]?.averageKW ?? 0;
}

/**
 * Adds a closed period. Returns true when it raised what the month is billed on (a new monthly peak: the highest
 * period for 'fixed'/'month-peak', the average of the counting peaks for 'no-steps'/'se-peaks').
 */
export function recordPeriod(rec: MonthRecord, cfg: CapacityConfig, peak: CapacityPeak): boolean {
  const before = billedKW(rec, cfg);
  addPeak(rec, cfg.timeZone, peak);
  if (cfg.periodMin === 15) addQuarter(rec, cfg.timeZone, peak);
  return billedKW(rec, cfg) > before + 1e-9;
}

function addPeak(rec: PeakRecord, zone: string, peak: CapacityPeak): void {
  const day = dayKey(peak.startMs, zone);
  const dm = rec.dayMax[day];
  if (!dm || peak.averageKW > dm.averageKW) rec.dayMax[day] = peak;
  rec.top = insertTop(rec.top, peak);
  if (isWeekdayDaytime(peak.startMs, zone)) rec.topDaytime = insertTop(rec.topDaytime, peak);
}

/** A quarter-hour into its local hour; the hour is recorded once its last quarter is (or a later hour's first is). */
function addQuarter(rec: MonthRecord, zone: string, quarter: CapacityPeak): void {
  const hours = (rec.hourly ??= { dayMax: {}, top: [], topDaytime: [], open: null, last: null });
  const hour = periodAt(quarter.startMs, 60, zone);
  if (hours.open && hours.open.startMs !== hour.startMs) closeHour(hours, zone);
  hours.open ??= { startMs: hour.startMs, endMs: hour.endMs, quarterKWh: {} };
  const q = periodAt(quarter.startMs, 15, zone);
  const kWh = (quarter.averageKW * (q.endMs - q.startMs)) / 3.6e6;
  const key = String(q.startMs);
  hours.open.quarterKWh[key] = Math.max(hours.open.quarterKWh[key] ?? 0, kWh);
  if (q.endMs >= hour.endMs) closeHour(hours, zone);
}

function closeHour(hours: HourRecord, zone: string): void {
  const h = hours.open!;
  const kWh = Object.values(h.quarterKWh).reduce((a, b) => a + b, 0);
  const averageKW = Math.round((kWh / ((h.endMs - h.startMs) / 3.6e6)) * 1000) / 1000;
  hours.last = { startMs: h.startMs, averageKW };
  addPeak(hours, zone, hours.last);
  hours.open = null;
}

/**
 * The cap in force for the period starting at `startMs` (kW), or null when this period does not count (the rule is
 * off, or 'se-peaks' weekday daytime only outside it).
 * - fixed: the cap.
 * - month-peak: the month's highest period so far, at least the cap and Flanders' 2.5 kW minimum: a period up to
 *   the peak already set costs nothing more.
 * - no-steps: the step's upper bound, or higher where it changes nothing: up to this day's own highest hour (a
 *   day counts once, with its highest hour) and up to the third-highest other day (an hour below it does not
 *   enter the three).
 * - se-peaks: the cap, or up to the N-th highest counting hour already there (a lower hour does not enter the N).
 * With 15-minute periods the hourly rules read whole hours (`hourly`): each quarter-hour is capped at what the hour
 * may average, at least as strict as the hourly rule.
 */
export function capInForce(month: MonthRecord, cfg: CapacityConfig, startMs: number): number | null {
  const rec = recordFor(month, cfg);
  switch (cfg.rule) {
    case 'off':
      return null;
    case 'fixed':
      return cfg.capKW;
    case 'month-peak':
      return Math.max(cfg.capKW, FLANDERS_MIN_KW, rec.top[0]?.averageKW ?? 0);
    case 'no-steps': {
      const day = dayKey(startMs, cfg.timeZone);
      const own = rec.dayMax[day]?.averageKW ?? 0;
      const others = Object.entries(rec.dayMax)
        .filter(([d]) => d !== day)
        .map(([, p]) => p.averageKW)
        .sort((a, b) => b - a);
      return Math.max(cfg.capKW, own, others[NO_STEP_DAYS - 1] ?? 0);
    }
    case 'se-peaks': {
      if (cfg.seWeekdayDaytimeOnly && !isWeekdayDaytime(startMs, cfg.timeZone)) return null;
      const list = cfg.seWeekdayDaytimeOnly ? rec.topDaytime : rec.top;
      const n = cfg.sePeakCount ?? DEFAULT_SE_PEAKS;
      return Math.max(cfg.capKW, list[n - 1]?.averageKW ?? 0);
    }
  }
}
