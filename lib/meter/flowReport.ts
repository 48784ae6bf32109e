/**
 * Meter values reported by the user's own Flow ("Report grid currents L1 [[l1]] L2 [[l2]] L3 [[l3]]"):
 * the fallback when the app may not read other devices. Each report is fresh on receipt, also when it
 * repeats the last values (a steady house reports the same amps): one sample with `seq` one higher,
 * `timeMs` = the wall time of the report (display only); every reported phase counts as fresh.
 */
import type { Clock } from '../clock';
import type { MeterSample, Triple } from '../balancer/types';
import { UserInputError, quoteInput } from '../errors';
import { BaseMeterSource } from './source';

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
}
