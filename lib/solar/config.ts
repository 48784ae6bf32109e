/**
 * Tuning of solar charging (docs/solar.md explains each value and where evcc's come from). One validation
 * here: `validateSolarConfig` names the field and what was expected.
 */
import { UserInputError } from '../errors';

export interface SolarConfig {
  /** Surplus must stay at or above the car's minimum power (+ `startThresholdW`) this long before a start (s). evcc Enable.Delay 1 min. */
  enableDelayS: number;
  /** A cap: below the car's minimum power (− `stopThresholdW`) this long, the car stops even within its grid budget (s). evcc Disable.Delay 3 min. */
  disableDelayS: number;
  /** Surplus above the car's minimum power needed to start (W). evcc Enable.Threshold 0 W. */
  startThresholdW: number;
  /** Grid import at the car's minimum tolerated before the stop timer runs (W). evcc Disable.Threshold 0 W. */
  stopThresholdW: number;
  /** A started car charges at least this long before a stop (s). */
  minOnTimeS: number;
  /** A stopped car waits at least this long before a start (s). */
  minOffTimeS: number;
  /** Start budget in 'solar', a token bucket: at most this many tokens, one back every 3600 / this s; a start takes one. */
  maxStartsPerHour: number;
  /** Below the minimum the car rides on while the grid gave at most this share of the session's energy (+ `gridAllowanceWh`). */
  gridBudgetShare: number;
  /** Grid energy a session may borrow beyond `gridBudgetShare` (Wh): lets the first cloud of a session be ridden. */
  gridAllowanceWh: number;
  /** Over the grid budget, the surplus must stay below the minimum this long before a stop (s): one sample's dip does not stop the car. */
  stopConfirmS: number;
  /** With no start left, the car may borrow this much more grid energy riding a cloud (Wh): a stop would leave it idle until a start is back. */
  noStartRideWh: number;
  /** Time constant of the smoothing of raises (s); decreases follow the latest sample at once. */
  smoothingS: number;
  /** Keep this much exported (W): a margin for meter rounding and the car's own rounding. evcc residualPower. */
  reserveW: number;
  /** 'net': the bill nets the phases (default); 'per-phase': each phase on its own. */
  balance: 'net' | 'per-phase';
  /** Surplus must stay below a 3-phase start (minimum × 3 phases) this long before switching to 1 phase (s). */
  phaseDownDelayS: number;
  /** Surplus must stay above a 3-phase start + `phaseUpHysteresisW` this long before switching back to 3 phases (s). */
  phaseUpDelayS: number;
  phaseUpHysteresisW: number;
  /** No surplus sample for this long: the surplus is unknown and counts as none (s). */
  staleAfterS: number;
}

export const DEFAULT_SOLAR_CONFIG: SolarConfig = {
  // docs/solar.md ("Control", "Experiments"): a start budget that refills (token bucket) and a stop on the grid
  // energy the session borrowed, instead of evcc's fixed 1 min / 3 min timers; disableDelayS is only a cap
  enableDelayS: 20,
  disableDelayS: 900,
  startThresholdW: 0,
  stopThresholdW: 0,
  minOnTimeS: 0,
  minOffTimeS: 60,
  maxStartsPerHour: 3,
  gridBudgetShare: 0.025,
  gridAllowanceWh: 30,
  stopConfirmS: 15,
  noStartRideWh: 80,
  smoothingS: 5,
  reserveW: 0,
  balance: 'net',
  // below the disable delay: a switchable car tries one phase before it stops (a cloud rides on 1 phase instead of
  // spending a start); docs/solar.md has the bench figures for 30–180 s
  phaseDownDelayS: 60,
  phaseUpDelayS: 60,
  phaseUpHysteresisW: 250,
  staleAfterS: 60,
};

const RANGES: Record<Exclude<keyof SolarConfig, 'balance'>, [number, number]> = {
  enableDelayS: [0, 3600],
  disableDelayS: [0, 3600],
  startThresholdW: [-5000, 10_000],
  stopThresholdW: [0, 10_000],
  minOnTimeS: [0, 7200],
  minOffTimeS: [0, 7200],
  maxStartsPerHour: [1, 60],
  gridBudgetShare: [0, 1],
  gridAllowanceWh: [0, 10_000],
  stopConfirmS: [0, 3600],
  noStartRideWh: [0, 10_000],
  smoothingS: [0, 600],
  reserveW: [0, 5000],
  phaseDownDelayS: [0, 3600],
  phaseUpDelayS: [0, 3600],
  phaseUpHysteresisW: [0, 5000],
  staleAfterS: [5, 600],
};

/** Defaults overlaid with `partial`; a bad field throws one line naming it and the range. */
export function validateSolarConfig(partial: Partial<SolarConfig> = {}, base: SolarConfig = DEFAULT_SOLAR_CONFIG): SolarConfig {
  const out: SolarConfig = { ...base };
  for (const [key, value] of Object.entries(partial) as [keyof SolarConfig, unknown][]) {
    if (value === undefined) continue;
    if (key === 'balance') {
      if (value !== 'net' && value !== 'per-phase') throw new UserInputError('solar balance', `expected "net" or "per-phase", got ${JSON.stringify(value)}`);
      out.balance = value;
      continue;
    }
    const range = RANGES[key];
    if (!range) throw new UserInputError(`solar ${String(key)}`, 'unknown setting');
    if (typeof value !== 'number' || !Number.isFinite(value) || value < range[0] || value > range[1]) {
      throw new UserInputError(`solar ${key}`, `expected a number from ${range[0]} to ${range[1]}, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out;
}
