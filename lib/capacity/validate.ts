/**
 * The one validation of the capacity settings (keys as lib/settings.ts stores them): each bad field gets one line
 * naming it and what is expected; good input becomes a `CapacityConfig`.
 */
import { isKnownZone } from './period';
import { CAPACITY_RULES, DEFAULT_SE_PEAKS, FLANDERS_MIN_KW, type CapacityConfig, type CapacityRule } from './types';

export interface CapacitySettingsInput {
  capacity_rule?: unknown;
  capacity_kw?: unknown;
  capacity_period_min?: unknown;
  capacity_se_peaks?: unknown;
  capacity_se_weekday_daytime?: unknown;
}

export type CapacityValidation = { ok: true; value: CapacityConfig } | { ok: false; errors: Record<string, string> };

/** The lowest and highest cap taken (kW): below 0.1 kW no charger can run; 1000 is far above any house connection. */
export const MIN_CAP_KW = 0.1;
export const MAX_CAP_KW = 1000;
export const MAX_SE_PEAKS = 10;

function num(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) return Number(raw);
  return undefined;
}

/**
 * What is wrong with a cap of `capKW` under `rule` (the settings' cap and the flow card's), or null: one line.
 */
export function capKWProblem(capKW: number | undefined, rule: CapacityRule | undefined): string | null {
  if (capKW === undefined || !Number.isFinite(capKW) || capKW < MIN_CAP_KW || capKW > MAX_CAP_KW) {
    return `Capacity cap must be a positive number of kW (${MIN_CAP_KW} to ${MAX_CAP_KW}), e.g. 5`;
  }
  if (rule === 'month-peak' && capKW < FLANDERS_MIN_KW) {
    return `Capacity cap must be at least ${FLANDERS_MIN_KW} kW for "don't raise this month's peak": the capacity tariff bills at least ${FLANDERS_MIN_KW} kW`;
  }
  return null;
}

/** Validates the capacity settings; `timeZone` is the Homey's. A missing rule is 'off' (the other fields then may be absent). */
export function validateCapacitySettings(input: CapacitySettingsInput, timeZone: string): CapacityValidation {
  const errors: Record<string, string> = {};
  const ruleRaw = input.capacity_rule ?? 'off';
  const rule = (CAPACITY_RULES as readonly unknown[]).includes(ruleRaw) ? (ruleRaw as CapacityRule) : undefined;
  if (!rule) errors.capacity_rule = `Capacity rule must be one of: ${CAPACITY_RULES.join(', ')}`;
  const off = rule === 'off';

  const capKW = num(input.capacity_kw);
  const capProblem = capKWProblem(capKW, rule);
  if (capProblem && !(off && input.capacity_kw === undefined)) errors.capacity_kw = capProblem;

  const periodMin = num(input.capacity_period_min ?? 15);
  if (periodMin !== 15 && periodMin !== 60) errors.capacity_period_min = 'Capacity period must be 15 or 60 minutes';

  const peaks = num(input.capacity_se_peaks ?? DEFAULT_SE_PEAKS);
  if (peaks === undefined || !Number.isInteger(peaks) || peaks < 1 || peaks > MAX_SE_PEAKS) {
    errors.capacity_se_peaks = `Number of peaks must be a whole number from 1 to ${MAX_SE_PEAKS}`;
  }
  const daytime = input.capacity_se_weekday_daytime ?? false;
  if (typeof daytime !== 'boolean') errors.capacity_se_weekday_daytime = 'Weekday daytime only must be on or off (true or false)';
  if (!isKnownZone(timeZone)) errors.timeZone = `The Homey's time zone "${timeZone}" is unknown: set it in Homey's settings (Location)`;

  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      rule: rule!,
      capKW: capKW ?? FLANDERS_MIN_KW,
      periodMin: periodMin as 15 | 60,
      timeZone,
      sePeakCount: peaks!,
      seWeekdayDaytimeOnly: daytime as boolean,
    },
  };
}
