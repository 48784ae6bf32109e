/**
 * Meter values reported by the user's own Flow ("Report grid currents L1 [[l1]] L2 [[l2]] L3 [[l3]]"):
 * the fallback when the app may not read other devices. Each report is fresh on receipt, also when it
 * repeats the last values (a steady house reports the same amps): one sample with `seq` one higher,
 * `timeMs` = the wall time of the report (display only); every reported phase counts as fresh.
 * "Report phase currents and house power" adds the net power of the whole house (W, import positive, export
 * negative) for the capacity guard; without it the guard counts the currents at 230 V.
 */
import type { Clock } from '../clock';
import type { MeterSample, Triple } from '../balancer/types';
import { UserInputError, quoteInput } from '../errors';
import { BaseMeterSource, MAX_GRID_VOLTAGE_V, NOMINAL_VOLTAGE_V } from './source';

/** Largest plausible house current per phase either way (A). */
export const MAX_REPORTED_CURRENT_A = 200;

/**
 * One flow argument → A, or null when an optional phase is left empty. Numbers and numeric text
 * (tags may arrive as text, with a decimal comma) are accepted.
 */
export function parseReportedCurrent(name: string, value: unknown, required: boolean): number | null {
  const empty = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  if (empty) {
    if (required) throw new UserInputError(name, `a current in A is required (−${MAX_REPORTED_CURRENT_A}…${MAX_REPORTED_CURRENT_A})`);
    return null;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim().replace(',', '.')) : NaN;
  if (!Number.isFinite(n)) {
    const shown = typeof value === 'string' ? quoteInput(value, 20) : typeof value;
    throw new UserInputError(name, `expected a number of amps, got ${shown}`);
  }
  if (Math.abs(n) > MAX_REPORTED_CURRENT_A) {
    throw new UserInputError(name, `${n} A is outside −${MAX_REPORTED_CURRENT_A}…${MAX_REPORTED_CURRENT_A} A; report amps, not watts`);
  }
  return n;
}

/** Largest plausible house power either way (W): 3 × 200 A at 253 V. */
export const MAX_REPORTED_POWER_W = 3 * MAX_REPORTED_CURRENT_A * MAX_GRID_VOLTAGE_V;

/**
 * The power argument → W. Numbers and numeric text are accepted. A power that cannot be the currents' (|P| ≤ 60 while
 * the currents carry 1 kW or more) is refused as kilowatts.
 */
export function parseReportedPower(value: unknown, currentsA: Triple<number | null>): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value.trim().replace(',', '.')) : NaN;
  if (!Number.isFinite(n)) {
    const shown = typeof value === 'string' ? quoteInput(value, 20) : typeof value;
    throw new UserInputError('power', `expected the house's power in W (negative when exporting), got ${shown}`);
  }
  if (Math.abs(n) > MAX_REPORTED_POWER_W) {
    throw new UserInputError('power', `${n} W is outside −${MAX_REPORTED_POWER_W}…${MAX_REPORTED_POWER_W} W`);
  }
  const carriedW = currentsA.reduce<number>((s, a) => s + Math.abs(a ?? 0), 0) * NOMINAL_VOLTAGE_V;
  if (carriedW >= 1000 && Math.abs(n) <= 60) {
    throw new UserInputError('power', `${n} W is far below what the currents carry (about ${Math.round(carriedW)} W); report watts, not kilowatts`);
  }
  return n;
}

export class FlowReportSource extends BaseMeterSource {
  readonly kind = 'flow' as const;

  constructor(clock: Clock) {
    super(clock);
  }

  /** Validate a flow action's arguments and emit a sample. Throws UserInputError naming the argument. */
  report(l1: unknown, l2?: unknown, l3?: unknown): MeterSample {
    const currents: Triple<number | null> = [
      parseReportedCurrent('l1', l1, true),
      parseReportedCurrent('l2', l2, false),
      parseReportedCurrent('l3', l3, false),
    ];
    return this.emit(currents);
  }

  /** The same with the house's net power (W); throws UserInputError naming the argument. */
  reportWithPower(l1: unknown, l2: unknown, l3: unknown, powerW: unknown): MeterSample {
    const currents: Triple<number | null> = [
      parseReportedCurrent('l1', l1, true),
      parseReportedCurrent('l2', l2, false),
      parseReportedCurrent('l3', l3, false),
    ];
    return this.emit(currents, { powerW: parseReportedPower(powerW, currents) });
  }
}
