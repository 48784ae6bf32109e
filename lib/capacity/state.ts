/** The guard's persisted state (JSON) and its reading back after a restart: anything malformed is dropped whole. */
import type { HourRecord, MonthRecord, PeakRecord } from './rules';
import type { CapacityPeak } from './types';
import { isRecord } from '../record';

export interface PeriodState {
  startMs: number;
  endMs: number;
  /** Import energy so far in the period (Wh): ∫ max(0, net power). */
  importWh: number;
  /** Of `importWh`, what was charged for stretches nobody observed (a restart, a forward clock step) at the last known
   *  power: in the budget, not in the month's record. */
  unseenWh: number;
  /** The house's own import without the balanced chargers (Wh), for the base-load warning. */
  houseWh: number;
  /** Paused by the plan in this period (holds until it ends, unless the plan has room again). */
  latchedPause: boolean;
  /** willExceed fired in this period. */
  warned: boolean;
  /** The flow action suspended the cap for this period. */
  suspended: boolean;
}

export interface GuardState {
  version: 1;
  period: PeriodState | null;
  /** The last reading: its wall time, the net power and the house's own part (W). */
  last: { wallMs: number; powerW: number; houseW: number } | null;
  month: MonthRecord | null;
  /** The house's own load took a whole period over the cap: chargers held at their minimum (sticky). */
  baseLoadOver: boolean;
  /** The house's own average of the last closed period (kW). */
  baseLoadKW: number;
  /** The house's own load: 1-minute and 10-minute averages, mean deviation (W). */
  houseEmaW: number | null;
  houseLongW: number | null;
  houseVarW: number;
  /** Per charger id the grid phases its car drew on this session. */
  phasesUsed: Record<string, number[]>;
  /** A cap set by the flow action, and the configured cap it replaced (dropped when the settings change). */
  capOverride: { kW: number; baseKW: number } | null;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPeak = (v: unknown): v is CapacityPeak => isRecord(v) && isNum(v.startMs) && isNum(v.averageKW);

function readPeriod(v: unknown): PeriodState | null | undefined {
  if (v === null) return null;
  if (!isRecord(v) || !isNum(v.startMs) || !isNum(v.endMs) || !isNum(v.importWh) || !isNum(v.houseWh)) return undefined;
  // a period at most a day long that ends after it starts (a 15/60-minute period, shortened at a DST change)
  if (v.endMs <= v.startMs || v.endMs - v.startMs > 86_400_000) return undefined;
  return {
    startMs: v.startMs,
    endMs: v.endMs,
    importWh: v.importWh,
    unseenWh: isNum(v.unseenWh) ? Math.min(Math.max(0, v.unseenWh), v.importWh) : 0,
    houseWh: v.houseWh,
    latchedPause: v.latchedPause === true,
    warned: v.warned === true,
    suspended: v.suspended === true,
  };
}

function readPeaks(v: Record<string, unknown>): PeakRecord | undefined {
  if (!isRecord(v.dayMax) || !Array.isArray(v.top) || !Array.isArray(v.topDaytime)) return undefined;
  const dayMax: Record<string, CapacityPeak> = {};
  for (const [k, p] of Object.entries(v.dayMax)) if (isPeak(p)) dayMax[k] = { startMs: p.startMs, averageKW: p.averageKW };
  const peaks = (xs: unknown[]): CapacityPeak[] => xs.filter(isPeak).map((p) => ({ startMs: p.startMs, averageKW: p.averageKW }));
  return { dayMax, top: peaks(v.top), topDaytime: peaks(v.topDaytime) };
}

/** The hours of a 15-minute month; one of another shape is dropped (the hourly rules then start this month's hours
 *  afresh: no hour counts yet, the tight side). */
function readHours(v: unknown): HourRecord | undefined {
  if (!isRecord(v)) return undefined;
  const peaks = readPeaks(v);
  if (!peaks) return undefined;
  const o = v.open;
  let open: HourRecord['open'] = null;
  if (isRecord(o) && isNum(o.startMs) && isNum(o.endMs) && o.endMs > o.startMs && isRecord(o.quarterKWh)) {
    const quarterKWh: Record<string, number> = {};
    for (const [k, kWh] of Object.entries(o.quarterKWh)) if (isNum(kWh) && kWh >= 0) quarterKWh[k] = kWh;
    open = { startMs: o.startMs, endMs: o.endMs, quarterKWh };
  }
  return { ...peaks, open, last: isPeak(v.last) ? { startMs: v.last.startMs, averageKW: v.last.averageKW } : null };
}

function readMonth(v: unknown): MonthRecord | null | undefined {
  if (v === null) return null;
  if (!isRecord(v) || typeof v.month !== 'string') return undefined;
  const peaks = readPeaks(v);
  if (!peaks) return undefined;
  const hourly = readHours(v.hourly);
  return { month: v.month, ...peaks, ...(hourly ? { hourly } : {}) };
}

/** The state from `getState()` after a round trip through storage, or null when it is not one. */
export function readGuardState(v: unknown): GuardState | null {
  if (!isRecord(v) || v.version !== 1) return null;
  const period = readPeriod(v.period);
  const month = readMonth(v.month);
  if (period === undefined || month === undefined) return null;
  const l = v.last;
  const last = isRecord(l) && isNum(l.wallMs) && isNum(l.powerW) && isNum(l.houseW) ? { wallMs: l.wallMs, powerW: l.powerW, houseW: l.houseW } : null;
  const phasesUsed: Record<string, number[]> = {};
  if (isRecord(v.phasesUsed)) {
    for (const [id, ps] of Object.entries(v.phasesUsed)) {
      if (Array.isArray(ps) && ps.every((g) => g === 0 || g === 1 || g === 2)) phasesUsed[id] = ps as number[];
    }
  }
  const o = v.capOverride;
  return {
    version: 1,
    period,
    last: period ? last : null,
    month,
    baseLoadOver: v.baseLoadOver === true,
    baseLoadKW: isNum(v.baseLoadKW) ? v.baseLoadKW : 0,
    houseEmaW: isNum(v.houseEmaW) ? v.houseEmaW : null,
    houseLongW: isNum(v.houseLongW) ? v.houseLongW : null,
    houseVarW: isNum(v.houseVarW) ? v.houseVarW : 0,
    phasesUsed,
    capOverride: isRecord(o) && isNum(o.kW) && o.kW > 0 && isNum(o.baseKW) ? { kW: o.kW, baseKW: o.baseKW } : null,
  };
}
