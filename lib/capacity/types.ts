/**
 * The capacity-tariff guard's contract (docs/capacity.md): keep the average import of each period (15 or 60 min,
 * aligned to the wall clock in the Homey's time zone) under a kW cap that a rule sets, by a ceiling for all
 * balanced chargers together. Pure: no Homey, time from the caller.
 */

/**
 * `fixed`: a cap in kW. `month-peak`: don't raise this month's highest period (Flanders: the highest quarter-hour,
 * at least 2.5 kW). `no-steps`: stay in a Norwegian capacity step (average of the three highest hours, each on a
 * different day). `se-peaks`: a Swedish DSO's average of the N highest hours of the month (optionally weekday
 * daytime only). `off`: no cap.
 */
export type CapacityRule = 'off' | 'fixed' | 'month-peak' | 'no-steps' | 'se-peaks';
export const CAPACITY_RULES: readonly CapacityRule[] = ['off', 'fixed', 'month-peak', 'no-steps', 'se-peaks'];

export interface CapacityConfig {
  rule: CapacityRule;
  /** 'fixed': the cap; 'month-peak': the floor before any peak this month (at least 2.5 kW, Flanders' minimum);
   *  'no-steps': the upper bound of the step to stay in; 'se-peaks': the cap. */
  capKW: number;
  periodMin: 15 | 60;
  /** IANA zone; the Homey's. */
  timeZone: string;
  /** 'se-peaks': the N highest hourly peaks that count (default 3). */
  sePeakCount?: number;
  /** 'se-peaks': only weekdays 07:00–19:00 count (Monday–Friday; public holidays are not known and count). */
  seWeekdayDaytimeOnly?: boolean;
  /** Per-phase voltage for current → power where the meter gives no power (default 230). */
  voltageV?: number;
}

export interface CapacityPeak {
  startMs: number;
  averageKW: number;
}

export interface CapacityStatus {
  rule: CapacityRule;
  /** A cap is in force now (rule not off, not suspended, the hour counts). */
  active: boolean;
  suspended: boolean;
  periodStartMs: number;
  periodEndMs: number;
  minutesLeft: number;
  /** So far in this period (missing samples at the last known power). */
  averageKW: number;
  /** End-of-period average if the load stays as now. */
  projectedKW: number;
  /** The cap in force now (after the rule). */
  capKW: number;
  /** What the chargers may add now (kW) on top of what they draw. */
  headroomKW: number;
  /** The peaks that count this month (rule-dependent), highest first. */
  monthPeaks: CapacityPeak[];
  /** What the meter itself reports (HomeWizard montly_power_peak_w, DSMR 1.6.0), if any. */
  meterPeakKW: number | null;
  /** E.g. "The cap (2 kW) is below the house's own load (2.6 kW): chargers held at their minimum". */
  warning: string | null;
}

export interface CapacityEvent {
  type: 'willExceed' | 'newMonthlyPeak';
  projectedKW: number;
  capKW: number;
  minutesLeft: number;
  peakKW?: number;
}

/** The Flemish capacity tariff bills at least 2.5 kW a month (VREG, Fluvius): a lower cap saves nothing. */
export const FLANDERS_MIN_KW = 2.5;
/** Default per-phase voltage (V). */
export const DEFAULT_VOLTAGE_V = 230;
/** Default N for 'se-peaks'. */
export const DEFAULT_SE_PEAKS = 3;
/** Norwegian capacity steps: the three highest days. */
export const NO_STEP_DAYS = 3;
